import EddyProtocol
import EddyStorage
import Testing
@testable import EddyBroker

/// `Cluster.setFollowerFetchInterval`: the followers of a topic fetch at most every so often
/// (the acks lesson's lagging followers); other topics replicate as usual.
@Suite struct FollowerDelayTests {
    @Test func followersOfADelayedTopicFetchOnlyEveryInterval() throws {
        let s = try ServedCluster()
        defer { s.close() }
        for topic in ["slow", "fast"] { try s.cluster.createTopic(topic, partitions: 1, replicationFactor: 3) }
        s.pump()
        s.cluster.setFollowerFetchInterval(2_000, topics: ["slow"])
        // The slow followers' first fetch in the interval.
        s.cluster.replicationRound()
        for topic in ["slow", "fast"] {
            let tp = TopicPartition(topic, 0)
            let sent = s.send(.produce(ProduceRequest(topic: topic, partition: 0, records: servedBatch(["a", "b"]), acks: 1)), to: try s.cluster.leader(of: tp))
            #expect(sent.isAnswered)
        }
        // A round now: "fast"'s followers fetch; "slow"'s fetched at most once in the last 2 s.
        for _ in 0 ..< 3 { s.cluster.replicationRound() }
        let fast = s.cluster.replicaOffsets(TopicPartition("fast", 0)).values.map(\.logEndOffset)
        let slow = s.cluster.replicaOffsets(TopicPartition("slow", 0)).values.map(\.logEndOffset)
        #expect(fast == [2, 2, 2])
        #expect(slow.sorted() == [0, 0, 2], "\(slow)")
        // Once the interval has passed they fetch again; without the delay, as usual.
        s.clock.advance(ms: 2_000)
        s.cluster.replicationRound()
        #expect(s.cluster.replicaOffsets(TopicPartition("slow", 0)).values.allSatisfy { $0.logEndOffset == 2 })
        s.cluster.setFollowerFetchInterval(nil, topics: ["slow"])
        _ = try s.call(.produce(ProduceRequest(topic: "slow", partition: 0, records: servedBatch(["c"]), acks: 1)), to: try s.cluster.leader(of: TopicPartition("slow", 0)))
        s.cluster.replicationRound()
        #expect(s.cluster.replicaOffsets(TopicPartition("slow", 0)).values.allSatisfy { $0.logEndOffset == 3 })
    }
}
