/// CreatePartitions: more partitions for an existing topic, as Kafka's
/// `ReplicationControlManager.createPartitions` adds them.
extension Controller {
    /// The PartitionRecords that raise `name`'s partition count to `count`.
    ///
    /// - Parameters:
    ///   - assignments: replicas for each new partition (in order), each list in preference
    ///     order; nil to place them as the topic's first partitions were placed, continuing the
    ///     round-robin from partition 0's leader. Manual lists follow CreateTopics' rules (same
    ///     length as the topic's replication factor, no duplicate, registered brokers, at least
    ///     one active); the ISR is the list's active brokers, the first of them the leader.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION; INVALID_PARTITIONS when `count` is not an increase;
    ///   INVALID_REPLICA_ASSIGNMENT; INVALID_REPLICATION_FACTOR when too few brokers are active
    ///   for the topic's replication factor; POLICY_VIOLATION beyond `maxPartitionsPerRequest`
    ///   new partitions; INVALID_REQUEST for `__consumer_offsets` and `__transaction_state`, whose
    ///   partition counts place the coordinators (offsets.topic.num.partitions,
    ///   transaction.state.log.num.partitions).
    public func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]?, image: MetadataImage,
                                 assignmentStart: Int = 0) throws(BrokerError) -> [MetadataRecord] {
        guard let topic = image.topic(named: name) else { throw Controller.unknownTopic(name) }
        if TopicName.internalTopics.contains(name) {
            throw .invalidRequest("Cannot add partitions to the internal topic \(name): its partition count places the coordinators.")
        }
        let existing = Int32(topic.partitionCount)
        if count == existing { throw .invalidPartitions("Topic already has \(existing) partition(s).") }
        guard count > existing else {
            throw .invalidPartitions("The topic \(name) currently has \(existing) partition(s); \(count) would not be an increase.")
        }
        let added = Int(count - existing)
        guard added <= Controller.maxPartitionsPerRequest else {
            throw .policyViolation("Excessively large number of partitions per request.")
        }
        let rf = topic.replicationFactor
        var records: [MetadataRecord] = []
        if let assignments {
            guard assignments.count == added else {
                throw .invalidReplicaAssignment("Attempted to add \(added) additional partition(s), but only \(assignments.count) assignment(s) were specified.")
            }
            for (i, replicas) in assignments.enumerated() {
                let p = existing + Int32(i)
                let (isr, leader) = try manualReplicas(replicas, partition: p, replicationFactor: rf, image: image)
                records.append(.partition(PartitionRecord(partitionId: p, topicId: topic.id, replicas: replicas, isr: isr, leader: leader)))
            }
            return records
        }
        let brokers = assignableBrokerIds(in: image)
        guard rf <= brokers.count else {
            throw .invalidReplicationFactor("Unable to replicate the partition \(rf) time(s): The target replication factor of \(rf) cannot be reached because only \(brokers.count) broker(s) are registered.")
        }
        let start = topic.partitions[0].flatMap { brokers.firstIndex(of: $0.replicas[0]) }
            ?? (brokers.isEmpty ? 0 : (assignmentStart % brokers.count + brokers.count) % brokers.count)
        let placement = ReplicaAssignment.rackUnaware(partitions: Int(count), replicationFactor: rf, brokers: brokers,
                                                      startIndex: start, replicaShift: start)
        for p in Int(existing) ..< Int(count) {
            let replicas = placement[p]
            records.append(.partition(PartitionRecord(partitionId: Int32(p), topicId: topic.id, replicas: replicas, isr: replicas,
                                                      leader: replicas[0])))
        }
        return records
    }

    /// Checks one manually placed partition (CreateTopics' and CreatePartitions' rules): its
    /// ISR (the active brokers of the list) and leader (the first of them).
    func manualReplicas(_ replicas: [Int32], partition p: Int32, replicationFactor rf: Int,
                        image: MetadataImage) throws(BrokerError) -> (isr: [Int32], leader: Int32) {
        guard !replicas.isEmpty else { throw .invalidReplicaAssignment("The manual partition assignment includes an empty replica list.") }
        guard replicas.count == rf else {
            throw .invalidReplicaAssignment("The manual partition assignment includes a partition with \(replicas.count) replica(s), but this is not consistent with previous partitions, which have \(rf) replica(s).")
        }
        var seen = Set<Int32>()
        for b in replicas {
            guard seen.insert(b).inserted else {
                throw .invalidReplicaAssignment("The manual partition assignment includes the broker \(b) more than once.")
            }
            let registered = image.brokers.isEmpty ? brokerIds.contains(b) : image.brokers[b] != nil
            guard registered else {
                throw .invalidReplicaAssignment("The manual partition assignment includes broker \(b), but no such broker is registered.")
            }
        }
        let isr = image.brokers.isEmpty ? replicas : replicas.filter { image.isActive($0) }
        guard let leader = isr.first else {
            throw .invalidReplicaAssignment("All brokers specified in the manual partition assignment for partition \(p) are fenced or in controlled shutdown.")
        }
        return (isr, leader)
    }
}
