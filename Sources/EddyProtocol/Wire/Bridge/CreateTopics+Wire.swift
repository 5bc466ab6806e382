extension CreateTopicsRequest {
    /// The request as read off the wire in `version` (v0 has no `validateOnly`: false).
    public init(wire: Wire.CreateTopicsRequest, version: Int16) {
        self.init(topics: wire.topics.map { t in
            CreatableTopic(name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                           assignments: t.assignments.map { CreatableReplicaAssignment(partitionIndex: $0.partitionIndex, brokerIds: $0.brokerIds) },
                           configs: t.configs.map { CreatableTopicConfig(name: $0.name, value: $0.value) })
        }, timeoutMs: wire.timeoutMs, validateOnly: wire.validateOnly)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses `validateOnly` in v0, and -1 partitions or replication factor
    /// without assignments before v4 (KIP-464); here `validateOnly` is dropped in v0 (the topics
    /// would be created), and -1 is sent as it is, for the broker to refuse.
    public func wire(version: Int16) -> Wire.CreateTopicsRequest {
        Wire.CreateTopicsRequest(topics: topics.map { t in
            .init(name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                  assignments: t.assignments.map { .init(partitionIndex: $0.partitionIndex, brokerIds: $0.brokerIds) },
                  configs: t.configs.map { .init(name: $0.name, value: $0.value) })
        }, timeoutMs: timeoutMs, validateOnly: version >= 1 ? validateOnly : false)
    }
}

extension CreateTopicsResponse {
    /// The response as read off the wire in `version`: no error message (nil) in v0; the
    /// topic's partitions, replication factor and configs (KIP-525) only from v5 (before: -1, -1
    /// and nil); topic id zero before v7.
    public init(wire: Wire.CreateTopicsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            CreatableTopicResult(
                name: t.name, topicId: t.topicId, errorCode: t.errorCode, errorMessage: version >= 1 ? t.errorMessage : nil,
                topicConfigErrorCode: t.topicConfigErrorCode, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                configs: version >= 5 ? t.configs?.map {
                    CreatableTopicConfigs(name: $0.name, value: $0.value, readOnly: $0.readOnly, configSource: $0.configSource,
                                          isSensitive: $0.isSensitive)
                } : nil)
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.CreateTopicsResponse {
        let v5 = version >= 5
        return Wire.CreateTopicsResponse(throttleTimeMs: version >= 2 ? throttleTimeMs : 0, topics: topics.map { t in
            .init(name: t.name, topicId: version >= 7 ? t.topicId : .zero, errorCode: t.errorCode,
                  errorMessage: version >= 1 ? t.errorMessage : "", topicConfigErrorCode: v5 ? t.topicConfigErrorCode : .none,
                  numPartitions: v5 ? t.numPartitions : -1, replicationFactor: v5 ? t.replicationFactor : -1,
                  configs: v5 ? t.configs?.map {
                      .init(name: $0.name, value: $0.value, readOnly: $0.readOnly, configSource: $0.configSource, isSensitive: $0.isSensitive)
                  } : [])
        })
    }
}
