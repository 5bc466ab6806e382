import EddyBroker
import EddyClient
import EddyProtocol
import Testing

/// The four positions and two lags: the pure assembly, then gathered from a real cluster in
/// which a follower lags (log end > high watermark) and a consumer's position differs from the
/// group's commit.
@Suite(.serialized) struct GroupPositionsTests {
    static let a0 = TopicPartition("a", 0), a1 = TopicPartition("a", 1), b0 = TopicPartition("b", 0)

    static func member(_ id: String, _ partitions: [TopicPartition]) -> Admin.MemberDescription {
        Admin.MemberDescription(memberId: id, groupInstanceId: nil, clientId: "client-\(id)", host: "in-process", assignment: partitions)
    }

    static func description(_ state: Admin.ConsumerGroupState, _ members: [Admin.MemberDescription]) -> Admin.ConsumerGroupDescription {
        Admin.ConsumerGroupDescription(groupId: "g", isSimpleConsumerGroup: false, members: members, partitionAssignor: "range",
                                       state: state, coordinator: 1)
    }

    @Test func rowsCoverCommittedAssignedAndLivePartitions() {
        let d = Self.description(.stable, [Self.member("m1", [Self.a1]), Self.member("m2", [])])
        let offsets: [TopicPartition: GroupPositions.PartitionOffsets] = [
            Self.a0: .init(logStartOffset: 2, highWatermark: 10, logEndOffset: 12),
            Self.a1: .init(logStartOffset: 0, highWatermark: 5, logEndOffset: 5),
        ]
        let p = GroupPositions(description: d, committed: [Self.a0: 7, Self.b0: 3], offsets: offsets,
                               live: [Self.a1: .init(memberId: "m1", clientId: "client-m1", position: 4)])
        #expect(p.rows.map(\.topicPartition) == [Self.a0, Self.a1, Self.b0])

        let a0 = p.rows[0]
        #expect([a0.logStartOffset, a0.committedOffset, a0.highWatermark, a0.logEndOffset] == [2, 7, 10, 12])
        #expect(a0.position == nil)
        #expect(a0.lag == 3)
        #expect(a0.positionLag == nil)
        #expect(a0.memberId == nil)

        let a1 = p.rows[1]
        #expect(a1.committedOffset == nil)
        #expect(a1.position == 4)
        #expect(a1.lag == nil)
        #expect(a1.positionLag == 1)
        #expect(a1.memberId == "m1")
        #expect(a1.clientId == "client-m1")

        // A deleted topic keeps its commit; its offsets are unknown.
        let b0 = p.rows[2]
        #expect(b0.committedOffset == 3)
        #expect(b0.highWatermark == nil)
        #expect(b0.lag == nil)

        #expect(p.idleMembers.map(\.memberId) == ["m2"])
    }

    @Test func aLiveConsumerCountsOnlyForThePartitionsItsMemberOwns() {
        // DescribeGroups says m1 owns a0; a live consumer that still thinks it is m0's is stale.
        let d = Self.description(.stable, [Self.member("m1", [Self.a0])])
        let stale = GroupPositions(description: d, committed: [:], offsets: [:],
                                   live: [Self.a0: .init(memberId: "m0", clientId: "old", position: 9)])
        #expect(stale.rows.map(\.position) == [nil])
        #expect(stale.rows.map(\.memberId) == ["m1"])

        // While the group rebalances DescribeGroups reports no assignment; the live consumer's
        // membership and position are used.
        let rebalancing = GroupPositions(description: Self.description(.preparingRebalance, [Self.member("m1", [])]),
                                         committed: [:], offsets: [:],
                                         live: [Self.a0: .init(memberId: "m1", clientId: "client-m1", position: 9)])
        #expect(rebalancing.rows.map(\.position) == [9])
        #expect(rebalancing.rows.map(\.memberId) == ["m1"])
        #expect(rebalancing.idleMembers.isEmpty)
    }

    @Test func lagsAreNilRatherThanOverflowing() {
        let row = GroupPositions.Row(topicPartition: Self.a0, highWatermark: .max, position: -1, committedOffset: .min)
        #expect(row.lag == nil)
        #expect(row.positionLag == nil)
    }

