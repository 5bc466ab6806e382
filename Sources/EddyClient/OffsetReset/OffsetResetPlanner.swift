import EddyProtocol

/// Plans a consumer group offset reset as `kafka-consumer-groups --reset-offsets` does. Pure:
/// the caller supplies the group's state and every partition's offsets, and executes the plan
/// (OffsetCommit) itself; time is passed in.
public struct OffsetResetPlanner: Sendable {
    public var group: String
    /// Kafka's state name: Empty, PreparingRebalance, CompletingRebalance, Stable or Dead.
    public var groupState: String
    public var memberCount: Int
    /// Facts for every partition the scope or reset file may name; for `allTopics`, the
    /// partitions with a committed offset are the group's.
    public var partitions: [TopicPartition: OffsetResetPartitionFacts]

    public init(group: String, groupState: String, memberCount: Int,
                partitions: [TopicPartition: OffsetResetPartitionFacts]) {
        self.group = group
        self.groupState = groupState
        self.memberCount = memberCount
        self.partitions = partitions
    }

    /// Kafka resets only groups in state Empty or Dead; eddy also refuses while any member
    /// remains, whatever the reported state.
    public static func checkInactive(group: String, state: String, memberCount: Int) throws {
        guard (state == "Empty" || state == "Dead") && memberCount == 0 else {
            throw OffsetResetError.groupNotInactive(group: group, state: state)
        }
    }

    /// The partitions a scope selects, sorted.
    public func partitionsToReset(_ scope: OffsetResetScope) throws -> [TopicPartition] {
        switch scope {
        case .allTopics:
            return partitions.filter { $0.value.committedOffset != nil }.keys.sorted()
        case let .topics(selections):
            var result = Set<TopicPartition>()
            for selection in selections {
                if let wanted = selection.partitions {
                    for p in wanted {
                        let tp = TopicPartition(selection.topic, p)
                        guard partitions[tp] != nil else { throw OffsetResetError.unknownTopicOrPartition(tp) }
                        result.insert(tp)
                    }
                } else {
                    let all = partitions.keys.filter { $0.topic == selection.topic }
                    guard !all.isEmpty else { throw OffsetResetError.unknownTopic(selection.topic) }
                    result.formUnion(all)
                }
            }
            return result.sorted()
        }
    }

    /// Builds the plan. Refuses active groups first. `scope` may be nil only for `fromFile`
    /// (which ignores it, as Kafka does). `now` (ms since epoch) is used by `byDuration`.
    /// `offsetForTimestamp` answers ListOffsets by timestamp: the first offset whose record
    /// timestamp is >= the given one, or nil if there is none (then the high watermark is used,
    /// with a warning); it is called only for `toDateTime` and `byDuration`.
    public func plan(
        scope: OffsetResetScope?,
        strategy: OffsetResetStrategy,
        now: Int64,
        offsetForTimestamp: (TopicPartition, Int64) -> Int64? = { _, _ in nil }
    ) throws -> OffsetResetPlan {
        try Self.checkInactive(group: group, state: groupState, memberCount: memberCount)

        var requested: [(TopicPartition, Int64)] = []
        var clamp = true
        var warnings: [OffsetResetWarning] = []

        func targets() throws -> [(TopicPartition, OffsetResetPartitionFacts)] {
            guard let scope else { throw OffsetResetError.missingScope }
            return try partitionsToReset(scope).map { ($0, partitions[$0]!) }
        }
        func byTime(_ timestamp: Int64) throws {
            for (tp, facts) in try targets() {
                if let offset = offsetForTimestamp(tp, timestamp) {
                    requested.append((tp, offset))
                } else {
                    warnings.append(.noOffsetForTimestamp(tp))
                    requested.append((tp, facts.highWatermark))
                }
            }
        }

        switch strategy {
        case .toEarliest:
            requested = try targets().map { ($0.0, $0.1.logStartOffset) }
        case .toLatest:
            requested = try targets().map { ($0.0, $0.1.highWatermark) }
        case .toCurrent:
            clamp = false
            requested = try targets().map { ($0.0, $0.1.committedOffset ?? $0.1.highWatermark) }
        case let .toOffset(offset):
            requested = try targets().map { ($0.0, offset) }
        case let .shiftBy(delta):
            requested = try targets().map { tp, facts in
                guard let committed = facts.committedOffset else { throw OffsetResetError.noCommittedOffset(tp) }
                let (sum, overflow) = committed.addingReportingOverflow(delta)
                return (tp, overflow ? (delta < 0 ? .min : .max) : sum)
            }
        case let .toDateTime(timestamp):
            try byTime(timestamp)
        case let .byDuration(duration):
            let (ts, overflow) = now.subtractingReportingOverflow(duration)
            try byTime(overflow ? (duration < 0 ? .max : .min) : ts)
        case let .fromFile(file):
            requested = try file.offsets(forGroup: group).sorted { $0.key < $1.key }.map { tp, offset in
                guard partitions[tp] != nil else { throw OffsetResetError.unknownTopicOrPartition(tp) }
                return (tp, offset)
            }
        }

        var entries: [OffsetResetPlan.Entry] = []
        for (tp, want) in requested.sorted(by: { $0.0 < $1.0 }) {
            let facts = partitions[tp]!
            var new = want
            if clamp {
                if want > facts.highWatermark {
                    new = facts.highWatermark
                    warnings.append(.clampedToLatest(tp, requested: want, latest: new))
                } else if want < facts.logStartOffset {
                    new = facts.logStartOffset
                    warnings.append(.clampedToEarliest(tp, requested: want, earliest: new))
                }
            }
            entries.append(.init(topicPartition: tp, oldOffset: facts.committedOffset, newOffset: new,
                                 requestedOffset: want, logStartOffset: facts.logStartOffset,
                                 highWatermark: facts.highWatermark))
        }
        return OffsetResetPlan(group: group, entries: entries, warnings: warnings)
    }
}
