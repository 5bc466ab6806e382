import EddyProtocol

/// AlterPartition (KIP-497): a leader asks the controller to change its partition's ISR.
extension Controller {
    /// Validates an ISR change proposed by `leaderId` and returns the PartitionChangeRecord that
    /// carries it out, or no record when the ISR is already `newIsr` (the caller then answers
    /// with the current registration, as Kafka does).
    ///
    /// Checks, in Kafka's order (`ReplicationControlManager.validateAlterPartitionData`):
    /// 1. the topic ID and partition exist (UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION);
    /// 2. `leaderEpoch` / `partitionEpoch` newer than the registration's: this is not the
    ///    controller the leader knows (NOT_CONTROLLER);
    /// 3. `leaderEpoch` older: the sender was deposed (FENCED_LEADER_EPOCH);
    /// 4. the sender is not the current leader (INVALID_REQUEST);
    /// 5. `partitionEpoch` older: the proposal is based on a stale ISR (INVALID_UPDATE_VERSION);
    /// 6. `newIsr` is empty, has duplicates or non-replicas, or omits the leader (INVALID_REQUEST);
    /// 7. a member is not registered, fenced or in controlled shutdown (INELIGIBLE_REPLICA).
    public func alterPartition(topicId: Uuid, partition: Int32, leaderId: Int32, leaderEpoch: Int32,
                               partitionEpoch: Int32, newIsr: [Int32], image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        guard let topic = image.topic(id: topicId) else {
            throw .unknownTopicId("Topic ID \(topicId) does not exist.")
        }
        guard let current = topic.partitions[partition] else {
            throw .unknownTopicOrPartition("Partition \(partition) of topic '\(topic.name)' does not exist.")
        }
        let tp = "\(topic.name)-\(partition)"
        if leaderEpoch > current.leaderEpoch || partitionEpoch > current.partitionEpoch {
            throw .notController("AlterPartition for \(tp) carries leader epoch \(leaderEpoch) and partition epoch \(partitionEpoch), newer than this controller's \(current.leaderEpoch) and \(current.partitionEpoch).")
        }
        if leaderEpoch < current.leaderEpoch {
            throw .fencedLeaderEpoch("AlterPartition from node \(leaderId) for \(tp): the current leader epoch is \(current.leaderEpoch), not \(leaderEpoch).")
        }
        if leaderId != current.leader {
            throw .invalidRequest("AlterPartition from node \(leaderId) for \(tp): the current leader is \(current.leader).")
        }
        if partitionEpoch < current.partitionEpoch {
            throw .invalidUpdateVersion("AlterPartition from node \(leaderId) for \(tp): the current partition epoch is \(current.partitionEpoch), not \(partitionEpoch).")
        }
        if newIsr.isEmpty || Set(newIsr).count != newIsr.count || !newIsr.allSatisfy(current.replicas.contains) {
            throw .invalidRequest("AlterPartition from node \(leaderId) for \(tp) specified an invalid ISR \(newIsr) (replicas \(current.replicas)).")
        }
        if !newIsr.contains(current.leader) {
            throw .invalidRequest("AlterPartition from node \(leaderId) for \(tp) specified an ISR \(newIsr) that doesn't include itself.")
        }
        let ineligible = newIsr.compactMap { id -> String? in
            guard let broker = image.brokers[id] else { return "\(id) (not registered)" }
            if broker.inControlledShutdown { return "\(id) (shutting down)" }
            if broker.fenced { return "\(id) (fenced)" }
            return nil
        }
        if !ineligible.isEmpty {
            throw .ineligibleReplica("AlterPartition from node \(leaderId) for \(tp) specified ineligible replicas \(ineligible.joined(separator: ", ")) in the new ISR \(newIsr).")
        }
        var builder = PartitionChangeBuilder(current, topicId: topicId, partitionId: partition, isAcceptableLeader: image.isActive)
        builder.targetIsr = newIsr
        if image.logConfig(forTopic: topic.name).config.uncleanLeaderElectionEnable { builder.election = .unclean }
        return builder.build().record.map { [.partitionChange($0)] } ?? []
    }

    /// `alterPartition` naming the partition by topic name.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION for an unknown topic, else as above.
    public func alterPartition(_ tp: TopicPartition, leaderId: Int32, leaderEpoch: Int32, partitionEpoch: Int32,
                               newIsr: [Int32], image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        guard let topic = image.topic(named: tp.topic) else { throw Controller.unknownTopic(tp.topic) }
        return try alterPartition(topicId: topic.id, partition: tp.partition, leaderId: leaderId, leaderEpoch: leaderEpoch,
                                  partitionEpoch: partitionEpoch, newIsr: newIsr, image: image)
    }
}
