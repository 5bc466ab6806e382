extension OffsetDeleteRequest {
    /// The request as read off the wire in `version` (v0 only).
    public init(wire: Wire.OffsetDeleteRequest, version: Int16) {
        self.init(groupId: wire.groupId, topics: wire.topics.map { t in
            OffsetDeleteRequestTopic(name: t.name, partitions: t.partitions.map { OffsetDeleteRequestPartition(partitionIndex: $0.partitionIndex) })
        })
    }

    /// The wire form of the request for `version`.
    public func wire(version: Int16) -> Wire.OffsetDeleteRequest {
        Wire.OffsetDeleteRequest(groupId: groupId, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex) })
        })
    }
}

extension OffsetDeleteResponse {
    /// The response as read off the wire in `version` (v0 only).
    public init(wire: Wire.OffsetDeleteResponse, version: Int16) {
        self.init(errorCode: wire.errorCode, throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            OffsetDeleteResponseTopic(name: t.name, partitions: t.partitions.map {
                OffsetDeleteResponsePartition(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode)
            })
        })
    }

    /// The wire form of the response for `version`.
    public func wire(version: Int16) -> Wire.OffsetDeleteResponse {
        Wire.OffsetDeleteResponse(errorCode: errorCode, throttleTimeMs: throttleTimeMs, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode) })
        })
    }
}
