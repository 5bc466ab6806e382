import EddyProtocol
import EddyStorage
import Testing
@testable import EddyBroker

/// DescribeQuorum (API 55): the controller quorum from its leader's view; brokers that are not
/// voters are observers.
@Suite struct DescribeQuorumTests {
    func describe(_ s: ServedCluster, _ request: DescribeQuorumRequest = DescribeQuorumRequest(), via broker: Int32 = 1) throws -> DescribeQuorumResponse {
        guard case let .describeQuorum(r) = try #require(s.send(.describeQuorum(request), to: broker).response) else {
            throw TestFailure("not a DescribeQuorum response")
        }
        return r
    }

    @Test func aSeparateControllerLeadsAndTheBrokersObserve() throws {
        let s = try ServedCluster()
        defer { s.close() }
        let controller = ControllerQuorumOptions.firstSeparateId
        let before = try #require(try describe(s).partition)
        try s.cluster.createTopic("q", partitions: 3, replicationFactor: 1)
        let r = try describe(s)
        let q = try #require(r.partition)
        #expect(r.errorCode == .none && q.errorCode == .none)
        #expect(q.leaderId == controller && q.voters.map(\.replicaId) == [controller] && q.leaderEpoch >= 1)
        #expect(q.observers.map(\.replicaId) == s.cluster.runningBrokers)
        // The topic's records committed: the high watermark moved past them, and every replica is there.
        let committedEnd = s.cluster.metadataImage.offset + 1
        #expect(q.highWatermark == committedEnd && q.highWatermark > before.highWatermark)
        #expect((q.voters + q.observers).allSatisfy { q.lag($0) == 0 && $0.logEndOffset == committedEnd })
        // A stopped broker is no observer.
        try s.cluster.stopBroker(2)
        #expect(try #require(try describe(s).partition).observers.map(\.replicaId) == [0, 1])
    }

    @Test func combinedVotersReportTheirFetchesAndAnElectingQuorumSaysSo() throws {
        let s = try ServedCluster(brokers: 4) { $0.controllerQuorum = ControllerQuorumOptions(count: 3, combined: true) }
        defer { s.close() }
        try s.cluster.createTopic("q", partitions: 1, replicationFactor: 1)
        let q = try #require(try describe(s).partition)
        let leader = try #require(s.cluster.activeController)
        #expect(q.errorCode == .none && q.leaderId == leader && q.voters.map(\.replicaId) == [0, 1, 2] && q.observers.map(\.replicaId) == [3])
        #expect(q.voters.allSatisfy { $0.logEndOffset == q.highWatermark && $0.lastFetchTimestampMs >= 0 })
        // The active controller's broker dies: until the next election the quorum has no leader.
        try s.cluster.killBroker(leader)
        let via = s.cluster.runningBrokers.first!
        let electing = try #require(try describe(s, via: via).partition)
        #expect(electing.errorCode == .notLeaderOrFollower && electing.leaderId == -1 && electing.voters.map(\.replicaId) == [0, 1, 2])
    }

    @Test func onlyTheMetadataPartitionHasAQuorum() throws {
        let s = try ServedCluster()
        defer { s.close() }
        for request in [DescribeQuorumRequest(topic: "orders"), DescribeQuorumRequest(partition: 1)] {
            let r = try describe(s, request)
            #expect(r.errorCode == .unknownTopicOrPartition && r.partition == nil, "\(request)")
        }
    }
}
