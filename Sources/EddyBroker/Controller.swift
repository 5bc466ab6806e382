import EddyStorage

/// Validates topic-management requests against a metadata image and turns them into the
/// metadata records that carry them out (Kafka's `ReplicationControlManager` and
/// `ConfigurationControlManager`).
///
/// Pure: it reads the image and returns records; the caller appends them to the metadata log
/// as one batch (so a request is applied entirely or not at all) and then applies them to the
/// image. Validation follows Kafka's order and wording: name, existence, '.'/'_' collision,
/// partition count, replication factor, configs.
public struct Controller: Sendable {
    /// Kafka's `MAX_PARTITIONS_PER_BATCH`: one request may create at most this many partitions.
    public static let maxPartitionsPerRequest = 10_000

    /// IDs of the brokers replicas can be placed on when the image registers no broker, ascending
    /// (a single node that predates broker registration). Once brokers are registered, replicas
    /// go to the image's active brokers instead, as in Kafka (see `assignableBrokerIds(in:)`).
    public var brokerIds: [Int32]
    /// Partitions of a topic created with `partitions == -1` (Kafka's `num.partitions`).
    public var defaultPartitions: Int32
    /// Replication factor of a topic created with `replicationFactor == -1`
    /// (Kafka's `default.replication.factor`).
    public var defaultReplicationFactor: Int16

    public init(brokerIds: [Int32], defaultPartitions: Int32 = 1, defaultReplicationFactor: Int16 = 1) {
        self.brokerIds = brokerIds.sorted()
        self.defaultPartitions = defaultPartitions
        self.defaultReplicationFactor = defaultReplicationFactor
    }

    /// The brokers new replicas may be placed on, ascending: the image's active (unfenced, not
    /// shutting down) brokers if it registers any, else `brokerIds`.
    public func assignableBrokerIds(in image: MetadataImage) -> [Int32] {
        image.brokers.isEmpty ? brokerIds : image.activeBrokerIds
    }

    /// A validated CreateTopics request for one topic.
    public struct CreateTopic: Sendable, Equatable {
        public var name: String
        public var topicId: Uuid
        public var partitions: Int32
        public var replicationFactor: Int16
        /// The overrides as stored (values normalised by `LogConfig`).
        public var configs: [String: String]
        public var records: [MetadataRecord]
    }

