import EddyProtocol
import EddyStorage
import Testing
@testable import EddyBroker

/// DescribeQuorum (API 55): eddy's metadata quorum, one voter (the controller, node 0) that
/// leads it, and the other running brokers as observers.
@Suite struct DescribeQuorumTests {
    func describe(_ s: ServedCluster, _ request: DescribeQuorumRequest = DescribeQuorumRequest()) throws -> DescribeQuorumResponse {
        guard case let .describeQuorum(r) = try #require(s.send(.describeQuorum(request), to: 1).response) else {
            throw TestFailure("not a DescribeQuorum response")
        }
        return r
    }

    @Test func theControllerLeadsAndTheOtherBrokersObserve() throws {
        let s = try ServedCluster()
        defer { s.close() }
        let before = try #require(try describe(s).partition)
        try s.cluster.createTopic("q", partitions: 3, replicationFactor: 1)
        let r = try describe(s)
        let q = try #require(r.partition)
        #expect(r.errorCode == .none && q.errorCode == .none)
        #expect(q.leaderId == Cluster.controllerId && q.voters.map(\.replicaId) == [Cluster.controllerId])
        #expect(q.observers.map(\.replicaId) == s.cluster.runningBrokers.filter { $0 != Cluster.controllerId })
        // The topic's records committed: the high watermark moved past them, and every replica is there.
        let committedEnd = s.cluster.metadataImage.offset + 1
        #expect(q.highWatermark == committedEnd && q.highWatermark > before.highWatermark)
        #expect((q.voters + q.observers).allSatisfy { q.lag($0) == 0 && $0.logEndOffset == committedEnd })
        // A stopped broker is no observer.
        try s.cluster.stopBroker(2)
        #expect(try #require(try describe(s).partition).observers.map(\.replicaId) == [1])
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
