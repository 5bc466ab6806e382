/// InitProducerId (API key 22): a producer id and epoch for an idempotent or transactional
/// producer. Fields follow Kafka's `InitProducerIdRequest.json` / `InitProducerIdResponse.json` (v5).
public struct InitProducerIdRequest: Sendable, Equatable {
    /// nil for an idempotent, non-transactional producer.
    public var transactionalId: String?
    /// Idle transactions are aborted after this long; only meaningful with a transactional id.
    public var transactionTimeoutMs: Int32
    /// The producer's current id and epoch when re-initialising (v3+, KIP-360), else -1.
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(transactionalId: String? = nil, transactionTimeoutMs: Int32 = 60000, producerId: Int64 = -1,
                producerEpoch: Int16 = -1) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    /// Kafka's `InitProducerIdRequest.getErrorResponse`: `error`, producer id and epoch -1
    /// (`NO_PRODUCER_ID`, `NO_PRODUCER_EPOCH`).
    public func errorResponse(_ error: ErrorCode) -> InitProducerIdResponse {
        InitProducerIdResponse(errorCode: error)
    }
}

public struct InitProducerIdResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }
}
