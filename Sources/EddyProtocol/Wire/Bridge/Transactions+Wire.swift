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
            TopicErrors(name: t.name, partitions: t.resultsByPartition.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.partitionErrorCode) })
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

extension TxnOffsetCommitRequest {
    public init(wire: Wire.TxnOffsetCommitRequest, version: Int16) {
        self.init(transactionalId: wire.transactionalId, groupId: wire.groupId, producerId: wire.producerId, producerEpoch: wire.producerEpoch,
                  generationId: wire.generationId, memberId: wire.memberId, groupInstanceId: wire.groupInstanceId,
                  topics: wire.topics.map { t in
                      Topic(name: t.name, partitions: t.partitions.map {
                          Partition(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                                    committedLeaderEpoch: $0.committedLeaderEpoch, committedMetadata: $0.committedMetadata)
                      })
                  })
    }

    /// Versions without a field send its default: v0-1 no leader epoch, v0-2 no member (a
    /// sender that needs the member's fencing must use v3, as Kafka's producer requires).
    public func wire(version: Int16) -> Wire.TxnOffsetCommitRequest {
        let member = version >= 3
        return Wire.TxnOffsetCommitRequest(
            transactionalId: transactionalId, groupId: groupId, producerId: producerId, producerEpoch: producerEpoch,
            generationId: member ? generationId : -1, memberId: member ? memberId : "", groupInstanceId: member ? groupInstanceId : nil,
            topics: topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                          committedLeaderEpoch: version >= 2 ? $0.committedLeaderEpoch : -1, committedMetadata: $0.committedMetadata)
                })
            })
    }
}

extension TxnOffsetCommitResponse {
    public init(wire: Wire.TxnOffsetCommitResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            TopicErrors(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode) })
        })
    }

    public func wire(version: Int16) -> Wire.TxnOffsetCommitResponse {
        Wire.TxnOffsetCommitResponse(throttleTimeMs: throttleTimeMs, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode) })
        })
    }
}

extension DescribeTransactionsRequest {
    public init(wire: Wire.DescribeTransactionsRequest, version: Int16) { self.init(transactionalIds: wire.transactionalIds) }

    public func wire(version: Int16) -> Wire.DescribeTransactionsRequest { Wire.DescribeTransactionsRequest(transactionalIds: transactionalIds) }
}

extension DescribeTransactionsResponse {
    public init(wire: Wire.DescribeTransactionsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, transactions: wire.transactionStates.map { t in
            DescribedTransaction(errorCode: t.errorCode, transactionalId: t.transactionalId, state: t.transactionState,
                                 timeoutMs: t.transactionTimeoutMs, startTimeMs: t.transactionStartTimeMs, producerId: t.producerId,
                                 producerEpoch: t.producerEpoch,
                                 partitions: t.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } })
        })
    }

    public func wire(version: Int16) -> Wire.DescribeTransactionsResponse {
        Wire.DescribeTransactionsResponse(throttleTimeMs: throttleTimeMs, transactionStates: transactions.map { t in
            .init(errorCode: t.errorCode, transactionalId: t.transactionalId, transactionState: t.state, transactionTimeoutMs: t.timeoutMs,
                  transactionStartTimeMs: t.startTimeMs, producerId: t.producerId, producerEpoch: t.producerEpoch,
                  topics: WriteTxnMarkersRequest.grouped(t.partitions).map { .init(topic: $0.topic, partitions: $0.partitions) })
        })
    }
}

extension ListTransactionsRequest {
    public init(wire: Wire.ListTransactionsRequest, version: Int16) {
        self.init(stateFilters: wire.stateFilters, producerIdFilters: wire.producerIdFilters, durationFilterMs: version >= 1 ? wire.durationFilter : -1)
    }

    public func wire(version: Int16) -> Wire.ListTransactionsRequest {
        Wire.ListTransactionsRequest(stateFilters: stateFilters, producerIdFilters: producerIdFilters, durationFilter: version >= 1 ? durationFilterMs : -1)
    }
}

extension ListTransactionsResponse {
    public init(wire: Wire.ListTransactionsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, unknownStateFilters: wire.unknownStateFilters,
                  transactions: wire.transactionStates.map { ListedTransaction(transactionalId: $0.transactionalId, producerId: $0.producerId, state: $0.transactionState) })
    }

    public func wire(version: Int16) -> Wire.ListTransactionsResponse {
        Wire.ListTransactionsResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, unknownStateFilters: unknownStateFilters,
                                      transactionStates: transactions.map { .init(transactionalId: $0.transactionalId, producerId: $0.producerId,
                                                                                  transactionState: $0.state) })
    }
}
