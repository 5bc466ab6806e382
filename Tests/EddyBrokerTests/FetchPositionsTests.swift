import EddyProtocol
import EddyStorage
import Testing
@testable import EddyBroker

/// EddyFetchPositions: the broker remembers each consumer client's latest fetch offset per
/// partition (not followers'), by client id and host, for ~5 minutes.
@Suite struct FetchPositionsTests {
    @Test func consumerFetchesAreReportedByClientLatestFirst() throws {
        let s = try ServedCluster(brokers: 1)
        defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let tp = TopicPartition("t", 0)
        func fetch(_ offset: Int64, client: String, host: String, replicaId: Int32 = -1) {
            var request = FetchRequest(topic: "t", partition: 0, fetchOffset: offset, replicaId: replicaId, maxWaitMs: 0)
            request.replicaEpoch = -1
            s.cluster.transport.send(.fetch(request), to: 0, context: RequestContext(clientId: client, clientHost: host)) { _ in }
        }
        fetch(0, client: "a", host: "/10.0.0.1")
        s.clock.advance(ms: 10)
        fetch(0, client: "b", host: "/10.0.0.2")
        s.clock.advance(ms: 10)
        fetch(7, client: "a", host: "/10.0.0.1")
        fetch(3, client: "follower", host: "/10.0.0.3", replicaId: 5)  // a follower: not a consumer
        guard case let .eddyFetchPositions(r) = try s.call(.eddyFetchPositions(EddyFetchPositionsRequest(partitions: [tp])), to: 0) else {
            Issue.record("not an EddyFetchPositions response")
            return
        }
        let fetchers = try #require(r.fetchers[tp])
        #expect(fetchers.map(\.clientId) == ["a", "b"])
        #expect(fetchers.map(\.fetchOffset) == [7, 0])
        #expect(fetchers[0].clientHost == "/10.0.0.1")
        // Five minutes later nobody is reported.
        s.clock.advance(ms: Cluster.fetchPositionTtlMs + 1)
        guard case let .eddyFetchPositions(later) = try s.call(.eddyFetchPositions(EddyFetchPositionsRequest(partitions: [tp])), to: 0) else {
            Issue.record("not an EddyFetchPositions response")
            return
        }
        #expect(later.fetchers[tp] == [])
    }
}
