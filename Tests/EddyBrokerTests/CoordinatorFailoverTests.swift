import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Group coordinator failover: a new leader of a `__consumer_offsets` partition loads its groups
/// and offsets from the log before serving them.
@Suite struct CoordinatorFailoverTests {
    @Test func committedOffsetsAndGroupsSurviveACoordinatorCrash() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 3, replicationFactor: 3)
        let c = try s.coordinator(of: "g")
        let (a, join) = try s.joinNewMember("g", at: c, clientId: "ca")
        let joined = try #require(join.joinResponse)
        guard case let .syncGroup(sync) = try s.call(.syncGroup(SyncGroupRequest(
            groupId: "g", generationId: joined.generationId, memberId: a, assignments: [.init(memberId: a, assignment: [7])])), to: c) else {
            throw TestFailure("not SyncGroup")
        }
        #expect(sync.errorCode == .none)
        for p: Int32 in 0 ..< 3 {
            #expect(try s.commit("g", TopicPartition("t", p), offset: Int64(10 * (p + 1)), generation: joined.generationId, member: a, at: c) == .none)
        }
        // Another group on whichever coordinator, committed outside group management.
        let other = try s.coordinator(of: "simple")
        #expect(try s.commit("simple", TopicPartition("t", 0), offset: 99, at: other) == .none)

        try s.cluster.killBroker(c, fenceNow: true)
        let next = try s.coordinator(of: "g", via: s.cluster.runningBrokers[0])
        #expect(next != c)
        for p: Int32 in 0 ..< 3 {
            #expect(try s.committed("g", TopicPartition("t", p), at: next)?.committedOffset == Int64(10 * (p + 1)))
        }
        let d = try s.describe("g", at: next)
        #expect(d.groupState == "Stable" && d.members.map(\.memberId) == [a] && d.members.first?.memberAssignment == [7])
        #expect(try s.heartbeat("g", member: a, generation: joined.generationId, at: next) == .none)
        let simple = try s.coordinator(of: "simple", via: next)
        #expect(try s.committed("simple", TopicPartition("t", 0), at: simple)?.committedOffset == 99)

        // Commits keep working on the new coordinator, and survive the old one coming back and
        // taking leadership back (it truncates and reloads).
        #expect(try s.commit("g", TopicPartition("t", 0), offset: 11, generation: joined.generationId, member: a, at: next) == .none)
        try s.cluster.startBroker(c)
        s.pump()
        s.cluster.settle()
        let back = try s.coordinator(of: "g")
        #expect(try s.committed("g", TopicPartition("t", 0), at: back)?.committedOffset == 11)
        #expect(try s.committed("g", TopicPartition("t", 2), at: back)?.committedOffset == 30)
    }

    @Test func groupsSurviveAWholeClusterRestart() throws {
        let dir = TempDirectory("restart"); defer { dir.cleanup() }
        var options = ClusterOptions()
        options.initialBrokerCount = 3
        options.randomSeed = 3
        options.groupCoordinator.groupInitialRebalanceDelayMs = 0
        let clock = ManualClock()
        do {
            let cluster = try Cluster(dataDirectory: dir.path, clock: clock, options: options)
            try cluster.createTopic("t", partitions: 1, replicationFactor: 2)
            guard case let .findCoordinator(f) = try cluster.call(.findCoordinator(FindCoordinatorRequest(key: "g")), to: 0) else {
                throw TestFailure("not FindCoordinator")
            }
            let commit = OffsetCommitRequest(groupId: "g", topic: "t", partition: 0, offset: 123)
            guard case let .offsetCommit(r) = try cluster.call(.offsetCommit(commit), to: f.nodeId) else { throw TestFailure("not OffsetCommit") }
            #expect(r.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
            try cluster.shutdown()
        }
        let cluster = try Cluster(dataDirectory: dir.path, clock: clock, options: options)
        defer { try? cluster.shutdown() }
        guard case let .findCoordinator(f) = try cluster.call(.findCoordinator(FindCoordinatorRequest(key: "g")), to: 1) else {
            throw TestFailure("not FindCoordinator")
        }
        guard case let .offsetFetch(o) = try cluster.call(.offsetFetch(OffsetFetchRequest(groupId: "g", topic: "t", partition: 0)), to: f.nodeId) else {
            throw TestFailure("not OffsetFetch")
        }
        #expect(o.partition(topic: "t", partition: 0)?.committedOffset == 123)
    }

    /// The loader reads `__consumer_offsets` as the cleaner leaves it: latest value per key,
    /// tombstones honoured.
    @Test func offsetsSurviveCompactionOfTheOffsetsTopic() throws {
        let s = try ServedCluster(brokers: 1) { $0.offsetsTopicSegmentBytes = 1024 }
        defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let c = try s.coordinator(of: "g")
        for i in 0 ..< 60 { #expect(try s.commit("g", TopicPartition("t", 0), offset: Int64(i), at: c) == .none) }
        let tp = TopicPartition(OffsetsTopic.name, OffsetsTopic.partitionFor(groupId: "g"))
        let before = try #require(s.cluster.replicaOffsets(tp)[c])
        try s.cluster.runMaintenance(compactNow: true)
        let kept = try s.cluster.lock.withLock { () throws -> Int in
            guard let log = s.cluster.nodes[c]?.replicas[tp]?.log else { return -1 }
            return try Cluster.storedRecords(of: log, upTo: log.logEndOffset).count
        }
        #expect(kept > 0 && kept < 60) // the cleaner dropped superseded commits
        try s.cluster.stopBroker(c)
        try s.cluster.startBroker(c)
        s.cluster.settle()
        #expect(try s.committed("g", TopicPartition("t", 0), at: try s.coordinator(of: "g"))?.committedOffset == 59)
        #expect(before.logEndOffset == 60)
    }
}

