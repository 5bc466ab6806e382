import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// OffsetDelete (KIP-496): GROUP_ID_NOT_FOUND for a group this coordinator does not hold;
    /// per partition UNKNOWN_TOPIC_OR_PARTITION for unknown topics, GROUP_SUBSCRIBED_TO_TOPIC
    /// while the group has members. Answered once the tombstones are committed.
    func handleOffsetDelete(_ r: OffsetDeleteRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return cluster.queue(respond, .offsetDelete(r.errorResponse(e))) }
        guard let group = groups.coordinator.groups[r.groupId], group.state != .dead else {
            return cluster.queue(respond, .offsetDelete(r.errorResponse(.groupIdNotFound)))
        }
        let image = cluster.metadata.image
        let asked = r.topicPartitions
        let known = asked.filter { image.partition($0) != nil }
        let outcome = groups.coordinator.deleteOffsets(groupId: r.groupId, partitions: known, now: cluster.clock.nowMs())
        let results = outcome.response
        let partition = groups.partition(of: r.groupId)
        cluster.carryOut(outcome.actions, on: self) { errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            if writeError != .none { return respond(.offsetDelete(r.errorResponse(writeError))) }
            respond(.offsetDelete(OffsetDeleteResponse(topics: r.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { p in
                    .init(partitionIndex: p.partitionIndex, errorCode: results[TopicPartition(t.name, p.partitionIndex)] ?? .unknownTopicOrPartition)
                })
            })))
        }
    }
}
