/// The response to a `KafkaRequest`: always the case with the same API key.
public enum KafkaResponse: Sendable, Equatable {
    case produce(ProduceResponse)
    case fetch(FetchResponse)
    case listOffsets(ListOffsetsResponse)
    case metadata(MetadataResponse)
    case offsetForLeaderEpoch(OffsetForLeaderEpochResponse)
    case createTopics(CreateTopicsResponse)
    case deleteTopics(DeleteTopicsResponse)
    case createPartitions(CreatePartitionsResponse)
    case electLeaders(ElectLeadersResponse)
    case deleteRecords(DeleteRecordsResponse)
    case initProducerId(InitProducerIdResponse)
    case apiVersions(ApiVersionsResponse)
    case offsetCommit(OffsetCommitResponse)
    case offsetFetch(OffsetFetchResponse)
    case findCoordinator(FindCoordinatorResponse)
    case joinGroup(JoinGroupResponse)
    case heartbeat(HeartbeatResponse)
    case leaveGroup(LeaveGroupResponse)
    case syncGroup(SyncGroupResponse)
    case describeGroups(DescribeGroupsResponse)
    case listGroups(ListGroupsResponse)
    case deleteGroups(DeleteGroupsResponse)
    case offsetDelete(OffsetDeleteResponse)
    case writeTxnMarkers(WriteTxnMarkersResponse)
    case addPartitionsToTxn(AddPartitionsToTxnResponse)
    case addOffsetsToTxn(AddOffsetsToTxnResponse)
    case endTxn(EndTxnResponse)
    case txnOffsetCommit(TxnOffsetCommitResponse)
    case describeTransactions(DescribeTransactionsResponse)
    case listTransactions(ListTransactionsResponse)
    case describeProducers(DescribeProducersResponse)
    case describeConfigs(DescribeConfigsResponse)
    case incrementalAlterConfigs(IncrementalAlterConfigsResponse)
    case describeLogDirs(DescribeLogDirsResponse)
    case describeUserScramCredentials(DescribeUserScramCredentialsResponse)
    case alterUserScramCredentials(AlterUserScramCredentialsResponse)
    case describeCluster(DescribeClusterResponse)
    case describeQuorum(DescribeQuorumResponse)
    case eddyBrokerControl(EddyBrokerControlResponse)
    case eddyFetchPositions(EddyFetchPositionsResponse)

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
}
