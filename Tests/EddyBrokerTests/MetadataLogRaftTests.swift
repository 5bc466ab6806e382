import EddyProtocol
import EddyRaft
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// A metadata log as a replica of the quorum's log (`MetadataLog+Raft`).
@Suite struct MetadataLogRaftTests {
    static func records(_ name: String, _ image: MetadataImage) throws -> [MetadataRecord] {
        try Controller(brokerIds: [0]).createTopic(name: name, partitions: 1, replicationFactor: 1, configs: [:],
                                                   topicId: Uuid.random(), image: image).records
    }

    /// Leader batches: a control batch, then one topic per batch, in `epoch`.
    static func lead(_ log: MetadataLog, epoch: Int32, topics: [String]) throws -> [RaftBatch] {
        var written = [try log.appendAsLeader(RaftBatch(baseOffset: log.logEndOffset, epoch: epoch, records: [[1, 2]], isControl: true))]
        for name in topics {
            let values = try log.prepare(records(name, log.latestImage))
            written.append(try log.appendAsLeader(RaftBatch(baseOffset: log.logEndOffset, epoch: epoch, records: values)))
        }
        return written
    }

    @Test func aFollowerStoresTheLeadersBatchesByteForByteAndCommitsExactPrefixes() throws {
        let dir = TempDirectory("metadata-raft")
        defer { dir.cleanup() }
        let clock = ManualClock()
        let leader = try MetadataLog(directory: dir.file("leader"), clock: clock, committedEnd: 0)
        let follower = try MetadataLog(directory: dir.file("follower"), clock: clock, committedEnd: 0)
        let written = try Self.lead(leader, epoch: 3, topics: ["a", "b"])
        try follower.appendAsFollower(try leader.raftBatches(from: 0, maxBytes: 1 << 20))
        #expect(try follower.raftBatches(from: 0, maxBytes: 1 << 20) == written)
        #expect(follower.raftLogState == leader.raftLogState)
        #expect(leader.raftLogState.end == OffsetAndEpoch(offset: leader.logEndOffset, epoch: 3))
        // Nothing is committed until the high watermark passes it, then exactly the prefix.
        #expect(follower.image.topicNames.isEmpty && follower.latestImage.topicNames.sorted() == ["a", "b"])
        follower.commit(below: written[1].nextOffset)
        #expect(follower.image.topicNames == ["a"])
        follower.commit(below: written[2].nextOffset)
        #expect(follower.image.topicNames.sorted() == ["a", "b"])
    }

    @Test func truncationGoesBackToAnUncommittedPrefixButNeverBelowTheCommittedOne() throws {
        let dir = TempDirectory("metadata-raft")
        defer { dir.cleanup() }
        let log = try MetadataLog(directory: dir.path, clock: ManualClock(), committedEnd: 0)
        let written = try Self.lead(log, epoch: 1, topics: ["a", "b", "c"])
        log.commit(below: written[1].nextOffset)
        try log.truncate(to: written[2].baseOffset)
        #expect(log.latestImage.topicNames == ["a"] && log.logEndOffset == written[2].baseOffset)
        #expect(throws: BrokerError.self) { try log.truncate(to: written[1].baseOffset) }
        #expect(log.image.topicNames == ["a"])
    }

    /// Reopened with the offset known committed, records after it are in the latest image only.
    @Test func reopeningKeepsUncommittedRecordsOutOfTheCommittedImage() throws {
        let dir = TempDirectory("metadata-raft")
        defer { dir.cleanup() }
        let clock = ManualClock()
        let written: [RaftBatch]
        do {
            let log = try MetadataLog(directory: dir.path, clock: clock, committedEnd: 0)
            written = try Self.lead(log, epoch: 2, topics: ["a", "b"])
            try log.close()
        }
        let reopened = try MetadataLog(directory: dir.path, clock: clock, committedEnd: written[1].nextOffset)
        #expect(reopened.image.topicNames == ["a"] && reopened.latestImage.topicNames.sorted() == ["a", "b"])
        #expect(reopened.raftLogState.epochs == [RaftLogState.EpochEntry(epoch: 2, startOffset: 0)])
        reopened.commit(below: reopened.logEndOffset)
        #expect(reopened.image.topicNames.sorted() == ["a", "b"])
        try reopened.close()
        // A single controller's log (no committedEnd) counts everything on disk as committed.
        let legacy = try MetadataLog(directory: dir.path, clock: clock)
        #expect(legacy.image.topicNames.sorted() == ["a", "b"])
        try legacy.close()
    }

    @Test func aBatchThatDoesNotContinueTheLogIsRefusedWhole() throws {
        let dir = TempDirectory("metadata-raft")
        defer { dir.cleanup() }
        let clock = ManualClock()
        let leader = try MetadataLog(directory: dir.file("leader"), clock: clock, committedEnd: 0)
        let follower = try MetadataLog(directory: dir.file("follower"), clock: clock, committedEnd: 0)
        let written = try Self.lead(leader, epoch: 1, topics: ["a"])
        #expect(throws: BrokerError.self) { try follower.appendAsFollower([written[1]]) }
        var unencoded = written[0]
        unencoded.encoded = nil
        #expect(throws: BrokerError.self) { try follower.appendAsFollower([unencoded]) }
        #expect(follower.logEndOffset == 0 && follower.latestImage.topicNames.isEmpty)
    }
}
