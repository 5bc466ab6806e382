import Foundation

/// Wakes a waiting `poll` when something it may act on happened: a fetch response arrived, a
/// join completed, a heartbeat asked for a rebalance, the consumer closed. A counter makes
/// the wait race-free: the waiter reads it before looking at the state, and returns at once
/// if it moved since.
final class ConsumerSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var count: UInt64 = 0
    private var nextWaiterId: UInt64 = 0
    private var waiters: [UInt64: (continuation: CheckedContinuation<Void, Never>, timeout: SharedTimer.Token?)] = [:]
    /// The waits' deadlines, on one timer (a consumer polling per record would otherwise arm one per poll).
    private let timer: SharedTimer

    init(timer: SharedTimer = SharedTimer()) { self.timer = timer }

    /// The value to pass to `wait(after:untilMs:)`.
    var current: UInt64 { lock.withLock { count } }

    func notify() {
        let woken = lock.withLock { () -> [(continuation: CheckedContinuation<Void, Never>, timeout: SharedTimer.Token?)] in
            count &+= 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for w in woken {
            if let t = w.timeout { timer.remove(t) }
            w.continuation.resume()
        }
    }

    /// Returns when `notify` was called after `seen` was read, or at `deadlineMs` (monotonic).
    func wait(after seen: UInt64, untilMs deadlineMs: Int64) async {
        let remaining = deadlineMs - ClientTime.monotonicMs()
        guard remaining > 0 else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let id: UInt64? = lock.withLock {
                guard count == seen else { return nil }
                nextWaiterId &+= 1
                waiters[nextWaiterId] = (c, nil)
                return nextWaiterId
            }
            guard let id else { return c.resume() }
            let token = timer.add(timeoutMs: remaining) { [self] in
                let w = lock.withLock { waiters.removeValue(forKey: id) }
                w?.continuation.resume()
            }
            // Still waiting: remember the token so that `notify` forgets it. Already woken (or
            // timed out): forget it now.
            let waiting = lock.withLock { () -> Bool in
                guard waiters[id] != nil else { return false }
                waiters[id]?.timeout = token
                return true
            }
            if !waiting { timer.remove(token) }
        }
    }
}
