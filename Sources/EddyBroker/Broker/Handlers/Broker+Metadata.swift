import EddyProtocol
import EddyStorage

extension Broker {
    /// Metadata: every live broker with its advertised endpoint, and each topic asked for (nil:
    /// all) with its partitions' leaders, epochs, replicas, ISR and offline replicas; a topic
    /// that does not exist is created first when the request allows it and
    /// auto.create.topics.enable is on, else answered UNKNOWN_TOPIC_OR_PARTITION.
    /// The answer is built from the brokers' (committed) image. When a topic it asks for is
    /// written (just auto-created, or by an earlier request) but not yet durable, it is built
    /// once the topic is applied, so that it shows it.
    /// Brokers' addresses are those on the listener the request came in on (`context`).
    func handleMetadata(_ request: MetadataRequest, context: RequestContext, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let requested = request.topics, request.allowAutoTopicCreation, cluster.options.autoCreateTopicsEnable {
            for name in requested where cluster.metadata.latestImage.topic(named: name) == nil { maybeAutoCreateTopic(name) }
        }
        let latest = cluster.metadata.latestImage, committed = cluster.metadata.image
        let waitsForTopic = request.topics?.contains { latest.topic(named: $0)?.id != committed.topic(named: $0)?.id } ?? false
        let listener = context.listenerName
        guard waitsForTopic else { return cluster.queue(respond, .metadata(metadataResponse(request, listener: listener))) }
        let later: @Sendable () -> Void = { [cluster] in
            respond(.metadata(cluster.lock.withLock { self.metadataResponse(request, listener: listener) }))
        }
        cluster.answerAfterCommit(later, failing: { _ in later() })
    }

    func metadataResponse(_ request: MetadataRequest, listener: String) -> MetadataResponse {
        let image = cluster.metadata.image
        let names = request.topics ?? image.topicNames
        let brokers = liveEndpoints(listener: listener).map {
            MetadataResponse.MetadataResponseBroker(nodeId: $0.id, host: $0.host, port: $0.port, rack: nil)
        }
        let topics = names.map { name -> MetadataResponse.MetadataResponseTopic in
            guard let topic = image.topic(named: name) else {
                return .init(errorCode: .unknownTopicOrPartition, name: name, topicId: .zero, isInternal: false, partitions: [])
            }
            let partitions = topic.partitionIds.map { p -> MetadataResponse.MetadataResponsePartition in
                let reg = topic.partitions[p]!
                return .init(errorCode: reg.hasLeader ? .none : .leaderNotAvailable, partitionIndex: p, leaderId: reg.leader,
                             leaderEpoch: reg.leaderEpoch, replicaNodes: reg.replicas, isrNodes: reg.isr,
                             offlineReplicas: reg.replicas.filter { cluster.nodes[$0] == nil })
            }
            return .init(errorCode: .none, name: name, topicId: topic.id, isInternal: TopicName.isInternal(name), partitions: partitions)
        }
        return MetadataResponse(brokers: brokers, clusterId: cluster.clusterId, controllerId: cluster.controllerIdForClients, topics: topics)
    }

    /// The running brokers, in id order, with their addresses on `listener` (what Metadata and
    /// DescribeCluster list). Caller holds the cluster lock.
    func liveEndpoints(listener: String) -> [(id: Int32, host: String, port: Int32)] {
        cluster.metadata.image.brokers.keys.sorted().filter { cluster.nodes[$0] != nil }.map { id in
            let endpoint = cluster.advertisedEndpoint(id, listener: listener)
            return (id, endpoint.host, endpoint.port)
        }
    }

    /// `auto.create.topics.enable`: creates `name` with the broker defaults. A name Kafka would
    /// refuse (invalid, internal) is left alone, so the Metadata answer says why.
    func maybeAutoCreateTopic(_ name: String) {
        guard !TopicName.isInternal(name) else { return }
        let (id, start) = cluster.drawTopicIdAndAssignmentStart()
        do throws(BrokerError) {
            let created = try cluster.controller.createTopic(name: name, partitions: -1, replicationFactor: -1, configs: [:], topicId: id,
                                                     image: cluster.metadata.latestImage, assignmentStart: start, assignments: nil)
            try cluster.commit(created.records)
            cluster.logger.info("auto-created topic", metadata: ["topic": "\(name)", "partitions": "\(created.partitions)"])
        } catch {
            cluster.logger.info("not auto-creating topic: \(error)", metadata: ["topic": "\(name)"])
        }
    }
}
