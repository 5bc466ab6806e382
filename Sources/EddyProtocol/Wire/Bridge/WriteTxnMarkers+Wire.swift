extension WriteTxnMarkersRequest {
    /// The request as read off the wire (every version carries the same fields).
    public init(wire: Wire.WriteTxnMarkersRequest, version: Int16) {
        self.init(markers: wire.markers.map { m in
            WritableTxnMarker(producerId: m.producerId, producerEpoch: m.producerEpoch, committed: m.transactionResult,
                              topics: m.topics.map { WritableTxnMarkerTopic(name: $0.name, partitionIndexes: $0.partitionIndexes) },
                              coordinatorEpoch: m.coordinatorEpoch)
        })
    }

    /// The wire form of the request (every version carries the same fields).
    public func wire(version: Int16) -> Wire.WriteTxnMarkersRequest {
        Wire.WriteTxnMarkersRequest(markers: markers.map { m in
            .init(producerId: m.producerId, producerEpoch: m.producerEpoch, transactionResult: m.committed,
                  topics: m.topics.map { .init(name: $0.name, partitionIndexes: $0.partitionIndexes) }, coordinatorEpoch: m.coordinatorEpoch)
        })
    }
}

extension WriteTxnMarkersResponse {
    /// The response as read off the wire (every version carries the same fields).
    public init(wire: Wire.WriteTxnMarkersResponse, version: Int16) {
        self.init(markers: wire.markers.map { m in
            WritableTxnMarkerResult(producerId: m.producerId, topics: m.topics.map { t in
                WritableTxnMarkerTopicResult(name: t.name, partitions: t.partitions.map {
                    WritableTxnMarkerPartitionResult(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode)
                })
            })
        })
    }

    /// The wire form of the response (every version carries the same fields).
    public func wire(version: Int16) -> Wire.WriteTxnMarkersResponse {
        Wire.WriteTxnMarkersResponse(markers: markers.map { m in
            .init(producerId: m.producerId, topics: m.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode) })
            })
        })
    }
}