extension CoordinatorFailoverTests {
    /// A partition whose records cannot be loaded is not served (COORDINATOR_LOAD_IN_PROGRESS,
    /// retried on every tick) rather than served with groups missing.
    @Test func anUnloadablePartitionAnswersLoadInProgress() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        let c = try s.coordinator(of: "g")
        #expect(try s.commit("g", TopicPartition("t", 0), offset: 1, at: c) == .unknownTopicOrPartition)
        let tp = TopicPartition(OffsetsTopic.name, OffsetsTopic.partitionFor(groupId: "g"))
        var b = RecordBatchBuilder()
        b.append(timestamp: s.clock.nowMs(), key: OffsetsTopicRecord.encode(.offsetCommit(group: "g", TopicPartition("t", 0))), value: [0, 3, 1])
        try s.cluster.lock.withLock {
            let replica = try #require(s.cluster.nodes[c]?.replicas[tp])
            _ = try replica.log.append(b.build().bytes, leaderEpoch: replica.leaderEpoch)
        }
        try s.cluster.stopBroker(c)
        try s.cluster.startBroker(c)
        guard case let .joinGroup(j) = try s.call(.joinGroup(s.join("g")), to: c) else { throw TestFailure("not JoinGroup") }
        #expect(j.errorCode == .coordinatorLoadInProgress)
        guard case let .listGroups(l) = try s.call(.listGroups(ListGroupsRequest()), to: c) else { throw TestFailure("not ListGroups") }
        #expect(l.errorCode == .coordinatorLoadInProgress)
        // Other partitions are served.
        let other = (0 ..< 100).map { "group-\($0)" }.first { OffsetsTopic.partitionFor(groupId: $0) != tp.partition }!
        guard case let .joinGroup(ok) = try s.call(.joinGroup(s.join(other)), to: c) else { throw TestFailure("not JoinGroup") }
        #expect(ok.errorCode == .memberIdRequired)
    }
}
