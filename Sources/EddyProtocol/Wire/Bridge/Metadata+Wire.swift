extension MetadataRequest {
    /// The request as read off the wire in `version`, as Kafka's `MetadataRequest.isAllTopics`:
    /// null means every topic, and so does an empty list in v0 (v1+: no topics). A topic with a
    /// non-zero id (v10+) goes to `topicIds`, any other to `topics` by name. Before v4 auto
    /// creation is allowed (the schema default).
    public init(wire: Wire.MetadataRequest, version: Int16) {
        let listed = version == 0 && wire.topics == [] ? nil : wire.topics
        self.init(topics: listed.map { $0.filter { $0.topicId == .zero }.map { $0.name ?? "" } },
                  allowAutoTopicCreation: wire.allowAutoTopicCreation,
                  topicIds: (listed ?? []).map(\.topicId).filter { $0 != .zero })
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Every topic is null in v1+ and an empty list in v0, so a request for no topics cannot be
    /// made in v0 (Kafka's client never sends v0). Kafka's builder refuses topic ids before v12
    /// and `allowAutoTopicCreation` false before v4; both are dropped here.
    public func wire(version: Int16) -> Wire.MetadataRequest {
        let listed = topics.map { names in
            names.map { Wire.MetadataRequest.MetadataRequestTopic(name: $0) }
                + (version >= 12 ? topicIds.map { .init(topicId: $0, name: nil) } : [])
        }
        return Wire.MetadataRequest(topics: version == 0 ? listed ?? [] : listed,
                                    allowAutoTopicCreation: version >= 4 ? allowAutoTopicCreation : true)
    }
}

extension MetadataResponse {
    /// The response as read off the wire in `version`. A null topic name (v12+: a topic asked
    /// for by an id the broker does not know) reads as "". Fields a version lacks read as their
    /// defaults: no rack before v1, no cluster id before v2, controller -1 before v1, leader
    /// epoch -1 before v7, no offline replicas before v5, topic id zero before v10.
    public init(wire: Wire.MetadataResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, brokers: wire.brokers.map { NodeEndpoint(wire: $0) },
                  clusterId: wire.clusterId, controllerId: wire.controllerId, topics: wire.topics.map { t in
                      MetadataResponseTopic(errorCode: t.errorCode, name: t.name ?? "", topicId: t.topicId, isInternal: t.isInternal,
                                            partitions: t.partitions.map {
                                                MetadataResponsePartition(
                                                    errorCode: $0.errorCode, partitionIndex: $0.partitionIndex, leaderId: $0.leaderId,
                                                    leaderEpoch: $0.leaderEpoch, replicaNodes: $0.replicaNodes, isrNodes: $0.isrNodes,
                                                    offlineReplicas: $0.offlineReplicas)
                                            })
                  })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// From v12 a topic with an empty name and a non-zero id is sent with a null name, as Kafka
    /// answers an unknown topic id. No authorized operations are sent (the schema's "not
    /// requested" value).
    public func wire(version: Int16) -> Wire.MetadataResponse {
        Wire.MetadataResponse(
            throttleTimeMs: version >= 3 ? throttleTimeMs : 0,
            brokers: brokers.map { NodeEndpoint(nodeId: $0.nodeId, host: $0.host, port: $0.port, rack: version >= 1 ? $0.rack : nil).wire() },
            clusterId: version >= 2 ? clusterId : nil, controllerId: version >= 1 ? controllerId : -1,
            topics: topics.map { t in
                .init(errorCode: t.errorCode, name: version >= 12 && t.name.isEmpty && t.topicId != .zero ? nil : t.name,
                      topicId: version >= 10 ? t.topicId : .zero, isInternal: version >= 1 ? t.isInternal : false,
                      partitions: t.partitions.map {
                          .init(errorCode: $0.errorCode, partitionIndex: $0.partitionIndex, leaderId: $0.leaderId,
                                leaderEpoch: version >= 7 ? $0.leaderEpoch : -1, replicaNodes: $0.replicaNodes, isrNodes: $0.isrNodes,
                                offlineReplicas: version >= 5 ? $0.offlineReplicas : [])
                      })
            })
    }
}
