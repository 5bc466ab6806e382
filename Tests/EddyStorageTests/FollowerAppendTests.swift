import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct FollowerAppendTests {
    private func entries(_ pairs: [(Int32, Int64)]) -> [LeaderEpochEntry] {
        pairs.map { LeaderEpochEntry(epoch: $0.0, startOffset: $0.1) }
    }

    private func gapsMarked(_ dir: TempDir) -> Bool {
        FileManager.default.fileExists(atPath: dir.file("t-0/" + PartitionLog.offsetGapsMarker))
    }

    @Test func keepsTheLeadersBytesOffsetsAndEpochs() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        let batches = leaderBatch(base: 0, count: 3, epoch: 1) + leaderBatch(base: 3, count: 2, epoch: 1)
        let info = try log.appendAsFollower(batches)
        #expect(info == LogAppendInfo(firstOffset: 0, lastOffset: 4, maxTimestamp: 1_002, logAppendTime: -1,
                                      recordCount: 5, batchCount: 2, validBytes: batches.count))
        try log.appendAsFollower(leaderBatch(base: 5, count: 1, epoch: 3))
        #expect(log.logEndOffset == 6)
        // Byte for byte what the leader had.
        #expect(try log.read(from: 0, maxBytes: 1 << 20).bytes == batches + leaderBatch(base: 5, count: 1, epoch: 3))
        #expect(try offsetsAndValues(log) == (0 ..< 6).map { "\($0):v\($0)" })
        #expect(log.leaderEpochEntries == entries([(1, 0), (3, 5)]))
        #expect(log.endOffset(forLeaderEpoch: 2) == (1, 5))
        #expect(!gapsMarked(dir))
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func leaderAndFollowerLogsAreIdentical() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let leader = try PartitionLog(directory: dir.file("leader"), topicPartition: TopicPartition("t", 0),
                                      config: LogConfig(), clock: ManualClock(nowMs: 10_000))
        let follower = try openLog(dir)
        for i in 0 ..< 12 {
            try leader.append(makeBatch(first: i * 2, count: 2), leaderEpoch: Int32(i / 4))
            let fetched = try leader.read(from: follower.logEndOffset, maxBytes: 1 << 20)
            try follower.appendAsFollower(fetched.bytes)
        }
        #expect(follower.logEndOffset == leader.logEndOffset)
        #expect(try follower.read(from: 0, maxBytes: 1 << 20).bytes == (try leader.read(from: 0, maxBytes: 1 << 20).bytes))
        #expect(follower.leaderEpochEntries == leader.leaderEpochEntries)
        #expect(follower.leaderEpochEntries == entries([(0, 0), (1, 8), (2, 16)]))
    }

    @Test func gapsAreMarkedBeforeWritingAndSurviveRecovery() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 0, count: 2, epoch: 0))
        #expect(!gapsMarked(dir))
        // Between batches of one append.
        try log.appendAsFollower(leaderBatch(base: 2, count: 1, epoch: 0) + leaderBatch(base: 7, count: 1, epoch: 0))
        #expect(gapsMarked(dir))
        // Inside a compacted batch (deltas 0 and 4 of 0...5) and between the log end and the first batch.
        try log.appendAsFollower(leaderBatch(base: 10, count: 2, epoch: 2, deltas: [0, 4], lastOffsetDelta: 5))
        // An empty batch the cleaner left behind.
        try log.appendAsFollower(leaderBatch(base: 16, count: 0, epoch: 2, lastOffsetDelta: 1))
        #expect(log.logEndOffset == 18)
        let expected = ["0:v0", "1:v1", "2:v2", "7:v7", "10:v10", "14:v14"]
        #expect(try offsetsAndValues(log) == expected)
        #expect(log.leaderEpochEntries == entries([(0, 0), (2, 10)]))
        log.closeWithoutFlush()
        let reopened = try openLog(dir)
        #expect(reopened.logEndOffset == 18)
        #expect(try offsetsAndValues(reopened) == expected)
        #expect(reopened.leaderEpochEntries == entries([(0, 0), (2, 10)]))
    }

    @Test func gapFromTheLogEndMarksToo() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 500, count: 2, epoch: 4))
        #expect(gapsMarked(dir))
        #expect(log.logEndOffset == 502)
        #expect(try offsetsAndValues(log) == ["500:v500", "501:v501"])
        #expect(log.leaderEpochEntries == entries([(4, 500)]))
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func rejectsOverlapAndDisorderWithoutWriting() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 0, count: 5, epoch: 1))
        let size = log.sizeInBytes
        // Starts below the log end (overlap).
        #expect(throws: StorageError.offsetsOutOfOrder(expectedAtLeast: 5, found: 4)) {
            try log.appendAsFollower(leaderBatch(base: 4, count: 2, epoch: 1))
        }
        #expect(throws: StorageError.offsetsOutOfOrder(expectedAtLeast: 5, found: 0)) {
            try log.appendAsFollower(leaderBatch(base: 0, count: 5, epoch: 1))
        }
        // Batches out of order or overlapping each other.
        #expect(throws: StorageError.offsetsOutOfOrder(expectedAtLeast: 8, found: 5)) {
            try log.appendAsFollower(leaderBatch(base: 5, count: 3, epoch: 1) + leaderBatch(base: 5, count: 1, epoch: 1))
        }
        #expect(throws: StorageError.offsetsOutOfOrder(expectedAtLeast: 8, found: 7)) {
            try log.appendAsFollower(leaderBatch(base: 5, count: 3, epoch: 1) + leaderBatch(base: 7, count: 1, epoch: 2))
        }
        #expect(log.sizeInBytes == size && log.logEndOffset == 5)
        #expect(log.leaderEpochEntries == entries([(1, 0)]))
        #expect(!gapsMarked(dir))
        try log.appendAsFollower(leaderBatch(base: 5, count: 1, epoch: 1))
        #expect(log.logEndOffset == 6)
    }

    @Test func rejectsCorruptBatchesWithoutWriting() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        let good = leaderBatch(base: 0, count: 3, epoch: 1)
        // Every byte covered by the CRC, flipped.
        for i in RecordBatchHeader.attributesOffset ..< good.count {
            var bad = good
            bad[i] ^= 0x10
            #expect(throws: StorageError.self, "byte \(i)") { try log.appendAsFollower(bad) }
        }
        #expect(throws: StorageError.self) { try log.appendAsFollower([]) }
        #expect(throws: StorageError.self) { try log.appendAsFollower(Array(good.dropLast(1))) }
        #expect(throws: StorageError.self) { try log.appendAsFollower(good + [0, 0, 0]) }
        // A valid batch followed by a corrupt one: neither is written.
        var corrupt = leaderBatch(base: 3, count: 1, epoch: 2)
        corrupt[corrupt.count - 1] ^= 1
        #expect(throws: StorageError.self) { try log.appendAsFollower(good + corrupt) }
        #expect(log.logEndOffset == 0 && log.sizeInBytes == 0 && log.leaderEpochEntries.isEmpty)
        // A batch whose last offset would overflow.
        var overflowing = try RecordBatch(bytes: leaderBatch(base: 0, count: 3, epoch: 1))
        overflowing.setBaseOffset(Int64.max - 1)
        #expect(throws: StorageError.self) { try log.appendAsFollower(overflowing.bytes) }
        #expect(log.logEndOffset == 0)
    }

    @Test func noMaxMessageBytesCheckAndNoKeyRuleForFollowers() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["max.message.bytes": "100", "cleanup.policy": "compact"]))
        var b = RecordBatchBuilder(baseOffset: 0, partitionLeaderEpoch: 0)
        b.append(timestamp: 1, key: nil, value: [UInt8](repeating: 7, count: 500))
        try log.appendAsFollower(b.build().bytes)
        #expect(log.logEndOffset == 1)
    }

    @Test func rollsSegmentsAndFlushesLikeAppend() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["segment.bytes": "300", "flush.messages": "4"]))
        for i in 0 ..< 10 {
            try log.appendAsFollower(leaderBatch(base: Int64(i * 3), count: 3, epoch: Int32(i / 3)))
        }
        log.awaitBackgroundFlushes()
        #expect(log.segmentCount > 2)
        // flush.messages=4 with 3-record batches: flushed after every second append.
        #expect(log.recoveryPoint == 30)
        #expect(try offsetsAndValues(log) == (0 ..< 30).map { "\($0):v\($0)" })
        #expect(log.checkInvariants().isEmpty)
        // A gap crossing into a new segment starts it at the batch's own offset, as Kafka does.
        try log.appendAsFollower(leaderBatch(base: 40, count: 3, epoch: 5, valueSize: 200))
        #expect(log.segments.last!.baseOffset == 40)
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func aGapBeyondWhatASegmentCanAddressStartsANewSegment() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 0, count: 2, epoch: 0))
        let far = Int64(Int32.max) + 100
        try log.appendAsFollower(leaderBatch(base: far, count: 2, epoch: 1))
        #expect(log.segments.map(\.baseOffset) == [0, far])
        // Even when the active segment is empty (just rolled), it is replaced at the new base.
        try log.roll()
        let farther = far + Int64(Int32.max) + 7
        try log.appendAsFollower(leaderBatch(base: farther, count: 1, epoch: 1))
        #expect(log.segments.map(\.baseOffset) == [0, far, farther])
        #expect(try offsetsAndValues(log) == ["0:v0", "1:v1", "\(far):v\(far)", "\(far + 1):v\(far + 1)", "\(farther):v\(farther)"])
        #expect(log.checkInvariants().isEmpty)
        log.closeWithoutFlush()
        let reopened = try openLog(dir)
        #expect(reopened.logEndOffset == farther + 1)
        #expect(reopened.leaderEpochEntries == entries([(0, 0), (1, far)]))
    }

    /// A follower that diverged truncates by epoch and continues; its cache always equals the
    /// cache rebuilt from its batches.
    @Test func divergenceTruncateAndContinue() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 0, count: 4, epoch: 1) + leaderBatch(base: 4, count: 4, epoch: 2))
        // This replica led epoch 3 briefly and wrote records no one else has.
        try log.maybeAssignEpochStartOffset(leaderEpoch: 3)
        try log.append(makeBatch(first: 8, count: 2), leaderEpoch: 3)
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 4), (3, 8)]))
        // The new leader (epoch 4) has epoch 2 ending at 6: truncate there.
        let (epoch, end) = log.endOffset(forLeaderEpoch: 2)
        #expect(epoch == 2 && end == 8)
        try log.truncate(to: min(6, end))
        #expect(log.logEndOffset == 4) // whole batches: 4...7 was one batch
        #expect(log.leaderEpochEntries == entries([(1, 0)]))
        try log.appendAsFollower(leaderBatch(base: 4, count: 2, epoch: 2) + leaderBatch(base: 6, count: 3, epoch: 4))
        #expect(log.leaderEpochEntries == entries([(1, 0), (2, 4), (4, 6)]))
        #expect(try epochsFromBatches(log) == log.leaderEpochEntries)
        #expect(log.checkInvariants().isEmpty)
    }
}
