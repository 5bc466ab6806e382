extension DeleteRecordsRequest {
    /// The request as read off the wire (every version carries the same fields).
    public init(wire: Wire.DeleteRecordsRequest, version: Int16) {
        self.init(topics: wire.topics.map { t in
            DeleteRecordsTopic(name: t.name, partitions: t.partitions.map { DeleteRecordsPartition(partitionIndex: $0.partitionIndex, offset: $0.offset) })
        }, timeoutMs: wire.timeoutMs)
    }

    /// The wire form of the request for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.DeleteRecordsRequest {
        Wire.DeleteRecordsRequest(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, offset: $0.offset) })
        }, timeoutMs: timeoutMs)
    }
}

extension DeleteRecordsResponse {
    /// The response as read off the wire (every version carries the same fields).
    public init(wire: Wire.DeleteRecordsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            DeleteRecordsTopicResult(name: t.name, partitions: t.partitions.map {
                DeleteRecordsPartitionResult(partitionIndex: $0.partitionIndex, lowWatermark: $0.lowWatermark, errorCode: $0.errorCode)
            })
        })
    }

    /// The wire form of the response for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.DeleteRecordsResponse {
        Wire.DeleteRecordsResponse(throttleTimeMs: throttleTimeMs, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map {
                .init(partitionIndex: $0.partitionIndex, lowWatermark: $0.lowWatermark, errorCode: $0.errorCode)
            })
        })
    }
}
