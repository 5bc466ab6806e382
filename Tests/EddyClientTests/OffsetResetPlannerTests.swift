import EddyClient
import EddyProtocol
import Testing

/// A group's known data: `orders` has three partitions, `payments` one. Records in each partition
/// have timestamp `base + offset * 1000` (base = 2026-11-21T10:00:00.000Z), so the offset for a
/// timestamp is derived from the records, as ListOffsets would.
private enum Fixture {
    static let base: Int64 = 1_795_255_200_000
    static let o0 = TopicPartition("orders", 0)
    static let o1 = TopicPartition("orders", 1)
    static let o2 = TopicPartition("orders", 2)
    static let p0 = TopicPartition("payments", 0)
    static let facts: [TopicPartition: OffsetResetPartitionFacts] = [
        o0: .init(logStartOffset: 0, highWatermark: 100, committedOffset: 40),
        o1: .init(logStartOffset: 10, highWatermark: 50, committedOffset: 50),
        o2: .init(logStartOffset: 20, highWatermark: 30, committedOffset: nil),
        p0: .init(logStartOffset: 0, highWatermark: 10, committedOffset: 5),
    ]

    static func planner(state: String = "Empty", members: Int = 0,
                        facts: [TopicPartition: OffsetResetPartitionFacts] = facts) -> OffsetResetPlanner {
        OffsetResetPlanner(group: "g1", groupState: state, memberCount: members, partitions: facts)
    }

    /// First offset in [logStart, hw) whose record timestamp is >= ts.
    static func lookup(_ tp: TopicPartition, _ ts: Int64) -> Int64? {
        guard let f = facts[tp] else { return nil }
        return (f.logStartOffset..<f.highWatermark).first { base + $0 * 1000 >= ts }
    }
}

@Suite struct OffsetResetPlannerTests {
    fileprivate typealias F = Fixture

    @Test func toEarliestOverAllTopicsUsesCommittedPartitions() throws {
        let plan = try F.planner().plan(scope: .allTopics, strategy: .toEarliest, now: 0)
        #expect(plan.entries.map(\.topicPartition) == [F.o0, F.o1, F.p0])
        #expect(plan.newOffsets == [F.o0: 0, F.o1: 10, F.p0: 0])
        #expect(plan.warnings.isEmpty)
        #expect(plan.entries.map(\.oldOffset) == [40, 50, 5])
    }

    @Test func toLatestOnOneTopicIncludesUncommittedPartitionsAndLag() throws {
        let plan = try F.planner().plan(scope: .topics([.init(topic: "orders")]), strategy: .toLatest, now: 0)
        #expect(plan.newOffsets == [F.o0: 100, F.o1: 50, F.o2: 30])
        #expect(plan.entries.map(\.oldLag) == [60, 0, nil])
        #expect(plan.entries.map(\.newLag) == [0, 0, 0])
        #expect(plan.warnings.isEmpty)
    }

    @Test func toCurrentKeepsCommittedAndFallsBackToHighWatermark() throws {
        var facts = F.facts
        facts[F.p0] = .init(logStartOffset: 8, highWatermark: 10, committedOffset: 5) // below log start
        let plan = try F.planner(facts: facts).plan(
            scope: try OffsetResetScope(topicArguments: ["orders", "payments"]), strategy: .toCurrent, now: 0)
        #expect(plan.newOffsets == [F.o0: 40, F.o1: 50, F.o2: 30, F.p0: 5])
        #expect(plan.warnings.isEmpty, "Kafka does not range-check --to-current")
    }

