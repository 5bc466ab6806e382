/// The response to a `KafkaRequest`: always the case with the same API key.
public enum KafkaResponse: Sendable, Equatable {
    case produce(ProduceResponse)
    case fetch(FetchResponse)
    case listOffsets(ListOffsetsResponse)
    case metadata(MetadataResponse)
    case offsetForLeaderEpoch(OffsetForLeaderEpochResponse)
    case createTopics(CreateTopicsResponse)
    case deleteTopics(DeleteTopicsResponse)
    case deleteRecords(DeleteRecordsResponse)
    case initProducerId(InitProducerIdResponse)
    case apiVersions(ApiVersionsResponse)

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
}
