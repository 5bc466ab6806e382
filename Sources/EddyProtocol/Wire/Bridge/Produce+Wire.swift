extension ProduceRequest {
    /// The request as read off the wire in `version`. Null records read as empty; v0-2 have no
    /// transactional id (nil).
    public init(wire: Wire.ProduceRequest, version: Int16) {
        self.init(transactionalId: wire.transactionalId, acks: wire.acks, timeoutMs: wire.timeoutMs,
                  topicData: wire.topicData.map { t in
                      TopicProduceData(name: t.name, partitionData: t.partitionData.map {
                          PartitionProduceData(index: $0.index, records: $0.records ?? [])
                      })
                  })
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Records are always sent non-null, as Kafka's producer does. Kafka's producer needs v3+ for
    /// a transactional id (and RecordBatch v2); here it is dropped before v3.
    public func wire(version: Int16) -> Wire.ProduceRequest {
        Wire.ProduceRequest(transactionalId: version >= 3 ? transactionalId : nil, acks: acks, timeoutMs: timeoutMs,
                            topicData: topicData.map { t in
                                .init(name: t.name, partitionData: t.partitionData.map { .init(index: $0.index, records: $0.records) })
                            })
    }
}

extension ProduceResponse {
    /// The response as read off the wire in `version`; fields a version lacks read as their
    /// defaults (-1 offsets and times, no record errors, no leader).
    public init(wire: Wire.ProduceResponse, version: Int16) {
        self.init(responses: wire.responses.map { t in
            TopicProduceResponse(name: t.name, partitionResponses: t.partitionResponses.map { p in
                PartitionProduceResponse(
                    index: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs,
                    logStartOffset: p.logStartOffset,
                    recordErrors: p.recordErrors.map { BatchIndexAndErrorMessage(batchIndex: $0.batchIndex, batchIndexErrorMessage: $0.batchIndexErrorMessage) },
                    errorMessage: p.errorMessage, currentLeader: LeaderIdAndEpoch(wire: p.currentLeader))
            })
        }, throttleTimeMs: wire.throttleTimeMs, nodeEndpoints: wire.nodeEndpoints.map { NodeEndpoint(wire: $0) })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// Log append time from v2, log start offset from v5, record errors and error message from
    /// v8, the current leader and its endpoint (KIP-951) from v10.
    public func wire(version: Int16) -> Wire.ProduceResponse {
        Wire.ProduceResponse(responses: responses.map { t in
            .init(name: t.name, partitionResponses: t.partitionResponses.map { p in
                .init(index: p.index, errorCode: p.errorCode, baseOffset: p.baseOffset,
                      logAppendTimeMs: version >= 2 ? p.logAppendTimeMs : -1,
                      logStartOffset: version >= 5 ? p.logStartOffset : -1,
                      recordErrors: version >= 8 ? p.recordErrors.map { .init(batchIndex: $0.batchIndex, batchIndexErrorMessage: $0.batchIndexErrorMessage) } : [],
                      errorMessage: version >= 8 ? p.errorMessage : nil,
                      currentLeader: LeaderIdAndEpoch.wire(version >= 10 ? p.currentLeader : nil))
            })
        }, throttleTimeMs: version >= 1 ? throttleTimeMs : 0, nodeEndpoints: version >= 10 ? nodeEndpoints.map { $0.wire() } : [])
    }
}
