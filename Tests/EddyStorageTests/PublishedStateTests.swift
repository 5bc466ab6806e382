import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// The bounds, config and epoch history a broker reads under its own locks are published at the
/// end of each locked section, so reading them never waits for an append or fsync in progress.
@Suite struct PublishedStateTests {
    @Test func boundsAreReadableWhileAnAppendWrites() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 3), leaderEpoch: 4)
        log.maybeIncrementHighWatermark(2)
        let writing = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        log.beforeWrite = {
            writing.signal()
            release.wait()
        }
        defer { release.signal() }
        // Threads of their own: blocked Dispatch workers would starve the pool on 2 cores.
        let appended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? log.append(makeBatch(first: 3, count: 2), leaderEpoch: 5)
            appended.signal()
        }
        #expect(writing.wait(timeout: .now() + 10) == .success)

        // The append holds the log's lock: readers see the state from before it, at once.
        let seen = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var bounds: [Int64] = []
        nonisolated(unsafe) var raised = false
        let size = log.sizeInBytes
        Thread.detachNewThread {
            bounds = [log.logStartOffset, log.logEndOffset, log.highWatermark, Int64(log.latestEpoch ?? -1),
                      log.endOffset(forLeaderEpoch: 4).endOffset, Int64(log.config.minInsyncReplicas), log.sizeInBytes]
            // The high watermark moves without waiting either, capped at the published log end.
            raised = log.maybeIncrementHighWatermark(10)
            seen.signal()
        }
        #expect(seen.wait(timeout: .now() + 10) == .success, "reading a log's bounds waited for an append in progress")
        #expect(bounds == [0, 3, 2, 4, 3, 1, size])
        #expect(raised)
        #expect(log.highWatermark == 3)

        release.signal()
        #expect(appended.wait(timeout: .now() + 10) == .success)
        #expect(log.logEndOffset == 5)
        #expect(log.sizeInBytes > size)
        #expect(log.latestEpoch == 5)
        #expect(log.endOffset(forLeaderEpoch: 4).endOffset == 3)
        #expect(log.highWatermark == 3)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func aTruncationBelowTheHighWatermarkPublishesBoth() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 2))
        try log.append(makeBatch(first: 2, count: 3))
        log.maybeIncrementHighWatermark(5)
        try log.truncate(to: 2)
        #expect(log.logEndOffset == 2)
        #expect(log.highWatermark == 2)
        #expect(!log.maybeIncrementHighWatermark(4))
        #expect(log.highWatermark == 2)
        #expect(log.checkInvariants().isEmpty)
    }
}
