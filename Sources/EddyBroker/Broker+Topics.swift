import EddyProtocol
import EddyStorage

extension Broker {
    /// Creates a topic: validates (see `Controller.createTopic`), appends its records to the
    /// metadata log, then creates the partition directories.
    ///
    /// - Parameters:
    ///   - partitions: partition count (≥ 1), or -1 for the default.
    ///   - replicationFactor: must be 1 (or -1 for the default) while the cluster has one broker.
    ///   - configs: topic config overrides, Kafka's keys (see `LogConfig`).
    @discardableResult
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1,
                            configs: [String: String] = [:]) throws(BrokerError) -> CreatedTopic {
        try lock.withLock { () throws(BrokerError) -> CreatedTopic in
            guard !isShutDown else { throw .brokerClosed }
            let image = metadataLog.image
            let result = try controller.createTopic(name: name, partitions: partitions, replicationFactor: replicationFactor,
                                                    configs: configs, topicId: newUuid(), image: image)
            try metadataLog.append(result.records)
            let config = topicLogConfig(name, image: metadataLog.image)
            for p in 0 ..< result.partitions {
                try openLocalReplica(TopicPartition(name, p), topicId: result.topicId, config: config)
            }
            logger.info("created topic", metadata: ["topic": "\(name)", "topicId": "\(result.topicId)",
                                                    "partitions": "\(result.partitions)"])
            return CreatedTopic(name: name, topicId: result.topicId, partitions: result.partitions,
                                replicationFactor: result.replicationFactor, configs: result.configs)
        }
    }

    /// Deletes a topic: a RemoveTopicRecord first, then the partition directories (each
    /// renamed `<dir>.<id>-delete`, then removed).
    public func deleteTopic(_ name: String) throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard !isShutDown else { throw .brokerClosed }
            let image = metadataLog.image
            let records = try controller.deleteTopic(name: name, image: image)
            let topic = image.topic(named: name)!
            try metadataLog.append(records)
            for p in topic.partitionIds {
                try BrokerError.storage { try logManager.deleteLog(TopicPartition(name, p)) }
            }
            logger.info("deleted topic", metadata: ["topic": "\(name)", "topicId": "\(topic.id)"])
        }
    }

    /// IncrementalAlterConfigs for one topic: `set` adds or replaces overrides, `delete` removes
    /// them (back to the default). The partition logs pick the new config up at once.
    /// - Returns: the topic's overrides afterwards.
    @discardableResult
    public func alterConfigs(topic name: String, set: [String: String] = [:],
                             delete: [String] = []) throws(BrokerError) -> [String: String] {
        try lock.withLock { () throws(BrokerError) -> [String: String] in
            guard !isShutDown else { throw .brokerClosed }
            let records = try controller.alterConfigs(topic: name, set: set, delete: delete, image: metadataLog.image)
            if !records.isEmpty { try metadataLog.append(records) }
            let image = metadataLog.image
            let config = topicLogConfig(name, image: image)
            for p in image.topic(named: name)!.partitionIds {
                logManager.log(for: TopicPartition(name, p))?.updateConfig(config)
            }
            return image.topicConfigs(name)
        }
    }

    /// Every topic name, sorted.
    public func listTopics() throws(BrokerError) -> [String] {
        try lock.withLock { () throws(BrokerError) -> [String] in
            guard !isShutDown else { throw .brokerClosed }
            return metadataLog.image.topicNames
        }
    }

    /// Describes the named topics, or all topics (sorted by name) when `names` is nil.
    /// - Throws: UNKNOWN_TOPIC_OR_PARTITION for a name that does not exist.
    public func describeTopics(_ names: [String]? = nil) throws(BrokerError) -> [TopicDescription] {
        try lock.withLock { () throws(BrokerError) -> [TopicDescription] in
            guard !isShutDown else { throw .brokerClosed }
            let image = metadataLog.image
            var out: [TopicDescription] = []
            for name in names ?? image.topicNames {
                guard let topic = image.topic(named: name) else { throw Controller.unknownTopic(name) }
                out.append(describe(topic, image: image))
            }
            return out
        }
    }

    /// Describes one topic.
    public func describeTopic(_ name: String) throws(BrokerError) -> TopicDescription {
        try describeTopics([name])[0]
    }

    /// The partition count of a topic (for a producer's partitioner).
    public func partitionCount(of topic: String) throws(BrokerError) -> Int {
        try lock.withLock { () throws(BrokerError) -> Int in
            guard !isShutDown else { throw .brokerClosed }
            guard let t = metadataLog.image.topic(named: topic) else { throw Controller.unknownTopic(topic) }
            return t.partitionCount
        }
    }

    private func describe(_ topic: TopicImage, image: MetadataImage) -> TopicDescription {
        let partitions = topic.partitionIds.map { p -> PartitionDescription in
            let r = topic.partitions[p]!
            var d = PartitionDescription(partition: p, leader: r.leader, leaderEpoch: r.leaderEpoch, replicas: r.replicas,
                                         isr: r.isr, logStartOffset: -1, logEndOffset: -1, highWatermark: -1,
                                         segmentCount: 0, sizeInBytes: 0)
            if let log = logManager.log(for: TopicPartition(topic.name, p)) {
                d.logStartOffset = log.logStartOffset
                d.logEndOffset = log.logEndOffset
                d.highWatermark = log.highWatermark
                d.segmentCount = log.segmentCount
                d.sizeInBytes = log.sizeInBytes
            }
            return d
        }
        return TopicDescription(name: topic.name, topicId: topic.id, replicationFactor: topic.replicationFactor,
                                configs: image.topicConfigs(topic.name), partitions: partitions)
    }
}
