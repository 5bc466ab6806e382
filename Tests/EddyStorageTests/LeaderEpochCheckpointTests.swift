import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct LeaderEpochCheckpointTests {
    private func entries(_ pairs: [(Int32, Int64)]) -> [LeaderEpochEntry] {
        pairs.map { LeaderEpochEntry(epoch: $0.0, startOffset: $0.1) }
    }

    private func checkpointText(_ dir: TempDir) -> String? {
        FileManager.default.contents(atPath: dir.file("t-0/" + LeaderEpochCheckpointFile.fileName))
            .map { String(decoding: $0, as: UTF8.self) }
    }

    private func writeCheckpoint(_ dir: TempDir, _ text: String) {
        _ = FileManager.default.createFile(atPath: dir.file("t-0/" + LeaderEpochCheckpointFile.fileName), contents: Data(text.utf8))
    }

    @Test func formatIsKafkas() throws {
        let bytes = LeaderEpochCheckpointFile.encode(entries([(3, 0), (5, 1200)]))
        #expect(String(decoding: bytes, as: UTF8.self) == "0\n2\n3 0\n5 1200\n")
        #expect(try LeaderEpochCheckpointFile.decode(bytes) == entries([(3, 0), (5, 1200)]))
        #expect(String(decoding: LeaderEpochCheckpointFile.encode([]), as: UTF8.self) == "0\n0\n")
        #expect(try LeaderEpochCheckpointFile.decode(Array("0\n0\n".utf8)).isEmpty)
        // Without the final newline too, and equal start offsets (an epoch that wrote nothing) are tolerated.
        #expect(try LeaderEpochCheckpointFile.decode(Array("0\n2\n1 4\n2 4".utf8)) == entries([(1, 4), (2, 4)]))
    }

    @Test func garbageIsRejected() {
        let bad = ["", "0", "1\n0\n", "0\nx\n", "0\n2\n1 0\n", "0\n1\n1\n", "0\n1\n1 0 0\n", "0\n1\na 0\n", "0\n1\n1 b\n",
                   "0\n1\n-1 0\n", "0\n1\n1 -5\n", "0\n2\n2 0\n1 5\n", "0\n2\n1 0\n1 5\n", "0\n2\n1 5\n2 4\n",
                   "0\n1\n1 0\n2 5\n", "0\n1\n1  0\n", "0\n1\n99999999999 0\n"]
        for text in bad {
            #expect(throws: StorageError.self, "\(text.debugDescription)") { try LeaderEpochCheckpointFile.decode(Array(text.utf8)) }
        }
    }

    @Test func leaderAppendsRecordNewEpochsAndTheFileFollowsFlushes() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 3), leaderEpoch: 1)
        try log.append(makeBatch(first: 3, count: 2), leaderEpoch: 1)
        try log.append(makeBatch(first: 5, count: 2), leaderEpoch: 4)
        #expect(log.latestEpoch == 4)
        #expect(log.leaderEpochEntries == entries([(1, 0), (4, 5)]))
        // Written lazily: not before the recovery point moves.
        #expect(checkpointText(dir) == nil)
        try log.flush()
        #expect(checkpointText(dir) == "0\n2\n1 0\n4 5\n")
        try log.append(makeBatch(first: 7, count: 1), leaderEpoch: 6)
        try log.close()
        #expect(checkpointText(dir) == "0\n3\n1 0\n4 5\n6 7\n")
        let reopened = try openLog(dir, clean: true)
        #expect(reopened.leaderEpochEntries == entries([(1, 0), (4, 5), (6, 7)]))
        #expect(reopened.checkInvariants().isEmpty)
    }

    @Test func endOffsetForLeaderEpochThroughTheLog() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        #expect(log.endOffset(forLeaderEpoch: 0) == (-1, -1))
        try log.append(makeBatch(first: 0, count: 3), leaderEpoch: 2)
        try log.append(makeBatch(first: 3, count: 3), leaderEpoch: 5)
        #expect(log.endOffset(forLeaderEpoch: 5) == (5, 6))
        #expect(log.endOffset(forLeaderEpoch: 4) == (2, 3))
        #expect(log.endOffset(forLeaderEpoch: 2) == (2, 3))
        #expect(log.endOffset(forLeaderEpoch: 1) == (1, 0))
        #expect(log.endOffset(forLeaderEpoch: 6) == (-1, -1))
        #expect(log.endOffset(forLeaderEpoch: -1) == (-1, -1))
        // A new leader knows its epoch before it appends anything.
        #expect(try log.maybeAssignEpochStartOffset(leaderEpoch: 7))
        #expect(log.endOffset(forLeaderEpoch: 6) == (5, 6))
        #expect(log.endOffset(forLeaderEpoch: 7) == (7, 6))
        #expect(log.checkInvariants().isEmpty)
        try log.append(makeBatch(first: 6, count: 1), leaderEpoch: 7)
        #expect(log.leaderEpochEntries == entries([(2, 0), (5, 3), (7, 6)]))
    }

    @Test func anEpochAssignedButNeverWrittenIsDroppedOnReopen() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 3), leaderEpoch: 1)
        try log.maybeAssignEpochStartOffset(leaderEpoch: 2)
        try log.close()
        #expect(checkpointText(dir) == "0\n2\n1 0\n2 3\n")
        let reopened = try openLog(dir, clean: true)
        #expect(reopened.leaderEpochEntries == entries([(1, 0)]))
    }

    @Test func truncationKeepsTheCacheConsistent() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["segment.bytes": "300"]))
        for (i, epoch) in [1, 1, 2, 2, 3, 3, 4].enumerated() {
            try log.append(makeBatch(first: i * 3, count: 3), leaderEpoch: Int32(epoch))
        }
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 6), (3, 12), (4, 18)]))
        try log.truncate(to: 13) // inside the batch 12...14: the whole batch goes
        #expect(log.logEndOffset == 12)
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 6)]))
        #expect(log.endOffset(forLeaderEpoch: 2) == (2, 12))
        #expect(log.endOffset(forLeaderEpoch: 3) == (-1, -1))
        #expect(log.checkInvariants().isEmpty)
        // Truncating at or past the end drops an assigned-but-unwritten epoch, as in Kafka.
        try log.maybeAssignEpochStartOffset(leaderEpoch: 9)
        try log.truncate(to: 50)
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 6)]))
        // Appends after truncation take over.
        try log.append(makeBatch(first: 12, count: 3), leaderEpoch: 5)
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 6), (5, 12)]))
        try log.truncate(to: 0)
        #expect(log.leaderEpochEntries.isEmpty)
        try log.append(makeBatch(first: 0, count: 3), leaderEpoch: 6)
        try log.truncateFully(startingAt: 40)
        #expect(log.leaderEpochEntries.isEmpty && log.logEndOffset == 40)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func movingTheLogStartOffsetTrimsTheCache() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 10_000)
        let log = try openLog(dir, config: config(["segment.bytes": "200", "retention.ms": "1000"]), clock: clock)
        for (i, epoch) in [1, 1, 2, 2, 3, 3, 3].enumerated() {
            try log.append(makeBatch(first: i * 3, count: 3, timestamp: 100 * Int64(i)), leaderEpoch: Int32(epoch))
        }
        log.maybeIncrementHighWatermark(log.logEndOffset)
        try log.deleteRecords(before: 4)
        #expect(log.leaderEpochEntries == entries([(1, 4), (2, 6), (3, 12)]))
        try log.deleteRecords(before: 7)
        #expect(log.leaderEpochEntries == entries([(2, 7), (3, 12)]))
        // Retention deletes every inactive segment (all timestamps are old).
        #expect(try log.enforceRetention() > 0)
        let start = log.logStartOffset
        #expect(start > 12)
        #expect(log.leaderEpochEntries == entries([(3, start)]))
        #expect(log.checkInvariants().isEmpty)
        // The trimmed cache survives a restart, and a stale file is trimmed on open.
        try log.close()
        let reopened = try openLog(dir, config: config(["segment.bytes": "200"]), clean: true, logStart: start)
        #expect(reopened.leaderEpochEntries == entries([(3, start)]))
        try reopened.close()
        writeCheckpoint(dir, "0\n3\n1 0\n2 6\n3 12\n")
        let again = try openLog(dir, config: config(["segment.bytes": "200"]), clean: true, logStart: start)
        #expect(again.leaderEpochEntries == entries([(3, start)]))
    }

    @Test func staleEntriesOfAnEmptiedLogAreDropped() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 5), leaderEpoch: 7)
        try log.flush()
        try log.truncateFully(startingAt: 5)
        #expect(log.leaderEpochEntries.isEmpty)
        #expect(checkpointText(dir) == "0\n0\n", "cleared durably at once")
        try log.close()
        // Had the clearing not reached the disk, the old entry must still not survive.
        writeCheckpoint(dir, "0\n1\n7 3\n")
        let reopened = try openLog(dir, clean: true, logStart: 5)
        #expect(reopened.logEndOffset == 5 && reopened.logStartOffset == 5)
        #expect(reopened.leaderEpochEntries.isEmpty)
    }

    @Test func corruptOrMissingCheckpointIsRebuiltFromTheBatches() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "300"])
        let log = try openLog(dir, config: cfg)
        for (i, epoch) in [0, 0, 3, 3, 3, 7, 7, 8].enumerated() {
            try log.append(makeBatch(first: i * 3, count: 3), leaderEpoch: Int32(epoch))
        }
        let expected = entries([(0, 0), (3, 6), (7, 15), (8, 21)])
        #expect(log.leaderEpochEntries == expected)
        #expect(log.segmentCount > 2)
        try log.close()
        for garbage in ["", "0\n4\n0 0\n3 6\n", "0\n2\n7 15\n3 6\n", "junk\u{0}\u{1}"] {
            writeCheckpoint(dir, garbage)
            let reopened = try openLog(dir, config: cfg, clean: true)
            #expect(reopened.leaderEpochEntries == expected, "\(garbage.debugDescription)")
            try reopened.close()
            #expect(checkpointText(dir) == "0\n4\n0 0\n3 6\n7 15\n8 21\n", "rewritten on close")
        }
        try FileManager.default.removeItem(atPath: dir.file("t-0/" + LeaderEpochCheckpointFile.fileName))
        let reopened = try openLog(dir, config: cfg, clean: true)
        #expect(reopened.leaderEpochEntries == expected)
    }

    /// After a crash the checkpoint may be stale for the unflushed tail (it is written lazily):
    /// recovery re-derives the entries of the segments it scans from their batches, and trusts
    /// the checkpoint below them.
    @Test func recoveryRederivesTheEntriesOfTheScannedTail() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "300"])
        let log = try openLog(dir, config: cfg)
        for (i, epoch) in [1, 1, 1, 2, 2, 3, 4].enumerated() {
            try log.append(makeBatch(first: i * 3, count: 3), leaderEpoch: Int32(epoch))
        }
        let segmentBases = log.segments.map(\.baseOffset)
        #expect(segmentBases.count >= 3)
        log.closeWithoutFlush()
        // The recovery point is in the second segment; the checkpoint on disk is stale there.
        let recoveryPoint = segmentBases[1] + 3
        for stale in ["0\n1\n1 0\n", "0\n3\n1 0\n2 9\n9 10\n", "0\n2\n1 0\n8 \(segmentBases[1])\n"] {
            writeCheckpoint(dir, stale)
            let reopened = try openLog(dir, config: cfg, recoveryPoint: recoveryPoint)
            #expect(reopened.logEndOffset == 21)
            #expect(reopened.leaderEpochEntries == entries([(1, 0), (2, 9), (3, 15), (4, 18)]), "\(stale.debugDescription)")
            #expect(reopened.checkInvariants().isEmpty)
            reopened.closeWithoutFlush()
        }
        // Below the scanned segments the checkpoint is trusted (those batches were flushed with it).
        writeCheckpoint(dir, "0\n2\n0 0\n1 1\n")
        let trusted = try openLog(dir, config: cfg, recoveryPoint: recoveryPoint)
        #expect(trusted.leaderEpochEntries == entries([(0, 0), (1, 1), (2, 9), (3, 15), (4, 18)]))
    }
}
