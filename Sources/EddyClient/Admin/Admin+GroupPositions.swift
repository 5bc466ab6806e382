import EddyProtocol

extension Admin {
    /// The four positions and two lags of `groupId` (see `GroupPositions`): DescribeGroups for
    /// state and assignments, OffsetFetch for commits, the live consumers of this process (else
    /// the owning member's latest fetch, from EddyFetchPositions) for positions, and three ListOffsets rounds to the leaders (earliest, latest = high
    /// watermark, and latest with DEBUGGING_REPLICA_ID = log-end offset). Partitions of topics
    /// that no longer exist, and offline partitions, keep their commit and get nil offsets.
    ///
    /// - Parameters:
    ///   - liveConsumers: the registry of this process's consumers to read positions from.
    ///   - live: positions to use instead of asking `liveConsumers` (callers that know them
    ///     otherwise, tests).
    public func groupPositions(_ groupId: String, liveConsumers: LiveConsumers = .shared,
                               live: [TopicPartition: GroupPositions.LivePosition]? = nil) async throws(ClientError) -> GroupPositions {
        let description = try await describeConsumerGroup(groupId)
        let committed = try await listConsumerGroupOffsets(groupId).mapValues(\.offset)
        let positions: [TopicPartition: GroupPositions.LivePosition]
        if let live { positions = live } else { positions = await memberPositions(description, registry: liveConsumers) }
        let partitions = Set(committed.keys).union(description.assignments.keys).union(positions.keys)
        let offsets = try await partitionOffsets(Array(partitions))
        return GroupPositions(description: description, committed: committed, offsets: offsets, live: positions)
    }

    /// Log start, high watermark and log-end offset of each partition that exists and has a
    /// leader; partitions of unknown topics (or beyond a topic's partition count) and offline
    /// partitions are left out, so monitoring shows them as unknown instead of waiting for them.
    func partitionOffsets(_ partitions: [TopicPartition]) async throws(ClientError) -> [TopicPartition: GroupPositions.PartitionOffsets] {
        guard !partitions.isEmpty else { return [:] }
        let topics = Set(partitions.map(\.topic)).sorted()
        let metadata = try await retrying(until: deadline()) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: topics)
        }
        let existing = partitions.filter { tp in
            guard let t = metadata.topics[tp.topic] else { return false }
            return tp.partition >= 0 && Int(tp.partition) < t.partitions.count && metadata.leader(of: tp) != nil
        }
        return try await logOffsets(existing)
    }

    /// The log start offset, high watermark and log-end offset of each partition (three
    /// ListOffsets rounds to the leaders). Partitions the leaders could not answer for are left out.
    public func logOffsets(_ partitions: [TopicPartition]) async throws(ClientError) -> [TopicPartition: GroupPositions.PartitionOffsets] {
        guard !partitions.isEmpty else { return [:] }
        let start = try await listOffsets(partitions, .earliest)
        let hw = try await listOffsets(partitions, .latest)
        let end = try await listOffsets(partitions, .logEnd)
        var out: [TopicPartition: GroupPositions.PartitionOffsets] = [:]
        for tp in partitions {
            guard let s = start[tp], let h = hw[tp], let e = end[tp] else { continue }
            out[tp] = GroupPositions.PartitionOffsets(logStartOffset: s, highWatermark: h, logEndOffset: e)
        }
        return out
    }
}
