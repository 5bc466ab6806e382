import Dispatch
import Synchronization

/// Timeouts that share one timer: a client's request timeouts, a consumer's poll waits.
///
/// A client with a request in flight for every record (a producer at linger.ms=0, a consumer's
/// long-poll fetches) would otherwise arm a Dispatch timer per request, each kept for the whole
/// request.timeout.ms (30 s by default) and fired long after its request was answered: at
/// 10,000 requests/s that is 300,000 pending timers and a wake-up of Dispatch's timer thread per
/// request. Instead, pending timeouts are kept here with their deadlines, and a timer is armed
/// only for a deadline sooner than the one already armed. When it fires, every entry that is
/// due is expired (its `onTimeout` runs, outside the lock) and the timer is re-armed for the
/// earliest deadline left. Answered requests are `remove`d, so in steady state the one timer
/// fires about once per timeout period and finds nothing to do.
///
/// Invariant: whenever an entry is pending, a timer is armed at or before its deadline; an
/// entry expires once, never before its deadline. Time and timers are injected (`now`,
/// `schedule`) so that tests drive them.
final class SharedTimer: Sendable {
    typealias Token = UInt64
    /// Arms a timer that calls `fire` after `delayMs` milliseconds.
    typealias Schedule = @Sendable (_ delayMs: Int64, _ fire: @escaping @Sendable () -> Void) -> Void

    private struct Entry {
        var dueMs: Int64
        var onTimeout: @Sendable () -> Void
    }

    private struct State {
        var entries: [Token: Entry] = [:]
        var nextToken: Token = 0
        /// When the armed timer fires, if one is armed.
        var armedDueMs: Int64?
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Int64
    private let schedule: Schedule

    init(now: @escaping @Sendable () -> Int64 = { ClientTime.monotonicMs() }, schedule: @escaping Schedule = SharedTimer.dispatchAfter) {
        self.now = now
        self.schedule = schedule
    }

    /// A Dispatch timer on the global queue.
    static let dispatchAfter: Schedule = { delayMs, fire in
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(max(0, delayMs), Int64(Int32.max)))), execute: fire)
    }

    /// Pending entries (tests).
    var count: Int { state.withLock { $0.entries.count } }

    /// Calls `onTimeout` once `timeoutMs` has passed, unless `remove` comes first.
    func add(timeoutMs: Int64, onTimeout: @escaping @Sendable () -> Void) -> Token {
        let due = now() &+ max(0, timeoutMs)
        let (token, arm) = state.withLock { s -> (Token, Bool) in
            s.nextToken &+= 1
            s.entries[s.nextToken] = Entry(dueMs: due, onTimeout: onTimeout)
            let arm = s.armedDueMs.map { $0 > due } ?? true
            if arm { s.armedDueMs = due }
            return (s.nextToken, arm)
        }
        if arm { armTimer(due: due) }
        return token
    }

    /// Forgets an entry (its request was answered). Its timer, if it was the earliest, stays
    /// armed and finds nothing due when it fires.
    func remove(_ token: Token) {
        _ = state.withLock { $0.entries.removeValue(forKey: token) }
    }

    private func armTimer(due: Int64) {
        schedule(due - now()) { [weak self] in self?.fired(due: due) }
    }

    /// A timer armed for `due` fired: expire what is due, re-arm for the earliest left.
    private func fired(due: Int64) {
        let time = now()
        let (expired, rearm) = state.withLock { s -> ([@Sendable () -> Void], Int64?) in
            // Only the latest armed timer re-arms; an earlier one, superseded, just expires.
            if s.armedDueMs == due { s.armedDueMs = nil }
            var expired: [@Sendable () -> Void] = []
            var earliest: Int64?
            for (token, entry) in s.entries {
                if entry.dueMs <= time {
                    expired.append(entry.onTimeout)
                    s.entries[token] = nil
                } else if earliest.map({ entry.dueMs < $0 }) ?? true {
                    earliest = entry.dueMs
                }
            }
            guard let earliest, s.armedDueMs.map({ $0 > earliest }) ?? true else { return (expired, nil) }
            s.armedDueMs = earliest
            return (expired, earliest)
        }
        if let rearm { armTimer(due: rearm) }
        for e in expired { e() }
    }
}
