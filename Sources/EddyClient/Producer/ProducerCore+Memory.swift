import Foundation

/// buffer.memory: tasks whose record needs a new batch wait here, first come first served,
/// until completed batches give memory back, at most max.block.ms.
extension ProducerCore {
    final class MemoryWaiter: @unchecked Sendable {
        let bytes: Int
        var continuation: CheckedContinuation<Result<Int, ClientError>, Never>?

        init(bytes: Int) { self.bytes = bytes }
    }

    /// Waits (first come, first served) until `bytes` of buffer.memory are free and takes them.
    func acquireMemory(_ bytes: Int, deadlineMs: Int64) async throws(ClientError) -> Int {
        let waiter = MemoryWaiter(bytes: bytes)
        let result: Result<Int, ClientError> = await withCheckedContinuation { c in
            let immediate: Result<Int, ClientError>? = lock.withLock {
                if closed { return .failure(.closed("Cannot send after the producer is closed.")) }
                if memoryWaiters.isEmpty, accumulator.take(memory: bytes) { return .success(bytes) }
                waiter.continuation = c
                memoryWaiters.append(waiter)
                accumulator.memoryExhausted = true
                return nil
            }
            if let immediate {
                c.resume(returning: immediate)
                return
            }
            wakeup.signal()
            let delay = max(0, deadlineMs - ClientTime.monotonicMs())
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(delay, Int64(Int32.max))))) { [self] in
                expire(waiter)
            }
        }
        return try result.get()
    }

    private func expire(_ waiter: MemoryWaiter) {
        let c: CheckedContinuation<Result<Int, ClientError>, Never>? = lock.withLock {
            guard let c = waiter.continuation else { return nil }
            waiter.continuation = nil
            memoryWaiters.removeAll { $0 === waiter }
            accumulator.memoryExhausted = !memoryWaiters.isEmpty
            return c
        }
        c?.resume(returning: .failure(.timeout(
            "Failed to allocate \(waiter.bytes) bytes of buffer.memory (\(config.bufferMemory) bytes) within max.block.ms (\(config.maxBlockMs) ms)")))
    }

    func releaseGrant(_ bytes: Int) {
        let resumes: [() -> Void] = lock.withLock {
            accumulator.release(memory: bytes)
            return grantMemoryLocked()
        }
        for r in resumes { r() }
    }

    /// Hands free memory to waiters in order. Returns the resumptions to run outside the lock.
    func grantMemoryLocked() -> [() -> Void] {
        var resumes: [() -> Void] = []
        while let w = memoryWaiters.first, let c = w.continuation, accumulator.take(memory: w.bytes) {
            memoryWaiters.removeFirst()
            w.continuation = nil
            let bytes = w.bytes
            resumes.append { c.resume(returning: .success(bytes)) }
        }
        accumulator.memoryExhausted = !memoryWaiters.isEmpty
        return resumes
    }
}
