extension InitProducerIdRequest {
    /// The request as read off the wire in `version`: no current producer id and epoch (-1)
    /// before v3.
    public init(wire: Wire.InitProducerIdRequest, version: Int16) {
        self.init(transactionalId: wire.transactionalId, transactionTimeoutMs: wire.transactionTimeoutMs,
                  producerId: wire.producerId, producerEpoch: wire.producerEpoch)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a current producer id and epoch (KIP-360) before v3; here they
    /// are dropped, which asks for a new producer id instead of bumping the epoch.
    public func wire(version: Int16) -> Wire.InitProducerIdRequest {
        Wire.InitProducerIdRequest(transactionalId: transactionalId, transactionTimeoutMs: transactionTimeoutMs,
                                   producerId: version >= 3 ? producerId : -1, producerEpoch: version >= 3 ? producerEpoch : -1)
    }
}

extension InitProducerIdResponse {
    /// The response as read off the wire (every version carries the same fields).
    public init(wire: Wire.InitProducerIdResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, producerId: wire.producerId,
                  producerEpoch: wire.producerEpoch)
    }

    /// The wire form of the response for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.InitProducerIdResponse {
        Wire.InitProducerIdResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, producerId: producerId, producerEpoch: producerEpoch)
    }
}