    /// A follower of `orders-0` is killed while still in the ISR, and records are produced with
    /// acks=1: the leader's log end moves past the high watermark. The group committed 4 while its
    /// consumer is at 7. `empty-0` lives on the leader of `orders-0` only, so every partition the
    /// group reads stays reachable.
    @Test func gatheredFromAClusterWithALaggingFollower() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let o0 = TopicPartition("orders", 0), e0 = TopicPartition("empty", 0)
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 3))
        let leader = try #require(try await t.admin.describeTopic("orders").partitions[0].leader)
        try await t.admin.createTopic(.init(name: "empty", replicasAssignments: [0: [leader]]))
        try await t.produce(o0, count: 10)
        let member = try await HandMadeMember.join(t.client, group: "g", topics: ["orders", "empty"], partitions: [o0, e0])
        try await member.commit(t.client, [o0: 4])

        let victim = try #require(Set<Int32>([0, 1, 2]).subtracting([leader, member.coordinator]).min())
        try t.cluster.killBroker(victim)
        try await t.produce(o0, count: 5, acks: 1)

        let live = [o0: GroupPositions.LivePosition(memberId: member.memberId, clientId: "admin-test", position: 7)]
        let p = try await t.admin.groupPositions("g", live: live)
        #expect(p.state == .stable)
        #expect(p.coordinator == member.coordinator)
        #expect(p.rows.map(\.topicPartition) == [e0, o0])
        let orders = p.rows[1]
        #expect(orders.logStartOffset == 0)
        #expect(orders.committedOffset == 4)
        #expect(orders.position == 7)
        #expect(orders.highWatermark == 10)
        #expect(orders.logEndOffset == 15)
        #expect(orders.lag == 6)
        #expect(orders.positionLag == 3)
        #expect(orders.memberId == member.memberId)
        #expect(orders.clientId == "admin-test")
        let empty = p.rows[0]
        #expect([empty.logStartOffset, empty.highWatermark, empty.logEndOffset] == [0, 0, 0])
        #expect(empty.committedOffset == nil)
        #expect(empty.lag == nil)
        #expect(p.idleMembers.isEmpty)
    }

    /// The commit of a partition that is offline (its only replica's broker killed) stays
    /// visible with unknown offsets, and the call does not wait for a leader. (Commits of a
    /// deleted topic are dropped by the coordinator, as in Kafka.)
    @Test func offlinePartitionsKeepTheirCommits() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let gone = TopicPartition("gone", 0), offline = TopicPartition("offline", 0), online = TopicPartition("online", 0)
        let coordinator = try await t.client.coordinator(forGroup: "g")
        let other = (coordinator + 1) % 3
        try await t.admin.createTopic(.init(name: "gone", numPartitions: 1, replicationFactor: 1))
        try await t.admin.createTopic(.init(name: "offline", replicasAssignments: [0: [other]]))
        try await t.admin.createTopic(.init(name: "online", replicasAssignments: [0: [coordinator]]))
        try await t.admin.alterConsumerGroupOffsets("g", [gone: OffsetAndMetadata(3), offline: OffsetAndMetadata(2),
                                                          online: OffsetAndMetadata(0)])
        try await t.admin.deleteTopic("gone")
        try t.cluster.killBroker(other, fenceNow: true)
        let started = ClientTime.monotonicMs()
        let p = try await t.admin.groupPositions("g")
        #expect(ClientTime.monotonicMs() - started < 5_000)
        #expect(p.rows.map(\.topicPartition) == [offline, online])
        #expect(p.rows.map(\.committedOffset) == [2, 0])
        #expect(p.rows.map(\.highWatermark) == [nil, 0])
        #expect(p.rows.map(\.lag) == [nil, 0])
    }

    /// A real consumer of the group reads all ten records but commits only 4: its position (from
    /// the live-consumer registry) is 10, the committed offset 4.
    @Test func positionsComeFromLiveConsumers() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let o0 = TopicPartition("orders", 0)
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 3))
        try await t.produce(o0, count: 10)
        var config = ConsumerConfig(groupId: "g")
        config.clientId = "reader"
        config.enableAutoCommit = false
        config.autoOffsetReset = .earliest
        config.fetchMaxWaitMs = 20
        config.registry = LiveConsumers()
        let consumerClient = KafkaClient(transport: t.cluster.transport, bootstrapNodes: [0, 1, 2], clientId: "reader")
        defer { consumerClient.close() }
        let consumer = try Consumer(client: consumerClient, config: config)
        try await consumer.subscribe(topics: ["orders"])
        var read = 0
        try await waitUntil("the consumer reads all ten records", seconds: 10) {
            read += try await consumer.poll(timeoutMs: 50).count
            return read == 10
        }
        try await consumer.commitSync([o0: OffsetAndMetadata(4)])

        let p = try await t.admin.groupPositions("g", liveConsumers: config.registry)
        #expect(p.state == .stable)
        let row = try #require(p.rows.first)
        #expect(p.rows.count == 1)
        #expect(row.topicPartition == o0)
        #expect(row.committedOffset == 4)
        #expect(row.position == 10)
        #expect(row.highWatermark == 10)
        #expect(row.lag == 6)
        #expect(row.positionLag == 0)
        #expect(row.clientId == "reader")
        #expect(row.memberId == consumer.groupMetadata()?.memberId)
        // The shared registry knows nothing of this consumer: the position is then the broker's
        // view, the latest offset the member's client fetched (EddyFetchPositions).
        #expect(try await t.admin.groupPositions("g").rows.first?.position == 10)
        await consumer.close()
        #expect(try await t.admin.groupPositions("g", liveConsumers: config.registry).rows.first?.position == nil)
    }
}
