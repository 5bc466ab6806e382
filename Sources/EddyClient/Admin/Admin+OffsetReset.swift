import EddyProtocol

extension Admin {
    /// Plans a reset of `group`'s committed offsets as `kafka-consumer-groups --reset-offsets`
    /// does, without executing it: gathers the planner's inputs (the group's state and members
    /// from DescribeGroups, its commits from OffsetFetch, the partitions of the scope's topics
    /// from metadata, log start offsets and high watermarks from ListOffsets, and for
    /// `toDateTime`/`byDuration` the offsets for the timestamp) and runs `OffsetResetPlanner`.
    ///
    /// Throws `OffsetResetError.groupNotInactive` while the group has members (Kafka's
    /// "Assignments can only be reset if the group '<g>' is inactive, but the current state is
    /// <State>."), other `OffsetResetError`s for a bad scope or file, and `ClientError` for
    /// request failures.
    ///
    /// - Parameters:
    ///   - scope: nil only with `fromFile` (the file names the partitions).
    ///   - now: wall-clock ms since the epoch, for `byDuration`.
    ///   - ignoringGroupState: plan as if the group were Empty: a preview of what the reset will
    ///     do once its members have left (the console's replay). Kafka refuses to execute it now.
    public func planOffsetReset(group: String, scope: OffsetResetScope?, strategy: OffsetResetStrategy,
                                now: Int64 = ClientTime.wallClockMs(),
                                ignoringGroupState: Bool = false) async throws -> OffsetResetPlan {
        var (state, memberCount) = ("Empty", 0)
        if !ignoringGroupState {
            let description = try await describeConsumerGroup(group)
            try OffsetResetPlanner.checkInactive(group: group, state: description.state.name, memberCount: description.members.count)
            (state, memberCount) = (description.state.name, description.members.count)
        }
        let committed = try await listConsumerGroupOffsets(group).mapValues(\.offset)

        // The partitions the planner may be asked about.
        var candidates = Set<TopicPartition>()
        if case let .fromFile(file) = strategy {
            candidates = Set(try file.offsets(forGroup: group).keys)
        } else {
            switch scope {
            case nil:
                throw OffsetResetError.missingScope
            case .allTopics:
                candidates = Set(committed.keys)
            case let .topics(selections):
                let metadata = try await client.refreshMetadata(topics: Set(selections.map(\.topic)).sorted())
                for s in selections {
                    guard let topic = metadata.topics[s.topic] else { throw OffsetResetError.unknownTopic(s.topic) }
                    let count = Int32(topic.partitions.count)
                    for p in s.partitions ?? Array(0 ..< count) where p < count { candidates.insert(TopicPartition(s.topic, p)) }
                }
            }
        }
        let existing = try await existingPartitions(candidates)
        let start = try await listOffsets(existing, .earliest)
        let hw = try await listOffsets(existing, .latest)
        var facts: [TopicPartition: OffsetResetPartitionFacts] = [:]
        for tp in existing {
            guard let s = start[tp], let h = hw[tp] else { continue }
            facts[tp] = OffsetResetPartitionFacts(logStartOffset: s, highWatermark: h, committedOffset: committed[tp])
        }
        let planner = OffsetResetPlanner(group: group, groupState: state, memberCount: memberCount, partitions: facts)

        // The planner looks timestamps up synchronously: ask the leaders first.
        var byTime: [TopicPartition: Int64] = [:]
        let timestamp: Int64? = switch strategy {
        case let .toDateTime(ts): ts
        case let .byDuration(d):
            now.subtractingReportingOverflow(d).overflow ? (d < 0 ? .max : .min) : now - d
        default: nil
        }
        if let timestamp, let scope {
            let targets = try planner.partitionsToReset(scope)
            byTime = try await listOffsets(targets, .forTimestamp(timestamp)).filter { $0.value >= 0 }
        }
        return try planner.plan(scope: scope, strategy: strategy, now: now) { tp, _ in byTime[tp] }
    }

    /// Commits `plan`'s new offsets (OffsetCommit from outside the group), after checking again
    /// that the group is inactive. A member that joined since the plan was made makes it fail
    /// with `OffsetResetError.groupNotInactive` naming the state then.
    public func executeOffsetReset(_ plan: OffsetResetPlan) async throws {
        let description = try await describeConsumerGroup(plan.group)
        try OffsetResetPlanner.checkInactive(group: plan.group, state: description.state.name, memberCount: description.members.count)
        do throws(ClientError) {
            try await alterConsumerGroupOffsets(plan.group, plan.newOffsets.mapValues { OffsetAndMetadata($0) })
        } catch {
            guard error.errorCode == .unknownMemberId || error.errorCode == .rebalanceInProgress else { throw error }
            guard let current = try? await describeConsumerGroup(plan.group) else { throw error }
            throw OffsetResetError.groupNotInactive(group: plan.group, state: current.state.name)
        }
    }

    /// The partitions of `candidates` whose topic exists and has that partition.
    func existingPartitions(_ candidates: Set<TopicPartition>) async throws(ClientError) -> [TopicPartition] {
        guard !candidates.isEmpty else { return [] }
        let metadata = try await client.refreshMetadata(topics: Set(candidates.map(\.topic)).sorted())
        return candidates.filter { tp in
            guard let t = metadata.topics[tp.topic] else { return false }
            return tp.partition >= 0 && Int(tp.partition) < t.partitions.count
        }.sorted()
    }
}
