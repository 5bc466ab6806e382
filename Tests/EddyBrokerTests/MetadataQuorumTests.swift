import EddyProtocol
import EddyRaft
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// The in-process controller quorum over real metadata log directories.
@Suite struct MetadataQuorumTests {
    struct Setup {
        let dir = TempDirectory("quorum")
        let clock = ManualClock()
        var metadata = MetadataLog.Settings()

        func open(_ voters: [Int32] = [0, 1, 2], seed: UInt64 = 1) throws -> MetadataQuorum {
            try MetadataQuorum(voters: voters, directory: { dir.file("controller-\($0)") }, metadataSettings: metadata, clock: clock, seed: seed)
        }
    }

    static func topic(_ name: String, _ image: MetadataImage) throws -> [MetadataRecord] {
        try Controller(brokerIds: [0]).createTopic(name: name, partitions: 1, replicationFactor: 1, configs: [:],
                                                   topicId: Uuid.random(), image: image).records
    }

    /// Creates `name` through the quorum and waits for it to commit.
    static func create(_ name: String, in quorum: MetadataQuorum) throws {
        try quorum.write(topic(name, quorum.latestImage()))
        quorum.sync()
    }

    /// Advances time in small steps (the ticks a driver gives) until `condition` holds.
    static func tick(_ quorum: MetadataQuorum, _ clock: ManualClock, upTo ms: Int64, until condition: () -> Bool) -> Bool {
        var waited: Int64 = 0
        while waited <= ms {
            if condition() { return true }
            clock.advance(ms: 50)
            waited += 50
            quorum.tick()
        }
        return condition()
    }

