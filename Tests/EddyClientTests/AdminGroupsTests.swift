import EddyBroker
import EddyClient
import EddyProtocol
import Testing

/// Consumer groups and their offsets through `Admin`: list, describe (members and decoded
/// assignments), alter/list/delete committed offsets, delete groups, against a real cluster.
/// Members join by hand (`HandMadeMember`), so each test controls who is in the group.
@Suite(.serialized) struct AdminGroupsTests {
    static let o0 = TopicPartition("orders", 0), o1 = TopicPartition("orders", 1), o2 = TopicPartition("orders", 2)

    func cluster() async throws -> AdminTestCluster {
        let t = try AdminTestCluster()
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 3, replicationFactor: 3))
        return t
    }

    @Test func alterListAndDeleteOffsetsOfAnEmptyGroup() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        #expect(try await t.admin.listConsumerGroupOffsets("g").isEmpty, "a group that does not exist has no offsets")
        try await t.admin.alterConsumerGroupOffsets("g", [Self.o0: OffsetAndMetadata(5, metadata: "m"), Self.o2: OffsetAndMetadata(7)])
        let offsets = try await t.admin.listConsumerGroupOffsets("g")
        #expect(offsets == [Self.o0: OffsetAndMetadata(5, metadata: "m"), Self.o2: OffsetAndMetadata(7)])
        #expect(try await t.admin.listConsumerGroupOffsets("g", partitions: [Self.o2, Self.o1]) == [Self.o2: OffsetAndMetadata(7)])

        // A simple (commit-only) group is listed and described as Empty.
        let listed = try await t.admin.listConsumerGroups()
        #expect(listed.map(\.groupId) == ["g"])
        #expect(listed.first?.state == .empty)
        let d = try await t.admin.describeConsumerGroup("g")
        #expect(d.state == .empty)
        #expect(d.members.isEmpty)

        try await t.admin.deleteConsumerGroupOffsets("g", [Self.o0])
        #expect(try await t.admin.listConsumerGroupOffsets("g") == [Self.o2: OffsetAndMetadata(7)])

        try await t.admin.deleteConsumerGroup("g")
        #expect(try await t.admin.listConsumerGroups().isEmpty)
        #expect(try await t.admin.listConsumerGroupOffsets("g").isEmpty)
        #expect(try await t.admin.describeConsumerGroup("g").state == .dead)
        #expect(await adminErrorCode { try await t.admin.deleteConsumerGroup("g") } == .groupIdNotFound)
    }

    @Test func describeShowsMembersWithTheirAssignments() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let member = try await HandMadeMember.join(t.client, group: "g", topics: ["orders"], partitions: [Self.o2, Self.o0])
        let d = try await t.admin.describeConsumerGroup("g")
        #expect(d.state == .stable)
        #expect(d.partitionAssignor == "range")
        #expect(!d.isSimpleConsumerGroup)
        #expect(d.coordinator == member.coordinator)
        let m = try #require(d.members.first)
        #expect(d.members.count == 1)
        #expect(m.memberId == member.memberId)
        #expect(m.clientId == "admin-test")
        #expect(m.assignment == [Self.o0, Self.o2])
        #expect(d.assignments[Self.o2]?.memberId == member.memberId)
        #expect(d.assignments[Self.o1] == nil)

        let listed = try await t.admin.listConsumerGroups()
        #expect(listed.map(\.state) == [.stable])
        #expect(try await t.admin.listConsumerGroups(states: [.empty]).isEmpty)

        // Members block deletion and admin commits.
        #expect(await adminErrorCode { try await t.admin.deleteConsumerGroup("g") } == .nonEmptyGroup)
        await #expect(throws: ClientError.broker(.unknownMemberId, message: "the group 'g' has active members: its offsets can only be "
                + "altered while it has none (stop its consumers first)")) {
            try await t.admin.alterConsumerGroupOffsets("g", [Self.o0: OffsetAndMetadata(1)])
        }
        // The member's own commits are fine; OffsetDelete refuses partitions of a topic it consumes.
        try await member.commit(t.client, [Self.o0: 3])
        #expect(try await t.admin.listConsumerGroupOffsets("g") == [Self.o0: OffsetAndMetadata(3)])
        #expect(await adminErrorCode { try await t.admin.deleteConsumerGroupOffsets("g", [Self.o0]) } == .groupSubscribedToTopic)

        try await member.leave(t.client)
        #expect(try await t.admin.describeConsumerGroup("g").state == .empty)
        try await t.admin.deleteConsumerGroupOffsets("g", [Self.o0])
        #expect(try await t.admin.listConsumerGroupOffsets("g").isEmpty)
        try await t.admin.deleteConsumerGroup("g")
    }

    @Test func groupsOnEveryCoordinatorAreMerged() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        // Enough groups that their coordinators are spread over the three brokers.
        let names = (0 ..< 12).map { "group-\($0)" }
        var coordinators = Set<Int32>()
        for name in names {
            try await t.admin.alterConsumerGroupOffsets(name, [Self.o1: OffsetAndMetadata(1)])
            coordinators.insert(try await t.client.coordinator(forGroup: name))
        }
        #expect(coordinators.count > 1)
        #expect(try await t.admin.listConsumerGroups().map(\.groupId) == names.sorted())
    }

    @Test func aGroupOfAnotherProtocolTypeIsNotAConsumerGroup() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        _ = try await HandMadeMember.join(t.client, group: "connect", topics: [], partitions: [], protocolType: "connect")
        #expect(await adminErrorCode { try await t.admin.describeConsumerGroup("connect") } == .invalidGroupId)
        #expect(try await t.admin.listConsumerGroups().isEmpty, "only consumer and simple groups are listed")
    }
}
