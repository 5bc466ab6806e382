import EddyBroker
import EddyClient
import EddyProtocol
import Testing

/// Every reset strategy through `Admin.planOffsetReset`/`executeOffsetReset` against known data
/// in a real cluster, and the refusal while the group has members.
///
/// Data: topic `orders` with three partitions. Partition 0 holds offsets 0-9, partition 1
/// offsets 0-19 of which 0-4 are deleted (log start 5), partition 2 is empty. The record at
/// offset i has timestamp `base + i * 1000` (base = 2026-11-21T10:00:00.000Z). Group `g` is
/// empty and has committed 4 on partition 0 and 10 on partition 1, nothing on partition 2.
@Suite(.serialized) struct OffsetResetExecutionTests {
    static let base: Int64 = 1_795_255_200_000
    static let o0 = TopicPartition("orders", 0), o1 = TopicPartition("orders", 1), o2 = TopicPartition("orders", 2)
    static let committed: [TopicPartition: Int64] = [o0: 4, o1: 10]

    func cluster() async throws -> AdminTestCluster {
        let t = try AdminTestCluster()
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 3, replicationFactor: 3))
        try await t.produce(Self.o0, count: 10) { Self.base + Int64($0) * 1000 }
        try await t.produce(Self.o1, count: 20) { Self.base + Int64($0) * 1000 }
        _ = try await t.admin.deleteRecords([Self.o1: 5])
        try await t.admin.alterConsumerGroupOffsets("g", Self.committed.mapValues { OffsetAndMetadata($0) })
        return t
    }

    func committed(_ t: AdminTestCluster) async throws -> [TopicPartition: Int64] {
        try await t.admin.listConsumerGroupOffsets("g").mapValues(\.offset)
    }

    /// Plans, checks that planning changed nothing, executes, and returns the plan.
    func reset(_ t: AdminTestCluster, _ scope: OffsetResetScope?, _ strategy: OffsetResetStrategy,
               now: Int64 = 0) async throws -> OffsetResetPlan {
        let before = try await committed(t)
        let plan = try await t.admin.planOffsetReset(group: "g", scope: scope, strategy: strategy, now: now)
        #expect(try await committed(t) == before, "a dry run commits nothing")
        try await t.admin.executeOffsetReset(plan)
        var expected = before
        expected.merge(plan.newOffsets) { _, new in new }
        #expect(try await committed(t) == expected)
        return plan
    }

    @Test func toEarliestOverAllTopics() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plan = try await reset(t, .allTopics, .toEarliest)
        #expect(plan.newOffsets == [Self.o0: 0, Self.o1: 5])
        #expect(plan.entries.map(\.oldOffset) == [4, 10])
        #expect(plan.entries.map(\.oldLag) == [6, 10])
        #expect(plan.warnings.isEmpty)
    }

    @Test func toLatestOnATopicIncludesPartitionsWithoutCommits() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plan = try await reset(t, .topics([.init(topic: "orders")]), .toLatest)
        #expect(plan.newOffsets == [Self.o0: 10, Self.o1: 20, Self.o2: 0])
        #expect(plan.entries.map(\.newLag) == [0, 0, 0])
    }

    @Test func toCurrentKeepsCommitsAndUsesTheHighWatermarkElsewhere() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plan = try await reset(t, try OffsetResetScope(topicArguments: ["orders:0,1,2"]), .toCurrent)
        #expect(plan.newOffsets == [Self.o0: 4, Self.o1: 10, Self.o2: 0])
    }

    @Test func toOffsetIsClampedWithWarnings() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plan = try await reset(t, .topics([.init(topic: "orders")]), .toOffset(15))
        #expect(plan.newOffsets == [Self.o0: 10, Self.o1: 15, Self.o2: 0])
        #expect(plan.warnings == [.clampedToLatest(Self.o0, requested: 15, latest: 10),
                                  .clampedToLatest(Self.o2, requested: 15, latest: 0)])
        let low = try await reset(t, try OffsetResetScope(topicArguments: ["orders:1"]), .toOffset(2))
        #expect(low.newOffsets == [Self.o1: 5])
        #expect(low.warnings == [.clampedToEarliest(Self.o1, requested: 2, earliest: 5)])
        #expect(low.warnings.first?.description
            == "New offset (2) is lower than earliest offset for topic partition orders-1. Value will be set to 5")
    }

    @Test func shiftByBothWaysIsClamped() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let forward = try await reset(t, .allTopics, .shiftBy(3))
        #expect(forward.newOffsets == [Self.o0: 7, Self.o1: 13])
        #expect(forward.warnings.isEmpty)
        let back = try await reset(t, .allTopics, .shiftBy(-100))
        #expect(back.newOffsets == [Self.o0: 0, Self.o1: 5])
        #expect(back.warnings == [.clampedToEarliest(Self.o0, requested: -93, earliest: 0),
                                  .clampedToEarliest(Self.o1, requested: -87, earliest: 5)])
        let past = try await reset(t, .allTopics, .shiftBy(1_000))
        #expect(past.newOffsets == [Self.o0: 10, Self.o1: 20])
        await #expect(throws: OffsetResetError.noCommittedOffset(Self.o2)) {
            try await t.admin.planOffsetReset(group: "g", scope: .topics([.init(topic: "orders")]), strategy: .shiftBy(1))
        }
    }

    @Test func toDateTimeFindsTheFirstRecordAtOrAfterTheInstant() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        // base + 3.5 s: partition 0's first record at or after it is offset 4; partition 1's
        // records before offset 5 are deleted, so 5; partition 2 has none (high watermark, warned).
        let plan = try await reset(t, .topics([.init(topic: "orders")]), try .toDateTime(parsing: "2026-11-21T10:00:03.500"))
        #expect(plan.newOffsets == [Self.o0: 4, Self.o1: 5, Self.o2: 0])
        #expect(plan.warnings == [.noOffsetForTimestamp(Self.o2)])
        let zoned = try await t.admin.planOffsetReset(group: "g", scope: .allTopics,
                                                      strategy: try .toDateTime(parsing: "2026-11-21T11:00:07.000+01:00"))
        // The reset above committed partition 2 too, so the whole group now has three.
        #expect(zoned.newOffsets == [Self.o0: 7, Self.o1: 7, Self.o2: 0])
        let later = try await t.admin.planOffsetReset(group: "g", scope: .allTopics,
                                                      strategy: try .toDateTime(parsing: "2026-11-21T10:00:15.000Z"))
        #expect(later.newOffsets == [Self.o0: 10, Self.o1: 15, Self.o2: 0])
        #expect(later.warnings == [.noOffsetForTimestamp(Self.o0), .noOffsetForTimestamp(Self.o2)])
    }

    @Test func byDurationLooksBackFromNow() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let now = Self.base + 20_000
        let plan = try await reset(t, .allTopics, try .byDuration(parsing: "PT16.5S"), now: now)
        #expect(plan.newOffsets == [Self.o0: 4, Self.o1: 5])
        let day = try await t.admin.planOffsetReset(group: "g", scope: .allTopics, strategy: try .byDuration(parsing: "P1D"), now: now)
        #expect(day.newOffsets == [Self.o0: 0, Self.o1: 5])
    }

    @Test func fromFileResetsTheFilesPartitions() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plan = try await reset(t, nil, try .fromFile(csv: "orders,2,0\norders,1,100\n"))
        #expect(plan.newOffsets == [Self.o1: 20, Self.o2: 0])
        #expect(plan.warnings == [.clampedToLatest(Self.o1, requested: 100, latest: 20)])
        let multi = try await reset(t, .allTopics, try .fromFile(csv: "other,orders,0,9\ng,orders,0,2\n"))
        #expect(multi.newOffsets == [Self.o0: 2])
        await #expect(throws: OffsetResetError.unknownTopicOrPartition(TopicPartition("orders", 7))) {
            try await t.admin.planOffsetReset(group: "g", scope: nil, strategy: try .fromFile(csv: "orders,7,1"))
        }
        await #expect(throws: OffsetResetError.noResetPlanForGroup("g")) {
            try await t.admin.planOffsetReset(group: "g", scope: nil, strategy: try .fromFile(csv: "other,orders,0,1"))
        }
    }

    @Test func badScopesAreRefused() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        await #expect(throws: OffsetResetError.unknownTopic("nope")) {
            try await t.admin.planOffsetReset(group: "g", scope: .topics([.init(topic: "nope")]), strategy: .toEarliest)
        }
        await #expect(throws: OffsetResetError.unknownTopicOrPartition(TopicPartition("orders", 3))) {
            try await t.admin.planOffsetReset(group: "g", scope: try OffsetResetScope(topicArguments: ["orders:0,3"]), strategy: .toEarliest)
        }
        await #expect(throws: OffsetResetError.missingScope) {
            try await t.admin.planOffsetReset(group: "g", scope: nil, strategy: .toEarliest)
        }
    }

    @Test func aGroupWithMembersIsRefused() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let plannedWhileEmpty = try await t.admin.planOffsetReset(group: "g", scope: .allTopics, strategy: .toEarliest)
        let member = try await HandMadeMember.join(t.client, group: "g", topics: ["orders"], partitions: [Self.o0, Self.o1])
        let refusal = OffsetResetError.groupNotInactive(group: "g", state: "Stable")
        #expect(refusal.description == "Assignments can only be reset if the group 'g' is inactive, but the current state is Stable.")
        await #expect(throws: refusal) {
            try await t.admin.planOffsetReset(group: "g", scope: .allTopics, strategy: .toEarliest)
        }
        await #expect(throws: refusal) { try await t.admin.executeOffsetReset(plannedWhileEmpty) }
        #expect(try await committed(t) == Self.committed, "nothing was reset")

        try await member.leave(t.client)
        try await t.admin.executeOffsetReset(plannedWhileEmpty)
        #expect(try await committed(t) == [Self.o0: 0, Self.o1: 5])
    }
}
