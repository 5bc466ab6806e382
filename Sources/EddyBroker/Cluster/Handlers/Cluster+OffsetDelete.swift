import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to `deferred`.
extension Cluster {
    /// OffsetDelete (KIP-496): GROUP_ID_NOT_FOUND for a group this coordinator does not hold;
    /// per partition UNKNOWN_TOPIC_OR_PARTITION for unknown topics, GROUP_SUBSCRIBED_TO_TOPIC
    /// while the group has members. Answered once the tombstones are committed.
    func handleOffsetDelete(_ r: OffsetDeleteRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = coordinatorError(for: r.groupId, on: node) { return queue(respond, .offsetDelete(r.errorResponse(e))) }
        guard let group = node.groups.coordinator.groups[r.groupId], group.state != .dead else {
            return queue(respond, .offsetDelete(r.errorResponse(.groupIdNotFound)))
        }
        let image = metadataLog.image
        let asked = r.topicPartitions
        let known = asked.filter { image.partition($0) != nil }
        let outcome = node.groups.coordinator.deleteOffsets(groupId: r.groupId, partitions: known, now: clock.nowMs())
        let results = outcome.response
        let partition = node.groups.partition(of: r.groupId)
        carryOut(outcome.actions, on: node) { errors in
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