    /// Creates a topic.
    ///
    /// - Parameters:
    ///   - partitions: partition count, or -1 for `defaultPartitions`.
    ///   - replicationFactor: replicas per partition, or -1 for `defaultReplicationFactor`.
    ///   - topicId: the new topic's ID; the caller draws it at random.
    ///   - assignmentStart: where round-robin leader placement starts (see `ReplicaAssignment`).
    ///   - assignments: a manual placement instead (CreateTopics' `assignments`): replicas per
    ///     partition 0, 1, ..., each list in preference order; `partitions` and
    ///     `replicationFactor` must then be -1. Every list has the same length, no duplicate and
    ///     only registered brokers; the ISR is the list's active brokers (at least one), the
    ///     first of them the leader.
    /// - Throws: INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
    ///   POLICY_VIOLATION, INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG,
    ///   INVALID_REQUEST.
    public func createTopic(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String],
                            topicId: Uuid, image: MetadataImage, assignmentStart: Int = 0,
                            assignments: [[Int32]]? = nil) throws(BrokerError) -> CreateTopic {
        try TopicName.validate(name)
        if name == TopicName.clusterMetadata {
            throw .invalidRequest("Creation of internal topic \(name) is prohibited.")
        }
        if image.topic(named: name) != nil { throw .topicAlreadyExists("Topic '\(name)' already exists.") }
        if TopicName.hasCollisionChars(name),
           let existing = image.topicNames.first(where: { TopicName.collide($0, name) }) {
            throw .invalidTopic("Topic '\(name)' collides with existing topic: \(existing)")
        }
        if image.topic(id: topicId) != nil || topicId == .zero || topicId == .metadataTopicId {
            throw .invalidRequest("Topic ID \(topicId) is already in use or reserved.")
        }
        if let assignments {
            return try createTopic(name: name, partitions: partitions, replicationFactor: replicationFactor, configs: configs,
                                   topicId: topicId, image: image, manual: assignments)
        }
        let partitionCount = partitions == -1 ? defaultPartitions : partitions
        guard partitionCount > 0 else {
            throw .invalidPartitions("Number of partitions was set to an invalid non-positive value.")
        }
        guard partitionCount <= Controller.maxPartitionsPerRequest else {
            throw .policyViolation("Excessively large number of partitions per request.")
        }
        let rf = replicationFactor == -1 ? defaultReplicationFactor : replicationFactor
        guard rf > 0 else {
            throw .invalidReplicationFactor("Replication factor must be larger than 0, or -1 to use the default value.")
        }
        let brokers = assignableBrokerIds(in: image)
        guard Int(rf) <= brokers.count else {
            throw .invalidReplicationFactor("Unable to replicate the partition \(rf) time(s): The target replication factor of \(rf) cannot be reached because only \(brokers.count) broker(s) are registered.")
        }
        let overrides: [String: String]
        do { overrides = try LogConfig(overrides: configs).overrides } catch { throw .invalidConfig(error.description) }

        var records: [MetadataRecord] = [.topic(TopicRecord(name: name, topicId: topicId))]
        let start = brokers.isEmpty ? 0 : (assignmentStart % brokers.count + brokers.count) % brokers.count
        let assignment = ReplicaAssignment.rackUnaware(partitions: Int(partitionCount), replicationFactor: Int(rf),
                                                       brokers: brokers, startIndex: start, replicaShift: start)
        for (p, replicas) in assignment.enumerated() {
            records.append(.partition(PartitionRecord(partitionId: Int32(p), topicId: topicId, replicas: replicas,
                                                      isr: replicas, leader: replicas[0])))
        }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            records.append(.config(ConfigRecord(resourceName: name, name: key, value: value)))
        }
        return CreateTopic(name: name, topicId: topicId, partitions: partitionCount, replicationFactor: rf,
                           configs: overrides, records: records)
    }

    private func createTopic(name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String],
                             topicId: Uuid, image: MetadataImage, manual: [[Int32]]) throws(BrokerError) -> CreateTopic {
        guard partitions == -1 else {
            throw .invalidRequest("A manual partition assignment was specified, but numPartitions was not set to -1.")
        }
        guard replicationFactor == -1 else {
            throw .invalidRequest("A manual partition assignment was specified, but replicationFactor was not set to -1.")
        }
        guard !manual.isEmpty else { throw .invalidPartitions("Number of partitions was set to an invalid non-positive value.") }
        guard manual.count <= Controller.maxPartitionsPerRequest else {
            throw .policyViolation("Excessively large number of partitions per request.")
        }
        let rf = manual[0].count
        var records: [MetadataRecord] = [.topic(TopicRecord(name: name, topicId: topicId))]
        for (p, replicas) in manual.enumerated() {
            let (isr, leader) = try manualReplicas(replicas, partition: Int32(p), replicationFactor: rf, image: image)
            records.append(.partition(PartitionRecord(partitionId: Int32(p), topicId: topicId, replicas: replicas, isr: isr, leader: leader)))
        }
        let overrides: [String: String]
        do { overrides = try LogConfig(overrides: configs).overrides } catch { throw .invalidConfig(error.description) }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            records.append(.config(ConfigRecord(resourceName: name, name: key, value: value)))
        }
        return CreateTopic(name: name, topicId: topicId, partitions: Int32(manual.count), replicationFactor: Int16(clamping: rf),
                           configs: overrides, records: records)
    }

    /// Deletes a topic: one RemoveTopicRecord, whose replay also drops the topic's configs.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION.
    public func deleteTopic(name: String, image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        guard let topic = image.topic(named: name) else { throw Controller.unknownTopic(name) }
        return [.removeTopic(RemoveTopicRecord(topicId: topic.id))]
    }

    /// IncrementalAlterConfigs SET and DELETE for one topic. Emits a record only for keys whose
    /// override actually changes; deleting a key that has no override is a no-op, as in Kafka.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG (unknown key or invalid value),
    ///   INVALID_REQUEST (a key both set and deleted).
    public func alterConfigs(topic name: String, set: [String: String], delete: [String],
                             image: MetadataImage) throws(BrokerError) -> [MetadataRecord] {
        guard image.topic(named: name) != nil else { throw Controller.unknownTopic(name) }
        let both = Set(set.keys).intersection(delete)
        if let key = both.sorted().first {
            throw .invalidRequest("Config '\(key)' is both set and deleted in one request.")
        }
        var config = image.logConfig(forTopic: name).config
        do {
            try config.apply(set)
            try config.reset(delete)
        } catch { throw .invalidConfig(error.description) }
        let before = image.topicConfigs(name)
        let after = config.overrides
        var records: [MetadataRecord] = []
        for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
            // Only keys named in the request change; a stale override that no longer
            // validates (left out of `config`) is not deleted as a side effect.
            guard set[key] != nil || delete.contains(key) else { continue }
            records.append(.config(ConfigRecord(resourceName: name, name: key, value: after[key])))
        }
        return records
    }

    static func unknownTopic(_ name: String) -> BrokerError {
        .unknownTopicOrPartition("Topic '\(name)' does not exist.")
    }
}
