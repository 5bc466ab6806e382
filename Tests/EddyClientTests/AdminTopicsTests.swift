import EddyBroker
import EddyClient
import EddyProtocol
import Testing

/// Topics, configs, partition offsets and record deletion through `Admin`, against a real
/// in-process cluster of three brokers.
@Suite(.serialized) struct AdminTopicsTests {
    @Test func createPartitionsRaisesTheCountOrFailsPerTopic() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 2, replicationFactor: 3))
        try await t.admin.createTopic(.init(name: "payments", numPartitions: 1, replicationFactor: 2))
        try await t.admin.createPartitions("orders", totalCount: 4, validateOnly: true)
        #expect(try await t.admin.describeTopic("orders").partitions.count == 2)
        let results = try await t.admin.createPartitions([
            "orders": .init(totalCount: 4),
            "payments": .init(totalCount: 3, newAssignments: [[2, 0], [0, 1]]),
            "refunds": .init(totalCount: 2),
        ])
        #expect(try results["orders"]?.get() != nil && (try results["payments"]?.get()) != nil)
        #expect(await adminErrorCode { try results["refunds"]?.get() } == .unknownTopicOrPartition)
        let orders = try await t.admin.describeTopic("orders")
        #expect(orders.partitions.map(\.partition) == [0, 1, 2, 3] && orders.partitions.allSatisfy { $0.replicas.count == 3 })
        #expect(try await t.admin.describeTopic("payments").partitions.map(\.replicas).suffix(2) == [[2, 0], [0, 1]])
        await #expect(throws: ClientError.broker(.invalidPartitions, message: "The topic orders currently has 4 partition(s); 3 would not be an increase.")) {
            try await t.admin.createPartitions("orders", totalCount: 3)
        }
    }

    @Test func createDescribeListAndDeleteTopics() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let created = try await t.admin.createTopic(.init(name: "orders", numPartitions: 3, replicationFactor: 3,
                                                          configs: ["retention.ms": "60000"]))
        #expect(created.numPartitions == 3)
        #expect(created.replicationFactor == 3)
        #expect(created.topicId != .zero)
        try await t.admin.createTopic(.init(name: "payments", numPartitions: 1, replicationFactor: 2))

        let described = try await t.admin.describeTopic("orders")
        #expect(described.topicId == created.topicId)
        #expect(described.partitions.map(\.partition) == [0, 1, 2])
        for p in described.partitions {
            #expect(Set(p.replicas) == [0, 1, 2])
            #expect(p.leader.map { p.replicas.contains($0) } == true)
            #expect(Set(p.isr) == Set(p.replicas))
        }
        // Leaders are spread over the brokers.
        #expect(Set(described.partitions.compactMap(\.leader)).count == 3)
        // Each leader's epoch, from Metadata v7+, as the controller recorded it.
        let epochs = try #require(try t.cluster.describeTopics(["orders"]).first).partitions.map(\.leaderEpoch)
        #expect(described.partitions.map(\.leaderEpoch) == epochs.map { Optional($0) })
        #expect(try await t.admin.describeTopic("payments").partitions.map(\.replicas.count) == [2])

        #expect(try await t.admin.listTopics().map(\.name) == ["orders", "payments"])

        // Creating it again fails for that topic only.
        let again = try await t.admin.createTopics([.init(name: "orders", numPartitions: 1), .init(name: "refunds", numPartitions: 2)])
        #expect(await adminErrorCode { try again["orders"]?.get() } == .topicAlreadyExists)
        #expect(try again["refunds"]?.get().numPartitions == 2)

        try await t.admin.deleteTopic("orders")
        #expect(try await t.admin.listTopics().map(\.name) == ["payments", "refunds"])
        await #expect(throws: ClientError.broker(.unknownTopicOrPartition, message: "Topic 'orders' does not exist.")) {
            try await t.admin.describeTopic("orders")
        }
        let deletedTwice = await adminErrorCode { try await t.admin.deleteTopic("orders") }
        #expect(deletedTwice == .unknownTopicOrPartition)
    }

    @Test func invalidTopicsAreRefusedAndValidateOnlyCreatesNothing() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        #expect(await adminErrorCode { try await t.admin.createTopic(.init(name: "t", numPartitions: 1, replicationFactor: 4)) }
            == .invalidReplicationFactor)
        #expect(await adminErrorCode { try await t.admin.createTopic(.init(name: "t", numPartitions: 0, replicationFactor: 1)) }
            == .invalidPartitions)
        #expect(await adminErrorCode {
            try await t.admin.createTopic(.init(name: "t", numPartitions: 1, replicationFactor: 1, configs: ["retention.ms": "soon"]))
        } == .invalidConfig)
        #expect(await adminErrorCode { try await t.admin.createTopic(.init(name: "bad/name", numPartitions: 1)) } == .invalidTopicException)
        let checked = try await t.admin.createTopic(.init(name: "t", numPartitions: 2, replicationFactor: 1), validateOnly: true)
        #expect(checked.numPartitions == 2)
        #expect(try await t.admin.listTopics().isEmpty)
    }

    @Test func internalTopicsAreListedOnlyWhenAsked() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 1))
        // FindCoordinator creates __consumer_offsets.
        _ = try await t.client.coordinator(forGroup: "g", timeoutMs: 10_000)
        #expect(try await t.admin.listTopics().map(\.name) == ["orders"])
        let all = try await t.admin.listTopics(listInternal: true)
        #expect(all.map(\.name) == ["__consumer_offsets", "orders"])
        #expect(all.map(\.isInternal) == [true, false])
    }

    @Test func describeAndAlterTopicConfigs() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 1, configs: ["retention.ms": "60000"]))
        var entries = try await t.admin.describeTopicConfigs("orders")
        #expect(entries.map(\.name) == entries.map(\.name).sorted())
        let retention = try #require(entries.first { $0.name == "retention.ms" })
        #expect(retention.value == "60000")
        #expect(retention.source == .topicConfig)
        #expect(!retention.isDefault)
        let cleanup = try #require(entries.first { $0.name == "cleanup.policy" })
        #expect(cleanup.value == "delete")
        #expect(cleanup.isDefault)

        try await t.admin.alterTopicConfigs("orders", set: ["cleanup.policy": "compact"], delete: ["retention.ms"])
        entries = try await t.admin.describeTopicConfigs("orders")
        #expect(entries.first { $0.name == "cleanup.policy" }?.value == "compact")
        #expect(entries.first { $0.name == "cleanup.policy" }?.source == .topicConfig)
        #expect(entries.first { $0.name == "retention.ms" }?.source == .defaultConfig)
        #expect(entries.first { $0.name == "retention.ms" }?.value == "604800000")

        // A bad value changes nothing; an unknown topic is refused.
        #expect(await adminErrorCode { try await t.admin.alterTopicConfigs("orders", set: ["min.insync.replicas": "zero"]) } == .invalidConfig)
        #expect(try await t.admin.describeTopicConfigs("orders").first { $0.name == "min.insync.replicas" }?.value == "1")
        #expect(await adminErrorCode { try await t.admin.describeTopicConfigs("nope") } == .unknownTopicOrPartition)
        #expect(await adminErrorCode { try await t.admin.alterTopicConfigs("nope", set: ["retention.ms": "1"]) } == .unknownTopicOrPartition)
        // Only named keys when asked.
        let one = try await t.admin.describeConfigs([.topic("orders")], keys: ["segment.bytes"])
        #expect(one[.topic("orders")]?.map(\.name) == ["segment.bytes"])
    }

    @Test func listOffsetsByPositionAndTimestamp() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "events", numPartitions: 2, replicationFactor: 3))
        let base: Int64 = 1_795_255_200_000
        let p0 = TopicPartition("events", 0), p1 = TopicPartition("events", 1)
        try await t.produce(p0, count: 10) { base + Int64($0) * 1000 }

        let earliest = try await t.admin.listOffsets([p0, p1], .earliest)
        #expect(earliest == [p0: 0, p1: 0])
        #expect(try await t.admin.listOffsets([p0, p1], .latest) == [p0: 10, p1: 0])
        let byTime = try await t.admin.listOffsets([p0: .forTimestamp(base + 3_500), p1: .forTimestamp(base)])
        #expect(byTime[p0]?.offset == 4)
        #expect(byTime[p0]?.timestamp == base + 4_000)
        #expect(byTime[p1]?.offset == -1, "an empty partition has no record at or after any time")
        #expect(try await t.admin.listOffsets([p0], .forTimestamp(base + 60_000)) == [p0: -1])
        let newest = try await t.admin.listOffsets([p0: .maxTimestamp])
        #expect(newest[p0]?.offset == 9)
        #expect(newest[p0]?.timestamp == base + 9_000)

        #expect(await adminErrorCode { try await t.admin.listOffsets([TopicPartition("events", 2)], .latest) } == .unknownTopicOrPartition)
        #expect(await adminErrorCode { try await t.admin.listOffsets([TopicPartition("nope", 0)], .latest) } == .unknownTopicOrPartition)
    }

    @Test func deleteRecordsAdvancesTheLogStart() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "events", numPartitions: 1, replicationFactor: 3))
        let p0 = TopicPartition("events", 0)
        try await t.produce(p0, count: 10)
        #expect(try await t.admin.deleteRecords([p0: 4]) == [p0: 4])
        #expect(try await t.admin.listOffsets([p0], .earliest) == [p0: 4])
        #expect(try await t.admin.deleteRecords([p0: DeleteRecordsRequest.highWatermark]) == [p0: 10])
        #expect(await adminErrorCode { try await t.admin.deleteRecords([p0: 11]) } == .offsetOutOfRange)
    }

    /// Without replication rounds the followers never fetch, so the leader's log end runs ahead
    /// of its high watermark; `logEnd` (DEBUGGING_REPLICA_ID) sees the difference.
    @Test func logEndOffsetRunsAheadOfTheHighWatermarkWhileFollowersLag() async throws {
        let t = try AdminTestCluster(driven: false)
        defer { t.shutdown() }
        try await t.admin.createTopic(.init(name: "events", numPartitions: 1, replicationFactor: 3))
        let p0 = TopicPartition("events", 0)
        try await t.produce(p0, count: 5, acks: 1)
        #expect(try await t.admin.listOffsets([p0], .logEnd) == [p0: 5])
        #expect(try await t.admin.listOffsets([p0], .latest) == [p0: 0])
        // Both in one call.
        let both = try await t.admin.listOffsets([p0: .logEnd])
        #expect(both[p0]?.offset == 5)
    }
}

/// The Kafka error code of the error `body` throws, nil when it succeeds or throws something else.
func adminErrorCode<T>(_ body: () async throws -> T) async -> ErrorCode? {
    do {
        _ = try await body()
        return nil
    } catch let error as ClientError {
        return error.errorCode
    } catch {
        return nil
    }
}
