import Foundation

/// Wakes the producer's sender loop: the loop `wait`s until `signal` or a deadline. A signal
/// that arrives while the loop is busy is remembered, so the next `wait` returns at once and
/// no event is missed.
///
/// Deadlines share timers: a wait schedules one only if no pending timer fires at or before its
/// deadline, so a loop that waits once per batch does not create a timer per batch. A timer
/// that fires wakes whatever wait is current (an early wake is harmless: the loop looks again
/// and waits anew).
final class SenderWakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var continuation: CheckedContinuation<Void, Never>?
    /// When the earliest scheduled timer fires (monotonic ms), if one is pending.
    private var timerDueMs: Int64?

    func signal() {
        let c: CheckedContinuation<Void, Never>? = lock.withLock {
            if let c = continuation {
                continuation = nil
                return c
            }
            pending = true
            return nil
        }
        c?.resume()
    }

    /// Returns on the next signal (or a pending one), or after `timeoutMs` (nil: no deadline).
    func wait(timeoutMs: Int64?) async {
        if let t = timeoutMs, t <= 0 {
            lock.withLock { pending = false }
            return
        }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock {
                if pending {
                    pending = false
                    return true
                }
                continuation = c
                if let t = timeoutMs {
                    let due = ClientTime.monotonicMs() + t
                    if timerDueMs.map({ $0 > due }) ?? true {
                        timerDueMs = due
                        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(t, Int64(Int32.max))))) { [weak self] in
                            self?.timerFired(due: due)
                        }
                    }
                }
                return false
            }
            if resumeNow { c.resume() }
        }
    }

    private func timerFired(due: Int64) {
        let c: CheckedContinuation<Void, Never>? = lock.withLock {
            if timerDueMs == due { timerDueMs = nil }
            guard let c = continuation else { return nil }
            continuation = nil
            return c
        }
        c?.resume()
    }
}
