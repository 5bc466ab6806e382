extension AddPartitionsToTxnRequest {
    /// The request as read off the wire: v0-3 carry one transaction; v4+ (the brokers' batched
    /// form, not served) are read as their first transaction.
    public init(wire: Wire.AddPartitionsToTxnRequest, version: Int16) {
        if version >= 4, let t = wire.transactions.first {
            self.init(transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch,
                      topics: t.topics.map { Topic(name: $0.name, partitions: $0.partitions) })
        } else {
            self.init(transactionalId: wire.v3AndBelowTransactionalId, producerId: wire.v3AndBelowProducerId,
                      producerEpoch: wire.v3AndBelowProducerEpoch, topics: wire.v3AndBelowTopics.map { Topic(name: $0.name, partitions: $0.partitions) })
        }
    }

    public func wire(version: Int16) -> Wire.AddPartitionsToTxnRequest {
        let topics = topics.map { Wire.AddPartitionsToTxnRequest.AddPartitionsToTxnTopic(name: $0.name, partitions: $0.partitions) }
        if version >= 4 {
            return Wire.AddPartitionsToTxnRequest(transactions: [.init(transactionalId: transactionalId, producerId: producerId,
                                                                      producerEpoch: producerEpoch, verifyOnly: false, topics: topics)])
        }
        return Wire.AddPartitionsToTxnRequest(v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId,
                                              v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics)
    }
}

extension AddPartitionsToTxnResponse {
    public init(wire: Wire.AddPartitionsToTxnResponse, version: Int16) {
        let topics = version >= 4 ? wire.resultsByTransaction.first?.topicResults ?? [] : wire.resultsByTopicV3AndBelow
        self.init(throttleTimeMs: wire.throttleTimeMs, results: topics.map { t in
            TopicResult(name: t.name, partitions: t.resultsByPartition.map { PartitionResult(partitionIndex: $0.partitionIndex, errorCode: $0.partitionErrorCode) })
        })
    }

    public func wire(version: Int16) -> Wire.AddPartitionsToTxnResponse {
        let topics = results.map { t in
            Wire.AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult(name: t.name, resultsByPartition: t.partitions.map {
                .init(partitionIndex: $0.partitionIndex, partitionErrorCode: $0.errorCode)
            })
        }
        return Wire.AddPartitionsToTxnResponse(throttleTimeMs: throttleTimeMs, resultsByTopicV3AndBelow: version >= 4 ? [] : topics)
    }
}

extension AddOffsetsToTxnRequest {
    public init(wire: Wire.AddOffsetsToTxnRequest, version: Int16) {
        self.init(transactionalId: wire.transactionalId, producerId: wire.producerId, producerEpoch: wire.producerEpoch, groupId: wire.groupId)
    }

    public func wire(version: Int16) -> Wire.AddOffsetsToTxnRequest {
        Wire.AddOffsetsToTxnRequest(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch, groupId: groupId)
    }
}

extension AddOffsetsToTxnResponse {
    public init(wire: Wire.AddOffsetsToTxnResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode)
    }

    public func wire(version: Int16) -> Wire.AddOffsetsToTxnResponse {
        Wire.AddOffsetsToTxnResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode)
    }
}

extension EndTxnRequest {
    public init(wire: Wire.EndTxnRequest, version: Int16) {
        self.init(transactionalId: wire.transactionalId, producerId: wire.producerId, producerEpoch: wire.producerEpoch, committed: wire.committed)
    }

    public func wire(version: Int16) -> Wire.EndTxnRequest {
        Wire.EndTxnRequest(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch, committed: committed)
    }
}

extension EndTxnResponse {
    public init(wire: Wire.EndTxnResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode)
    }

    public func wire(version: Int16) -> Wire.EndTxnResponse {
        Wire.EndTxnResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode)
    }
}
