import EddyBroker
import EddyClient
import EddyProtocol
import Testing

@Suite(.serialized) struct AdminLogDirsTests {
    /// DescribeLogDirs through the admin: each broker answers for its own replicas; the
    /// leaders' sizes are what `leaderReplicaSizes` gives, and a broker that does not answer
    /// is a failure in the result, not for the call.
    @Test func describeLogDirsAndLeaderReplicaSizes() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 3, replicationFactor: 2))
        for p in 0 ..< 3 {
            var b = RecordBatchBuilder()
            for i in 0 ... p { b.append(timestamp: 1, key: nil, value: Array("v\(i)".utf8)) }
            _ = try t.cluster.produce(TopicPartition("orders", Int32(p)), records: b.build().bytes, acks: -1)
        }
        let all = try await t.admin.describeLogDirs()
        #expect(Set(all.keys) == [0, 1, 2])
        var replicas = 0
        for (_, result) in all { replicas += try result.get().partitionSizes.keys.filter { $0.topic == "orders" }.count }
        #expect(replicas == 6)

        let described = try #require(try t.cluster.describeTopics(["orders"]).first)
        let leaders = Dictionary(uniqueKeysWithValues: described.partitions.map { (TopicPartition("orders", $0.partition), $0.leader) })
        let sizes = try await t.admin.leaderReplicaSizes(leaders)
        #expect(sizes == Dictionary(uniqueKeysWithValues: described.partitions.map { (TopicPartition("orders", $0.partition), $0.sizeInBytes) }))
        #expect(sizes.values.allSatisfy { $0 > 0 })

        try t.cluster.killBroker(2)
        let partial = try await t.admin.describeLogDirs(brokers: [0, 1, 2])
        #expect((try? partial[0]?.get()) != nil && (try? partial[1]?.get()) != nil)
        #expect((try? partial[2]?.get()) == nil)
    }
}
