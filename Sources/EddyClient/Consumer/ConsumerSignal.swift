import Foundation

/// Wakes a waiting `poll` when something it may act on happened: a fetch response arrived, a
/// join completed, a heartbeat asked for a rebalance, the consumer closed. A counter makes
/// the wait race-free: the waiter reads it before looking at the state, and returns at once
/// if it moved since.
final class ConsumerSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var count: UInt64 = 0
    private var nextWaiterId: UInt64 = 0
    private var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]

    /// The value to pass to `wait(after:untilMs:)`.
    var current: UInt64 { lock.withLock { count } }

    func notify() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            count &+= 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for c in woken { c.resume() }
    }

    /// Returns when `notify` was called after `seen` was read, or at `deadlineMs` (monotonic).
    func wait(after seen: UInt64, untilMs deadlineMs: Int64) async {
        let remaining = deadlineMs - ClientTime.monotonicMs()
        guard remaining > 0 else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let id: UInt64? = lock.withLock {
                guard count == seen else { return nil }
                nextWaiterId &+= 1
                waiters[nextWaiterId] = c
                return nextWaiterId
            }
            guard let id else { return c.resume() }
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(remaining, Int64(Int32.max))))) { [self] in
                let c = lock.withLock { waiters.removeValue(forKey: id) }
                c?.resume()
            }
        }
    }
}
