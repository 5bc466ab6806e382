extension ElectLeadersRequest {
    /// The request as read off the wire in `version`: v0 elects the preferred leader.
    public init(wire: Wire.ElectLeadersRequest, version: Int16) {
        self.init(electionType: ElectionType(rawValue: version >= 1 ? wire.electionType : 0),
                  topicPartitions: wire.topicPartitions?.map { TopicPartitions(topic: $0.topic, partitions: $0.partitions) },
                  timeoutMs: wire.timeoutMs)
    }

    public func wire(version: Int16) -> Wire.ElectLeadersRequest {
        Wire.ElectLeadersRequest(electionType: version >= 1 ? electionType.rawValue : 0,
                                 topicPartitions: topicPartitions?.map { .init(topic: $0.topic, partitions: $0.partitions) },
                                 timeoutMs: timeoutMs)
    }
}

extension ElectLeadersResponse {
    public init(wire: Wire.ElectLeadersResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: version >= 1 ? wire.errorCode : .none,
                  replicaElectionResults: wire.replicaElectionResults.map { t in
                      ReplicaElectionResult(topic: t.topic, partitionResult: t.partitionResult.map {
                          PartitionResult(partitionId: $0.partitionId, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
                      })
                  })
    }

    public func wire(version: Int16) -> Wire.ElectLeadersResponse {
        Wire.ElectLeadersResponse(throttleTimeMs: throttleTimeMs, errorCode: version >= 1 ? errorCode : .none,
                                  replicaElectionResults: replicaElectionResults.map { t in
                                      .init(topic: t.topic, partitionResult: t.partitionResult.map {
                                          .init(partitionId: $0.partitionId, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
                                      })
                                  })
    }
}
