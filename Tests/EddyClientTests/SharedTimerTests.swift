import EddyProtocol
import Synchronization
import Testing
@testable import EddyClient

/// `SharedTimer` on a manual clock and a manual timer list: one timer for many requests,
/// expiry exactly at the deadline, re-arming for what is left, and nothing for answered ones.
@Suite struct SharedTimerTests {
    /// Time and armed timers, driven by the test.
    final class Timers: Sendable {
        private struct State { var nowMs: Int64 = 1_000; var armed: [(at: Int64, fire: @Sendable () -> Void)] = [] }
        private let state = Mutex(State())

        var now: Int64 { state.withLock { $0.nowMs } }
        var armedCount: Int { state.withLock { $0.armed.count } }
        var armedTimes: [Int64] { state.withLock { $0.armed.map(\.at) } }

        func schedule(_ delayMs: Int64, _ fire: @escaping @Sendable () -> Void) {
            state.withLock { $0.armed.append((at: $0.nowMs + delayMs, fire: fire)) }
        }

        /// Moves the clock to `ms`, firing every timer due by then, earliest first.
        func advance(to ms: Int64) {
            while true {
                let next: (@Sendable () -> Void)? = state.withLock { s in
                    guard let i = s.armed.indices.min(by: { s.armed[$0].at < s.armed[$1].at }), s.armed[i].at <= ms else {
                        s.nowMs = ms
                        return nil
                    }
                    s.nowMs = max(s.nowMs, s.armed[i].at)
                    return s.armed.remove(at: i).fire
                }
                guard let next else { return }
                next()
            }
        }

        func sharedTimer() -> SharedTimer {
            SharedTimer(now: { self.now }, schedule: { self.schedule($0, $1) })
        }
    }

    final class Fired: Sendable {
        private let names = Mutex<[String]>([])
        func add(_ n: String) { names.withLock { $0.append(n) } }
        var all: [String] { names.withLock { $0 } }
    }

    @Test func manyRequestsShareOneTimerAndExpireAtTheirDeadlines() {
        let timers = Timers()
        let d = timers.sharedTimer()
        let fired = Fired()
        for i in 0 ..< 1000 { _ = d.add(timeoutMs: 30_000 + Int64(i)) { fired.add("r\(i)") } }
        #expect(timers.armedCount == 1, "one timer for requests with later and later deadlines")
        timers.advance(to: 1_000 + 29_999)
        #expect(fired.all.isEmpty)
        timers.advance(to: 1_000 + 30_000)
        #expect(fired.all == ["r0"])
        timers.advance(to: 1_000 + 30_499)
        #expect(fired.all.count == 500)
        timers.advance(to: 1_000 + 31_000)
        #expect(fired.all.count == 1000 && d.count == 0)
        #expect(timers.armedCount == 0, "nothing left, nothing armed")
    }

    @Test func answeredRequestsNeverTimeOut() {
        let timers = Timers()
        let d = timers.sharedTimer()
        let fired = Fired()
        let tokens = (0 ..< 100).map { i in d.add(timeoutMs: 30_000) { fired.add("r\(i)") } }
        for t in tokens.dropLast() { d.remove(t) }
        #expect(d.count == 1)
        timers.advance(to: 1_000 + 60_000)
        #expect(fired.all == ["r99"])
        #expect(d.count == 0)
    }

    @Test func aShorterDeadlineArmsAnEarlierTimerAndTheLaterOneStillCounts() {
        let timers = Timers()
        let d = timers.sharedTimer()
        let fired = Fired()
        _ = d.add(timeoutMs: 30_000) { fired.add("long") }
        _ = d.add(timeoutMs: 500) { fired.add("short") }
        #expect(timers.armedTimes.sorted() == [1_500, 31_000])
        timers.advance(to: 1_500)
        #expect(fired.all == ["short"])
        // A request added after the short one expired, due before the long one.
        _ = d.add(timeoutMs: 10_000) { fired.add("middle") }
        timers.advance(to: 11_500)
        #expect(fired.all == ["short", "middle"])
        timers.advance(to: 31_000)
        #expect(fired.all == ["short", "middle", "long"])
        timers.advance(to: 100_000)
        #expect(fired.all.count == 3 && d.count == 0)
    }

    /// Whatever the order of adds, removals and firings, every pending entry has a timer armed
    /// at or before its deadline, and each expires once, at or after it.
    @Test func randomSchedulesExpireEveryPendingEntryOnTime() {
        var rng = SplitMix64(seed: 42)
        for _ in 0 ..< 50 {
            let timers = Timers()
            let d = timers.sharedTimer()
            let fired = Fired()
            var pending: [(token: SharedTimer.Token, name: String, due: Int64)] = []
            var removed = Set<String>()
            for step in 0 ..< 200 {
                switch rng.next() % 3 {
                case 0, 1:
                    let timeout = Int64(rng.next() % 5_000)
                    let name = "r\(step)"
                    let due = timers.now + timeout
                    let token = d.add(timeoutMs: timeout) {
                        fired.add(name)
                        #expect(timers.now >= due, "\(name) expired early")
                    }
                    pending.append((token, name, due))
                default:
                    if !pending.isEmpty {
                        let i = Int(rng.next() % UInt64(pending.count))
                        d.remove(pending[i].token)
                        removed.insert(pending[i].name)
                        pending.remove(at: i)
                    }
                }
                timers.advance(to: timers.now + Int64(rng.next() % 100))
                let done = Set(fired.all)
                pending.removeAll { done.contains($0.name) }
                for p in pending { #expect(p.due > timers.now, "\(p.name) is overdue and pending") }
            }
            timers.advance(to: timers.now + 10_000)
            #expect(d.count == 0)
            #expect(Set(fired.all).isDisjoint(with: removed))
            #expect(fired.all.count == Set(fired.all).count, "an entry expired twice")
        }
    }
}

/// The consumer's poll waits share one timer too: a wait that `notify` ends leaves no timeout
/// behind, and one that nothing ends returns when its timeout fires.
@Suite struct ConsumerSignalTimerTests {
    @Test func wokenWaitsLeaveNoTimeoutsBehind() async {
        let timers = SharedTimerTests.Timers()
        let shared = timers.sharedTimer()
        let signal = ConsumerSignal(timer: shared)
        for _ in 0 ..< 200 {
            let seen = signal.current
            async let waited: Void = signal.wait(after: seen, untilMs: ClientTime.monotonicMs() + 60_000)
            signal.notify()
            await waited
        }
        #expect(shared.count == 0)
        #expect(timers.armedCount <= 1)
    }

    @Test func aWaitNothingEndsReturnsWhenItsTimeoutFires() async throws {
        let timers = SharedTimerTests.Timers()
        let shared = timers.sharedTimer()
        let signal = ConsumerSignal(timer: shared)
        let seen = signal.current
        async let waited: Void = signal.wait(after: seen, untilMs: ClientTime.monotonicMs() + 60_000)
        let deadline = ClientTime.monotonicMs() + 10_000
        while shared.count == 0, ClientTime.monotonicMs() < deadline { await Task.yield() }
        #expect(shared.count == 1)
        timers.advance(to: timers.now + 61_000)
        await waited
        #expect(shared.count == 0)
    }
}
