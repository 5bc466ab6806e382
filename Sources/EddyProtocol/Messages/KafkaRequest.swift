/// Every request eddy's brokers serve, as one value a transport can carry.
public enum KafkaRequest: Sendable, Equatable {
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case metadata(MetadataRequest)
    case offsetForLeaderEpoch(OffsetForLeaderEpochRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case createPartitions(CreatePartitionsRequest)
    case electLeaders(ElectLeadersRequest)
    case deleteRecords(DeleteRecordsRequest)
    case initProducerId(InitProducerIdRequest)
    case apiVersions(ApiVersionsRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)
    case findCoordinator(FindCoordinatorRequest)
    case joinGroup(JoinGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case syncGroup(SyncGroupRequest)
    case describeGroups(DescribeGroupsRequest)
    case listGroups(ListGroupsRequest)
    case deleteGroups(DeleteGroupsRequest)
    case offsetDelete(OffsetDeleteRequest)
    case writeTxnMarkers(WriteTxnMarkersRequest)
    case addPartitionsToTxn(AddPartitionsToTxnRequest)
    case addOffsetsToTxn(AddOffsetsToTxnRequest)
    case endTxn(EndTxnRequest)
    case txnOffsetCommit(TxnOffsetCommitRequest)
    case describeTransactions(DescribeTransactionsRequest)
    case listTransactions(ListTransactionsRequest)
    case describeProducers(DescribeProducersRequest)
    case describeConfigs(DescribeConfigsRequest)
    case incrementalAlterConfigs(IncrementalAlterConfigsRequest)
    case describeLogDirs(DescribeLogDirsRequest)
    case describeUserScramCredentials(DescribeUserScramCredentialsRequest)
    case alterUserScramCredentials(AlterUserScramCredentialsRequest)
    case describeCluster(DescribeClusterRequest)
    case describeQuorum(DescribeQuorumRequest)
    case eddyBrokerControl(EddyBrokerControlRequest)
    case eddyFetchPositions(EddyFetchPositionsRequest)

    public var apiKey: ApiKey {
        switch self {
        case .produce: .produce
        case .fetch: .fetch
        case .listOffsets: .listOffsets
        case .metadata: .metadata
        case .offsetForLeaderEpoch: .offsetForLeaderEpoch
        case .createTopics: .createTopics
        case .deleteTopics: .deleteTopics
        case .createPartitions: .createPartitions
        case .electLeaders: .electLeaders
        case .deleteRecords: .deleteRecords
        case .initProducerId: .initProducerId
        case .apiVersions: .apiVersions
        case .offsetCommit: .offsetCommit
        case .offsetFetch: .offsetFetch
        case .findCoordinator: .findCoordinator
        case .joinGroup: .joinGroup
        case .heartbeat: .heartbeat
        case .leaveGroup: .leaveGroup
        case .syncGroup: .syncGroup
        case .describeGroups: .describeGroups
        case .listGroups: .listGroups
        case .deleteGroups: .deleteGroups
        case .offsetDelete: .offsetDelete
        case .writeTxnMarkers: .writeTxnMarkers
        case .addPartitionsToTxn: .addPartitionsToTxn
        case .addOffsetsToTxn: .addOffsetsToTxn
        case .endTxn: .endTxn
        case .txnOffsetCommit: .txnOffsetCommit
        case .describeTransactions: .describeTransactions
        case .listTransactions: .listTransactions
        case .describeProducers: .describeProducers
        case .describeConfigs: .describeConfigs
        case .incrementalAlterConfigs: .incrementalAlterConfigs
        case .describeLogDirs: .describeLogDirs
        case .describeUserScramCredentials: .describeUserScramCredentials
        case .alterUserScramCredentials: .alterUserScramCredentials
        case .describeCluster: .describeCluster
        case .describeQuorum: .describeQuorum
        case .eddyBrokerControl: .eddyBrokerControl
        case .eddyFetchPositions: .eddyFetchPositions
        }
    }

    /// The response that reports `error` for everything the request names (each request's
    /// `errorResponse`); `message` reaches only responses with an error-message field
    /// (Produce, CreateTopics, DeleteTopics, FindCoordinator, DescribeGroups, DescribeConfigs,
    /// IncrementalAlterConfigs).
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> KafkaResponse {
        switch self {
        case let .produce(r): .produce(r.errorResponse(error, message: message))
        case let .fetch(r): .fetch(r.errorResponse(error))
        case let .listOffsets(r): .listOffsets(r.errorResponse(error))
        case let .metadata(r): .metadata(r.errorResponse(error))
        case let .offsetForLeaderEpoch(r): .offsetForLeaderEpoch(r.errorResponse(error))
        case let .createTopics(r): .createTopics(r.errorResponse(error, message: message))
        case let .deleteTopics(r): .deleteTopics(r.errorResponse(error, message: message))
        case let .createPartitions(r): .createPartitions(r.errorResponse(error, message: message))
        case let .electLeaders(r): .electLeaders(r.errorResponse(error, message: message))
        case let .deleteRecords(r): .deleteRecords(r.errorResponse(error))
        case let .initProducerId(r): .initProducerId(r.errorResponse(error))
        case let .apiVersions(r): .apiVersions(r.errorResponse(error))
        case let .offsetCommit(r): .offsetCommit(r.errorResponse(error))
        case let .offsetFetch(r): .offsetFetch(r.errorResponse(error))
        case let .findCoordinator(r): .findCoordinator(r.errorResponse(error, message: message))
        case let .joinGroup(r): .joinGroup(r.errorResponse(error))
        case let .heartbeat(r): .heartbeat(r.errorResponse(error))
        case let .leaveGroup(r): .leaveGroup(r.errorResponse(error))
        case let .syncGroup(r): .syncGroup(r.errorResponse(error))
        case let .describeGroups(r): .describeGroups(r.errorResponse(error, message: message))
        case let .listGroups(r): .listGroups(r.errorResponse(error))
        case let .deleteGroups(r): .deleteGroups(r.errorResponse(error))
        case let .offsetDelete(r): .offsetDelete(r.errorResponse(error))
        case let .writeTxnMarkers(r): .writeTxnMarkers(r.errorResponse(error))
        case let .addPartitionsToTxn(r): .addPartitionsToTxn(r.errorResponse(error))
        case let .addOffsetsToTxn(r): .addOffsetsToTxn(r.errorResponse(error))
        case let .endTxn(r): .endTxn(r.errorResponse(error))
        case let .txnOffsetCommit(r): .txnOffsetCommit(r.errorResponse(error))
        case let .describeTransactions(r): .describeTransactions(r.errorResponse(error))
        case let .listTransactions(r): .listTransactions(r.errorResponse(error))
        case let .describeProducers(r): .describeProducers(r.errorResponse(error, message: message))
        case let .describeConfigs(r): .describeConfigs(r.errorResponse(error, message: message))
        case let .incrementalAlterConfigs(r): .incrementalAlterConfigs(r.errorResponse(error, message: message))
        case let .describeLogDirs(r): .describeLogDirs(r.errorResponse(error))
        case let .describeUserScramCredentials(r): .describeUserScramCredentials(r.errorResponse(error, message: message))
        case let .alterUserScramCredentials(r): .alterUserScramCredentials(r.errorResponse(error, message: message))
        case let .describeCluster(r): .describeCluster(r.errorResponse(error, message: message))
        case let .describeQuorum(r): .describeQuorum(r.errorResponse(error, message: message))
        case let .eddyBrokerControl(r): .eddyBrokerControl(r.errorResponse(error, message: message))
        case let .eddyFetchPositions(r): .eddyFetchPositions(r.errorResponse(error, message: message))
        }
    }
}