    @Test func toOffsetClampsBothWaysWithKafkaWarnings() throws {
        let scope = OffsetResetScope.topics([.init(topic: "orders")])
        let high = try F.planner().plan(scope: scope, strategy: .toOffset(45), now: 0)
        #expect(high.newOffsets == [F.o0: 45, F.o1: 45, F.o2: 30])
        #expect(high.warnings == [.clampedToLatest(F.o2, requested: 45, latest: 30)])
        #expect(high.warnings.map(\.description) == [
            "New offset (45) is higher than latest offset for topic partition orders-2. Value will be set to 30",
        ])
        #expect(high.entries.map(\.wasClamped) == [false, false, true])

        let low = try F.planner().plan(scope: scope, strategy: .toOffset(5), now: 0)
        #expect(low.newOffsets == [F.o0: 5, F.o1: 10, F.o2: 20])
        #expect(low.warnings.map(\.description) == [
            "New offset (5) is lower than earliest offset for topic partition orders-1. Value will be set to 10",
            "New offset (5) is lower than earliest offset for topic partition orders-2. Value will be set to 20",
        ])
    }

    @Test func shiftByMovesFromCommittedAndClamps() throws {
        let scope = try OffsetResetScope(topicArguments: ["orders:0,1"])
        let back = try F.planner().plan(scope: scope, strategy: .shiftBy(-45), now: 0)
        #expect(back.newOffsets == [F.o0: 0, F.o1: 10])
        #expect(back.warnings == [
            .clampedToEarliest(F.o0, requested: -5, earliest: 0),
            .clampedToEarliest(F.o1, requested: 5, earliest: 10),
        ])
        let fwd = try F.planner().plan(scope: scope, strategy: .shiftBy(20), now: 0)
        #expect(fwd.newOffsets == [F.o0: 60, F.o1: 50])
        #expect(fwd.warnings == [.clampedToLatest(F.o1, requested: 70, latest: 50)])
        let huge = try F.planner().plan(scope: scope, strategy: .shiftBy(.max), now: 0)
        #expect(huge.newOffsets == [F.o0: 100, F.o1: 50])
    }

    @Test func shiftByWithoutCommittedOffsetIsAnError() {
        #expect(throws: OffsetResetError.noCommittedOffset(F.o2)) {
            try F.planner().plan(scope: .topics([.init(topic: "orders")]), strategy: .shiftBy(1), now: 0)
        }
        #expect(OffsetResetError.noCommittedOffset(F.o2).description
            == "Cannot shift offset for partition orders-2 since there is no current committed offset")
    }

    @Test func toDateTimeUsesTheLookupAndFallsBackToLatest() throws {
        var asked: [TopicPartition] = []
        let plan = try F.planner().plan(
            scope: .topics([.init(topic: "orders")]),
            strategy: try .toDateTime(parsing: "2026-11-21T10:00:45.000"), now: 0
        ) { tp, ts in asked.append(tp); return F.lookup(tp, ts) }
        #expect(asked == [F.o0, F.o1, F.o2])
        #expect(plan.newOffsets == [F.o0: 45, F.o1: 45, F.o2: 30])
        #expect(plan.warnings.map(\.description) == [
            "Partition 2 from topic orders is empty. Falling back to latest known offset.",
        ])
        // Same instant written with a zone offset.
        let zoned = try F.planner().plan(
            scope: .topics([.init(topic: "orders")]),
            strategy: try .toDateTime(parsing: "2026-11-21T12:00:45.000+02:00"), now: 0, offsetForTimestamp: F.lookup)
        #expect(zoned == plan)
    }

    @Test func byDurationMeansNowMinusDuration() throws {
        let now = F.base + 100_000
        let plan = try F.planner().plan(scope: .topics([.init(topic: "orders", partitions: [0, 1])]),
                                        strategy: try .byDuration(parsing: "PT55S"), now: now,
                                        offsetForTimestamp: F.lookup)
        #expect(plan.newOffsets == [F.o0: 45, F.o1: 45])
        let older = try F.planner().plan(scope: .topics([.init(topic: "orders", partitions: [0])]),
                                         strategy: try .byDuration(parsing: "P1D"), now: now,
                                         offsetForTimestamp: F.lookup)
        #expect(older.newOffsets == [F.o0: 0])
    }

    @Test func fromFileTakesPartitionsFromTheFileAndClamps() throws {
        let strategy = try OffsetResetStrategy.fromFile(csv: "orders,0,7\norders,1,5\npayments,0,99\n")
        let plan = try F.planner().plan(scope: nil, strategy: strategy, now: 0)
        #expect(plan.newOffsets == [F.o0: 7, F.o1: 10, F.p0: 10])
        #expect(plan.warnings == [
            .clampedToEarliest(F.o1, requested: 5, earliest: 10),
            .clampedToLatest(F.p0, requested: 99, latest: 10),
        ])
        let multi = try OffsetResetStrategy.fromFile(csv: "g1,orders,0,3\nother,orders,1,20\n")
        #expect(try F.planner().plan(scope: nil, strategy: multi, now: 0).newOffsets == [F.o0: 3])
        let none = try OffsetResetStrategy.fromFile(csv: "other,orders,1,20\n")
        #expect(throws: OffsetResetError.noResetPlanForGroup("g1")) {
            try F.planner().plan(scope: nil, strategy: none, now: 0)
        }
        let unknown = try OffsetResetStrategy.fromFile(csv: "orders,9,1\n")
        #expect(throws: OffsetResetError.unknownTopicOrPartition(TopicPartition("orders", 9))) {
            try F.planner().plan(scope: nil, strategy: unknown, now: 0)
        }
    }

    @Test func scopeIsRequiredExceptForFromFile() {
        #expect(throws: OffsetResetError.missingScope) {
            try F.planner().plan(scope: nil, strategy: .toEarliest, now: 0)
        }
    }

    @Test func scopeNamingUnknownTopicsOrPartitionsFails() {
        #expect(throws: OffsetResetError.unknownTopic("nope")) {
            try F.planner().plan(scope: .topics([.init(topic: "nope")]), strategy: .toEarliest, now: 0)
        }
        #expect(throws: OffsetResetError.unknownTopicOrPartition(TopicPartition("orders", 3))) {
            try F.planner().plan(scope: .topics([.init(topic: "orders", partitions: [0, 3])]), strategy: .toEarliest, now: 0)
        }
    }

    @Test(arguments: [("Stable", 2), ("PreparingRebalance", 1), ("CompletingRebalance", 1), ("Empty", 1)])
    func refusedWhileGroupIsActive(state: String, members: Int) {
        #expect(throws: OffsetResetError.groupNotInactive(group: "g1", state: state)) {
            try F.planner(state: state, members: members).plan(scope: .allTopics, strategy: .toEarliest, now: 0)
        }
    }

    @Test func refusalUsesKafkasMessage() {
        #expect(OffsetResetError.groupNotInactive(group: "g1", state: "Stable").description
            == "Assignments can only be reset if the group 'g1' is inactive, but the current state is Stable.")
    }

    @Test(arguments: ["Empty", "Dead"])
    func inactiveGroupsCanBeReset(state: String) throws {
        #expect(try F.planner(state: state).plan(scope: .allTopics, strategy: .toLatest, now: 0).entries.count == 3)
    }

    @Test func kafkaTableRendering() throws {
        let plan = try F.planner().plan(scope: .topics([.init(topic: "orders", partitions: [0, 2])]),
                                        strategy: .toOffset(25), now: 0)
        #expect(plan.kafkaTableLines() == [
            "GROUP           TOPIC           PARTITION  NEW-OFFSET",
            "g1              orders          0          25",
            "g1              orders          2          25",
        ])
        let empty = OffsetResetPlan(group: "g1", entries: [], warnings: [])
        #expect(empty.kafkaTableLines().isEmpty)
    }

    @Test func previewRendering() throws {
        let plan = try F.planner().plan(scope: .topics([.init(topic: "orders")]), strategy: .toOffset(25), now: 0)
        #expect(plan.previewLines() == [
            "TOPIC   PARTITION  OLD-OFFSET  NEW-OFFSET  OLD-LAG  NEW-LAG",
            "orders  0          40          25          60       75",
            "orders  1          50          25          0        25",
            "orders  2          -           25          -        5",
        ])
    }

    /// `--export` writes what `--from-file` reads: the same offsets come back.
    @Test func exportRenderingReadsBackAsAResetFile() throws {
        let plan = try F.planner().plan(scope: .allTopics, strategy: .shiftBy(-5), now: 0)
        #expect(plan.exportLines() == plan.entries.map { "\($0.topicPartition.topic),\($0.topicPartition.partition),\($0.newOffset)" })
        #expect(plan.exportLines().first == "orders,0,35")
        let file = try OffsetResetFile(csv: plan.exportLines().joined(separator: "\n") + "\n")
        #expect(try file.offsets(forGroup: "g1") == Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.topicPartition, $0.newOffset) }))
        let replanned = try F.planner().plan(scope: nil, strategy: .fromFile(file), now: 0)
        #expect(replanned.entries.map(\.newOffset) == plan.entries.map(\.newOffset))
        #expect(OffsetResetPlan(group: "g1", entries: [], warnings: []).exportLines().isEmpty)
    }

    @Test func planIsIndependentOfInputOrder() throws {
        let reversed = Dictionary(uniqueKeysWithValues: F.facts.sorted { $0.key > $1.key }.map { ($0.key, $0.value) })
        for strategy: OffsetResetStrategy in [.toEarliest, .toLatest, .toCurrent, .toOffset(25), .shiftBy(-3)] {
            let a = try F.planner().plan(scope: .allTopics, strategy: strategy, now: 0)
            let b = try F.planner(facts: reversed).plan(scope: .allTopics, strategy: strategy, now: 0)
            #expect(a == b)
            #expect(a.kafkaTableLines() == b.kafkaTableLines())
            #expect(a.previewLines() == b.previewLines())
        }
    }

    /// Over random partitions and targets: every new offset is within [log start, high
    /// watermark], and a warning is raised exactly for the clamped entries.
    @Test func clampingInvariantOverRandomInputs() throws {
        for seed: UInt64 in 1...200 {
            var rng = SplitMix64(seed: seed)
            var facts: [TopicPartition: OffsetResetPartitionFacts] = [:]
            for p in 0..<Int32(rng.next() % 5 + 1) {
                let start = Int64(rng.next() % 100)
                let hw = start + Int64(rng.next() % 100)
                facts[TopicPartition("t", p)] = .init(logStartOffset: start, highWatermark: hw,
                                                      committedOffset: start + Int64(rng.next() % 50))
            }
            let target = Int64(rng.next() % 300) - 50
            let strategy: OffsetResetStrategy = rng.next() % 2 == 0 ? .toOffset(target) : .shiftBy(target)
            let plan = try F.planner(facts: facts).plan(scope: .allTopics, strategy: strategy, now: 0)
            for e in plan.entries {
                #expect((e.logStartOffset...e.highWatermark).contains(e.newOffset), "seed=\(seed)")
            }
            #expect(plan.warnings.count == plan.entries.filter(\.wasClamped).count, "seed=\(seed)")
        }
    }
}
