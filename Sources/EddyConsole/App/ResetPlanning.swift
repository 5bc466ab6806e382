import EddyClient
import EddyProtocol

/// Plans a reset for a group that is still active, for the replay preview: the same inputs
/// `Admin.planOffsetReset` gathers (commits, the scope's partitions, log start offsets, high
/// watermarks, offsets for a timestamp), given to `OffsetResetPlanner` as if the group were
/// Empty. Kafka would refuse to execute it; the console shows it as what the reset will do
/// once the demo consumers are paused, and plans again then.
struct ResetPlanning {
    let admin: Admin

    func planAsIfInactive(_ request: ResetRequest, now: Int64 = ClientTime.wallClockMs()) async throws -> OffsetResetPlan {
        let committed = try await admin.listConsumerGroupOffsets(request.group).mapValues(\.offset)
        var candidates = Set<TopicPartition>()
        switch request.scope {
        case .allTopics:
            candidates = Set(committed.keys)
        case let .topics(selections):
            let metadata = try await admin.client.refreshMetadata(topics: Set(selections.map(\.topic)).sorted())
            for s in selections {
                guard let topic = metadata.topics[s.topic] else { throw OffsetResetError.unknownTopic(s.topic) }
                let count = Int32(topic.partitions.count)
                for p in s.partitions ?? Array(0 ..< count) where p < count { candidates.insert(TopicPartition(s.topic, p)) }
            }
        }
        let metadata = try await admin.client.refreshMetadata(topics: Set(candidates.map(\.topic)).sorted())
        let existing = candidates.filter { tp in
            guard let t = metadata.topics[tp.topic] else { return false }
            return Int(tp.partition) < t.partitions.count
        }.sorted()
        let start = try await admin.listOffsets(existing, .earliest)
        let hw = try await admin.listOffsets(existing, .latest)
        var facts: [TopicPartition: OffsetResetPartitionFacts] = [:]
        for tp in existing {
            guard let s = start[tp], let h = hw[tp] else { continue }
            facts[tp] = OffsetResetPartitionFacts(logStartOffset: s, highWatermark: h, committedOffset: committed[tp])
        }
        let planner = OffsetResetPlanner(group: request.group, groupState: "Empty", memberCount: 0, partitions: facts)
        var byTime: [TopicPartition: Int64] = [:]
        let timestamp: Int64? = switch request.strategy {
        case let .toDateTime(ts): ts
        case let .byDuration(d): now.subtractingReportingOverflow(d).overflow ? (d < 0 ? .max : .min) : now - d
        default: nil
        }
        if let timestamp {
            let targets = try planner.partitionsToReset(request.scope)
            byTime = try await admin.listOffsets(targets, .forTimestamp(timestamp)).filter { $0.value >= 0 }
        }
        return try planner.plan(scope: request.scope, strategy: request.strategy, now: now) { tp, _ in byTime[tp] }
    }
}
