extension DescribeProducersRequest {
    public init(wire: Wire.DescribeProducersRequest, version: Int16) {
        self.init(topics: wire.topics.map { Topic(name: $0.name, partitionIndexes: $0.partitionIndexes) })
    }

    public func wire(version: Int16) -> Wire.DescribeProducersRequest {
        Wire.DescribeProducersRequest(topics: topics.map { .init(name: $0.name, partitionIndexes: $0.partitionIndexes) })
    }
}

extension DescribeProducersResponse {
    public init(wire: Wire.DescribeProducersResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            Topic(name: t.name, partitions: t.partitions.map { p in
                Partition(partitionIndex: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage,
                          activeProducers: p.activeProducers.map {
                              ActiveProducer(producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence,
                                             lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch,
                                             currentTxnStartOffset: $0.currentTxnStartOffset)
                          })
            })
        })
    }

    public func wire(version: Int16) -> Wire.DescribeProducersResponse {
        Wire.DescribeProducersResponse(throttleTimeMs: throttleTimeMs, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { p in
                .init(partitionIndex: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage,
                      activeProducers: p.activeProducers.map {
                          .init(producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence,
                                lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch, currentTxnStartOffset: $0.currentTxnStartOffset)
                      })
            })
        })
    }
}