    @Test func threeVotersElectALeaderAtOnceAndCommitWhatItWrites() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        let quorum = try s.open()
        defer { quorum.close() }
        let leader = try #require(quorum.activeController)
        try Self.create("orders", in: quorum)
        #expect(quorum.committedImage.topic(named: "orders") != nil)
        // A follower learns the new high watermark with its next fetch's answer, at the latest
        // when the leader's wait for new records (500 ms) ends.
        #expect(Self.tick(quorum, s.clock, upTo: 600) { [0, 1, 2].allSatisfy { quorum.replicaLog($0)?.image.topic(named: "orders") != nil } })
        for id: Int32 in [0, 1, 2] {
            // Every replica persisted its election state.
            let state = try #require(try QuorumStateFile.read(directory: s.dir.file("controller-\(id)")))
            #expect(state.voters == [0, 1, 2] && state.election.epoch == quorum.raftState(leader)?.epoch, "node \(id)")
        }
    }

    /// The active controller dies: writes fail with NOT_CONTROLLER until the others elect a new
    /// one (after controller.quorum.fetch.timeout.ms and an election timeout), which has every
    /// committed change and commits new ones with two of three voters.
    @Test func whenTheActiveControllerDiesAnotherIsElectedWithEverythingCommitted() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        let quorum = try s.open()
        defer { quorum.close() }
        try Self.create("before", in: quorum)
        let old = try #require(quorum.activeController)
        let oldEpoch = try #require(quorum.raftState(old)).epoch
        quorum.kill(old)
        #expect(quorum.activeController == nil)
        #expect(throws: BrokerError.self) { try quorum.latestImage() }
        #expect(Self.tick(quorum, s.clock, upTo: 10_000) { quorum.activeController != nil })
        let new = try #require(quorum.activeController)
        #expect(new != old && quorum.raftState(new)!.epoch > oldEpoch)
        #expect(quorum.committedImage.topic(named: "before") != nil)
        try Self.create("after", in: quorum)
        #expect(quorum.committedImage.topic(named: "after") != nil)
        // The old leader comes back as a follower and catches up.
        try quorum.restart(old)
        quorum.sync()
        #expect(Self.tick(quorum, s.clock, upTo: 5_000) { quorum.replicaLog(old)?.image.topic(named: "after") != nil })
        #expect(quorum.activeController == new)
    }

    /// Found in review: a leader that loses its leadership between a write and the sync that
    /// would have made it durable never made it durable, so it never fetched again (a replica
    /// fetches only once its appends are durable) and never caught up.
    @Test func aLeaderDeposedBeforeItsWriteWasSyncedCatchesUp() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        let quorum = try s.open()
        defer { quorum.close() }
        let old = try #require(quorum.activeController)
        try quorum.write(Self.topic("unsynced", quorum.latestImage()))
        quorum.core.withLock { core in
            let m = core.members[old]!
            core.perform(m.raft!.resign(nowMs: core.nowMs), on: m)
            core.pump()
        }
        #expect(Self.tick(quorum, s.clock, upTo: 10_000) { quorum.activeController.map { $0 != old } ?? false })
        try Self.create("after", in: quorum)
        #expect(Self.tick(quorum, s.clock, upTo: 5_000) { quorum.replicaLog(old)?.image.topic(named: "after") != nil })
    }

    @Test func withoutAMajorityNothingCommits() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        let quorum = try s.open()
        defer { quorum.close() }
        let leader = try #require(quorum.activeController)
        for id: Int32 in [0, 1, 2] where id != leader { quorum.kill(id) }
        try quorum.write(Self.topic("lonely", quorum.latestImage()))
        quorum.sync()
        #expect(quorum.committedImage.topic(named: "lonely") == nil)
        #expect(try quorum.latestImage().topic(named: "lonely") != nil)
        // With a follower back, it commits.
        try quorum.restart((leader + 1) % 3)
        quorum.sync()
        #expect(Self.tick(quorum, s.clock, upTo: 3_000) { quorum.committedImage.topic(named: "lonely") != nil })
    }

    /// Reopened, the quorum elects again and every committed change is there; so is what was
    /// written but not committed when the process stopped cleanly, once the new leader commits
    /// its epoch (it is in the new leader's log).
    @Test func reopeningKeepsTheCommittedMetadata() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        var epoch: Int32 = 0
        do {
            let quorum = try s.open()
            for name in ["a", "b", "c"] { try Self.create(name, in: quorum) }
            epoch = quorum.raftState(quorum.activeController!)!.epoch
            quorum.close()
        }
        let quorum = try s.open(seed: 2)
        defer { quorum.close() }
        #expect(quorum.committedImage.topicNames.sorted() == ["a", "b", "c"])
        #expect(quorum.raftState(quorum.activeController!)!.epoch > epoch)
    }

    @Test func aSingleVoterCommitsAlone() throws {
        let s = Setup()
        defer { s.dir.cleanup() }
        let quorum = try s.open([0])
        defer { quorum.close() }
        #expect(quorum.activeController == 0)
        try Self.create("solo", in: quorum)
        #expect(quorum.committedImage.topic(named: "solo") != nil)
    }

    /// A voter that was down while the others snapshotted and deleted their logs below the
    /// snapshot catches up by fetching the snapshot.
    @Test func aVoterFarBehindFetchesTheSnapshot() throws {
        var s = Setup()
        s.metadata.maxRecordsBetweenSnapshots = 5
        s.metadata.segmentBytes = 1024
        defer { s.dir.cleanup() }
        let quorum = try s.open()
        defer { quorum.close() }
        let leader = try #require(quorum.activeController)
        let behind = (leader + 1) % 3
        quorum.kill(behind)
        for i in 0 ..< 20 { try Self.create("t\(i)", in: quorum) }
        let leaderLog = try #require(quorum.replicaLog(leader))
        #expect(leaderLog.latestSnapshot != nil && leaderLog.logStartOffset > 0)
        try quorum.restart(behind)
        quorum.sync()
        #expect(Self.tick(quorum, s.clock, upTo: 3_000) { quorum.replicaLog(behind)?.image.topicNames.count == 20 })
        let caughtUp = try #require(quorum.replicaLog(behind))
        #expect(caughtUp.latestSnapshot != nil)
        #expect(caughtUp.image.topicNames.sorted() == quorum.committedImage.topicNames.sorted())
    }

    /// A voter whose newest snapshot is corrupt, with its log below it deleted, cannot be read
    /// back: it stays down (its files kept) and the others run the quorum with everything
    /// committed.
    @Test func aVoterThatCannotBeReadBackStaysDownAndTheOthersGoOn() throws {
        var s = Setup()
        s.metadata.maxRecordsBetweenSnapshots = 5
        s.metadata.segmentBytes = 1024
        defer { s.dir.cleanup() }
        var broken: Int32 = 0
        do {
            let quorum = try s.open()
            let leader = try #require(quorum.activeController)
            broken = (leader + 1) % 3
            for i in 0 ..< 20 { try Self.create("t\(i)", in: quorum) }
            #expect(Self.tick(quorum, s.clock, upTo: 3_000) { (quorum.replicaLog(broken)?.logStartOffset ?? 0) > 0 })
            quorum.close()
        }
        let dir = s.dir.file("controller-\(broken)")
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".checkpoint") }
        #expect(!checkpoints.isEmpty)
        for name in checkpoints { try Data(repeating: 0xff, count: 64).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        let quorum = try s.open()
        defer { quorum.close() }
        #expect(!quorum.isRunning(broken) && quorum.activeController != nil)
        #expect(quorum.committedImage.topicNames.count == 20)
        try Self.create("after", in: quorum)
        #expect(quorum.committedImage.topic(named: "after") != nil)
        #expect(throws: BrokerError.self) { try quorum.restart(broken) }
        // Two voters that cannot be read back leave no majority: opening fails.
        quorum.close()
        let other = (broken + 1) % 3
        let otherDir = s.dir.file("controller-\(other)")
        for name in try FileManager.default.contentsOfDirectory(atPath: otherDir) where name.hasSuffix(".checkpoint") {
            try Data(repeating: 0xff, count: 64).write(to: URL(fileURLWithPath: otherDir + "/" + name))
        }
        #expect(throws: BrokerError.self) { _ = try s.open() }
    }
}
