extension DescribeClusterRequest {
    public init(wire: Wire.DescribeClusterRequest, version: Int16) {
        self.init(includeClusterAuthorizedOperations: wire.includeClusterAuthorizedOperations, endpointType: version >= 1 ? wire.endpointType : 1)
    }

    public func wire(version: Int16) -> Wire.DescribeClusterRequest {
        Wire.DescribeClusterRequest(includeClusterAuthorizedOperations: includeClusterAuthorizedOperations, endpointType: endpointType)
    }
}

extension DescribeClusterResponse {
    public init(wire: Wire.DescribeClusterResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, errorMessage: wire.errorMessage,
                  endpointType: version >= 1 ? wire.endpointType : 1, clusterId: wire.clusterId, controllerId: wire.controllerId,
                  brokers: wire.brokers.map { Broker(brokerId: $0.brokerId, host: $0.host, port: $0.port, rack: $0.rack) },
                  clusterAuthorizedOperations: wire.clusterAuthorizedOperations)
    }

    public func wire(version: Int16) -> Wire.DescribeClusterResponse {
        Wire.DescribeClusterResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, errorMessage: errorMessage, endpointType: endpointType,
                                     clusterId: clusterId, controllerId: controllerId,
                                     brokers: brokers.map { .init(brokerId: $0.brokerId, host: $0.host, port: $0.port, rack: $0.rack) },
                                     clusterAuthorizedOperations: clusterAuthorizedOperations)
    }
}

extension DescribeQuorumRequest {
    public init(wire: Wire.DescribeQuorumRequest, version: Int16) {
        let t = wire.topics.first
        self.init(topic: t?.topicName ?? DescribeQuorumRequest.metadataTopic, partition: t?.partitions.first?.partitionIndex ?? 0)
    }

    public func wire(version: Int16) -> Wire.DescribeQuorumRequest {
        Wire.DescribeQuorumRequest(topics: [.init(topicName: topic, partitions: [.init(partitionIndex: partition)])])
    }
}

extension DescribeQuorumResponse {
    /// The first partition of the answer (there is one: the metadata log's).
    public init(wire: Wire.DescribeQuorumResponse, version: Int16) {
        func replica(_ r: Wire.DescribeQuorumResponse.ReplicaState) -> Replica {
            Replica(replicaId: r.replicaId, logEndOffset: r.logEndOffset, lastFetchTimestampMs: version >= 1 ? r.lastFetchTimestamp : -1,
                    lastCaughtUpTimestampMs: version >= 1 ? r.lastCaughtUpTimestamp : -1)
        }
        let p = wire.topics.first?.partitions.first
        self.init(errorCode: wire.errorCode, errorMessage: version >= 2 ? wire.errorMessage : nil, partition: p.map {
            Quorum(errorCode: $0.errorCode, leaderId: $0.leaderId, leaderEpoch: $0.leaderEpoch, highWatermark: $0.highWatermark,
                   voters: $0.currentVoters.map(replica), observers: $0.observers.map(replica))
        })
    }

    public func wire(version: Int16) -> Wire.DescribeQuorumResponse {
        func replica(_ r: Replica) -> Wire.DescribeQuorumResponse.ReplicaState {
            .init(replicaId: r.replicaId, logEndOffset: r.logEndOffset, lastFetchTimestamp: r.lastFetchTimestampMs,
                  lastCaughtUpTimestamp: r.lastCaughtUpTimestampMs)
        }
        return Wire.DescribeQuorumResponse(errorCode: errorCode, errorMessage: errorMessage, topics: partition.map { q in
            [.init(topicName: DescribeQuorumRequest.metadataTopic, partitions: [
                .init(partitionIndex: 0, errorCode: q.errorCode, leaderId: q.leaderId, leaderEpoch: q.leaderEpoch, highWatermark: q.highWatermark,
                      currentVoters: q.voters.map(replica), observers: q.observers.map(replica)),
            ])]
        } ?? [])
    }
}
