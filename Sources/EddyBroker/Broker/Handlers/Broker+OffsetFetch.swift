import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// OffsetFetch, both forms. A partition without a committed offset reports offset -1 and no
    /// error; asking for all topics (nil) lists every partition with one. With require_stable
    /// (v7+, a read_committed consumer), a partition named in the request whose offset a
    /// transaction has committed but not yet ended reports UNSTABLE_OFFSET_COMMIT (the client
    /// asks again), as Kafka's does.
    func handleOffsetFetch(_ r: OffsetFetchRequest) -> OffsetFetchResponse {
        func fetch(_ g: OffsetFetchRequest.OffsetFetchRequestGroup) -> OffsetFetchResponse.OffsetFetchResponseGroup {
            if let e = cluster.coordinatorError(for: g.groupId, on: self) { return .init(groupId: g.groupId, errorCode: e) }
            let coordinator = groups.coordinator
            let topics: [OffsetFetchResponse.OffsetFetchResponseTopic]
            if let asked = g.topics {
                let partitions = asked.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } }
                let committed = coordinator.fetchOffsets(groupId: g.groupId, partitions: partitions)
                let unstable = r.requireStable ? coordinator.unstablePartitions(groupId: g.groupId, partitions) : []
                topics = asked.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map { p in
                        let tp = TopicPartition(t.name, p)
                        if unstable.contains(tp) { return .init(partitionIndex: p, errorCode: .unstableOffsetCommit) }
                        return Broker.offsetFetchPartition(p, committed[tp])
                    })
                }
            } else {
                let committed = coordinator.fetchOffsets(groupId: g.groupId)
                let byTopic = Dictionary(grouping: committed.keys.sorted(), by: \.topic)
                topics = byTopic.keys.sorted().map { name in
                    .init(name: name, partitions: byTopic[name]!.map { Broker.offsetFetchPartition($0.partition, committed[$0]) })
                }
            }
            return .init(groupId: g.groupId, topics: topics)
        }
        if r.isBatched { return OffsetFetchResponse(groups: r.groups.map(fetch)) }
        let g = fetch(OffsetFetchRequest.OffsetFetchRequestGroup(groupId: r.groupId, topics: r.topics))
        return OffsetFetchResponse(topics: g.topics, errorCode: g.errorCode)
    }

    static func offsetFetchPartition(_ p: Int32, _ c: CommittedOffset?) -> OffsetFetchResponse.OffsetFetchResponsePartition {
        guard let c else { return .init(partitionIndex: p) }
        return .init(partitionIndex: p, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata)
    }
}
