/// Every request eddy's brokers serve, as one value a transport can carry.
public enum KafkaRequest: Sendable, Equatable {
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case metadata(MetadataRequest)
    case offsetForLeaderEpoch(OffsetForLeaderEpochRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case deleteRecords(DeleteRecordsRequest)
    case initProducerId(InitProducerIdRequest)
    case apiVersions(ApiVersionsRequest)

    public var apiKey: ApiKey {
        switch self {
        case .produce: .produce
        case .fetch: .fetch
        case .listOffsets: .listOffsets
        case .metadata: .metadata
        case .offsetForLeaderEpoch: .offsetForLeaderEpoch
        case .createTopics: .createTopics
        case .deleteTopics: .deleteTopics
        case .deleteRecords: .deleteRecords
        case .initProducerId: .initProducerId
        case .apiVersions: .apiVersions
        }
    }

    /// The response that reports `error` for everything the request names (each request's
    /// `errorResponse`); `message` reaches only responses with an error-message field
    /// (Produce, CreateTopics, DeleteTopics).
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> KafkaResponse {
        switch self {
        case let .produce(r): .produce(r.errorResponse(error, message: message))
        case let .fetch(r): .fetch(r.errorResponse(error))
        case let .listOffsets(r): .listOffsets(r.errorResponse(error))
        case let .metadata(r): .metadata(r.errorResponse(error))
        case let .offsetForLeaderEpoch(r): .offsetForLeaderEpoch(r.errorResponse(error))
        case let .createTopics(r): .createTopics(r.errorResponse(error, message: message))
        case let .deleteTopics(r): .deleteTopics(r.errorResponse(error, message: message))
        case let .deleteRecords(r): .deleteRecords(r.errorResponse(error))
        case let .initProducerId(r): .initProducerId(r.errorResponse(error))
        case let .apiVersions(r): .apiVersions(r.errorResponse(error))
        }
    }
}
