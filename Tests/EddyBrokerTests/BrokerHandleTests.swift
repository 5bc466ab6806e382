import EddyProtocol
import Foundation
import Testing
@testable import EddyBroker

/// `Broker.handle`, where every transport delivers: a broker object serves only while it is the
/// running incarnation of its id.
@Suite struct BrokerHandleTests {
    @Test func aStoppedBrokerFailsRequestsAsAClosedConnectionWouldAndItsNextRunServes() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let id = try s.cluster.leader(of: TopicPartition("t", 0))
        let stopped = try #require(s.cluster.lock.withLock { s.cluster.nodes[id] })
        try s.cluster.stopBroker(id)

        // A request that reached the broker object as it stopped: served under the lock, failed
        // like a refused connection; produce and fetch (served outside it) answer
        // NOT_LEADER_OR_FOLLOWER, and nothing is appended.
        let metadata = SentRequest()
        stopped.handle(.metadata(MetadataRequest(topics: ["t"])), context: RequestContext()) { metadata.set($0) }
        #expect(metadata.failure == .brokerUnavailable(id))
        let produce = SentRequest()
        stopped.handle(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["late"]), acks: 1)),
                       context: RequestContext()) { produce.set($0) }
        guard case let .produce(p)? = produce.response else { throw TestFailure("no produce answer") }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == .notLeaderOrFollower)
        let fetch = SentRequest()
        stopped.handle(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 0, minBytes: 0)),
                       context: RequestContext()) { fetch.set($0) }
        guard case let .fetch(f)? = fetch.response else { throw TestFailure("no fetch answer") }
        #expect(f.partition(topic: "t", partition: 0)?.errorCode == .notLeaderOrFollower)
        #expect(s.cluster.lock.withLock { stopped.replicas[TopicPartition("t", 0)]?.log.logEndOffset } == 0)

        // The broker's next run is a new object, which serves.
        try s.cluster.startBroker(id)
        let running = try #require(s.cluster.lock.withLock { s.cluster.nodes[id] })
        #expect(running !== stopped)
        #expect(running.incarnation > stopped.incarnation)
        let again = SentRequest()
        running.handle(.metadata(MetadataRequest(topics: ["t"])), context: RequestContext()) { again.set($0) }
        guard case .metadata? = again.response else { throw TestFailure("no metadata answer") }
    }
}
