/// Between `KafkaRequest`/`KafkaResponse` (what brokers and clients handle) and the generated
/// wire messages (what goes over a socket), through each API's bridge in this folder.
extension KafkaRequest {
    /// The request a decoded wire message carries, nil for an API eddy does not handle.
    public init?(wire message: any WireApiMessage, version: Int16) {
        switch message {
        case let m as Wire.ProduceRequest: self = .produce(ProduceRequest(wire: m, version: version))
        case let m as Wire.FetchRequest: self = .fetch(FetchRequest(wire: m, version: version))
        case let m as Wire.ListOffsetsRequest: self = .listOffsets(ListOffsetsRequest(wire: m, version: version))
        case let m as Wire.MetadataRequest: self = .metadata(MetadataRequest(wire: m, version: version))
        case let m as Wire.OffsetForLeaderEpochRequest: self = .offsetForLeaderEpoch(OffsetForLeaderEpochRequest(wire: m, version: version))
        case let m as Wire.CreateTopicsRequest: self = .createTopics(CreateTopicsRequest(wire: m, version: version))
        case let m as Wire.DeleteTopicsRequest: self = .deleteTopics(DeleteTopicsRequest(wire: m, version: version))
        case let m as Wire.CreatePartitionsRequest: self = .createPartitions(CreatePartitionsRequest(wire: m, version: version))
        case let m as Wire.ElectLeadersRequest: self = .electLeaders(ElectLeadersRequest(wire: m, version: version))
        case let m as Wire.DeleteRecordsRequest: self = .deleteRecords(DeleteRecordsRequest(wire: m, version: version))
        case let m as Wire.InitProducerIdRequest: self = .initProducerId(InitProducerIdRequest(wire: m, version: version))
        case let m as Wire.ApiVersionsRequest: self = .apiVersions(ApiVersionsRequest(wire: m, version: version))
        case let m as Wire.OffsetCommitRequest: self = .offsetCommit(OffsetCommitRequest(wire: m, version: version))
        case let m as Wire.OffsetFetchRequest: self = .offsetFetch(OffsetFetchRequest(wire: m, version: version))
        case let m as Wire.FindCoordinatorRequest: self = .findCoordinator(FindCoordinatorRequest(wire: m, version: version))
        case let m as Wire.JoinGroupRequest: self = .joinGroup(JoinGroupRequest(wire: m, version: version))
        case let m as Wire.HeartbeatRequest: self = .heartbeat(HeartbeatRequest(wire: m, version: version))
        case let m as Wire.LeaveGroupRequest: self = .leaveGroup(LeaveGroupRequest(wire: m, version: version))
        case let m as Wire.SyncGroupRequest: self = .syncGroup(SyncGroupRequest(wire: m, version: version))
        case let m as Wire.DescribeGroupsRequest: self = .describeGroups(DescribeGroupsRequest(wire: m, version: version))
        case let m as Wire.ListGroupsRequest: self = .listGroups(ListGroupsRequest(wire: m, version: version))
        case let m as Wire.DeleteGroupsRequest: self = .deleteGroups(DeleteGroupsRequest(wire: m, version: version))
        case let m as Wire.OffsetDeleteRequest: self = .offsetDelete(OffsetDeleteRequest(wire: m, version: version))
        case let m as Wire.WriteTxnMarkersRequest: self = .writeTxnMarkers(WriteTxnMarkersRequest(wire: m, version: version))
        case let m as Wire.AddPartitionsToTxnRequest: self = .addPartitionsToTxn(AddPartitionsToTxnRequest(wire: m, version: version))
        case let m as Wire.AddOffsetsToTxnRequest: self = .addOffsetsToTxn(AddOffsetsToTxnRequest(wire: m, version: version))
        case let m as Wire.EndTxnRequest: self = .endTxn(EndTxnRequest(wire: m, version: version))
        case let m as Wire.TxnOffsetCommitRequest: self = .txnOffsetCommit(TxnOffsetCommitRequest(wire: m, version: version))
        case let m as Wire.DescribeTransactionsRequest: self = .describeTransactions(DescribeTransactionsRequest(wire: m, version: version))
        case let m as Wire.ListTransactionsRequest: self = .listTransactions(ListTransactionsRequest(wire: m, version: version))
        case let m as Wire.DescribeProducersRequest: self = .describeProducers(DescribeProducersRequest(wire: m, version: version))
        case let m as Wire.DescribeConfigsRequest: self = .describeConfigs(DescribeConfigsRequest(wire: m, version: version))
        case let m as Wire.IncrementalAlterConfigsRequest: self = .incrementalAlterConfigs(IncrementalAlterConfigsRequest(wire: m, version: version))
        case let m as Wire.DescribeLogDirsRequest: self = .describeLogDirs(DescribeLogDirsRequest(wire: m, version: version))
        case let m as Wire.DescribeUserScramCredentialsRequest:
            self = .describeUserScramCredentials(DescribeUserScramCredentialsRequest(wire: m, version: version))
        case let m as Wire.AlterUserScramCredentialsRequest:
            self = .alterUserScramCredentials(AlterUserScramCredentialsRequest(wire: m, version: version))
        case let m as Wire.DescribeClusterRequest: self = .describeCluster(DescribeClusterRequest(wire: m, version: version))
        case let m as Wire.DescribeQuorumRequest: self = .describeQuorum(DescribeQuorumRequest(wire: m, version: version))
        case let m as Wire.EddyBrokerControlRequest: self = .eddyBrokerControl(EddyBrokerControlRequest(wire: m, version: version))
        case let m as Wire.EddyFetchPositionsRequest: self = .eddyFetchPositions(EddyFetchPositionsRequest(wire: m, version: version))
        default: return nil
        }
    }

    /// The wire message to send in `version`.
    public func wireMessage(version: Int16) -> any WireApiMessage {
        switch self {
        case let .produce(r): r.wire(version: version)
        case let .fetch(r): r.wire(version: version)
        case let .listOffsets(r): r.wire(version: version)
        case let .metadata(r): r.wire(version: version)
        case let .offsetForLeaderEpoch(r): r.wire(version: version)
        case let .createTopics(r): r.wire(version: version)
        case let .deleteTopics(r): r.wire(version: version)
        case let .createPartitions(r): r.wire(version: version)
        case let .electLeaders(r): r.wire(version: version)
        case let .deleteRecords(r): r.wire(version: version)
        case let .initProducerId(r): r.wire(version: version)
        case let .apiVersions(r): r.wire(version: version)
        case let .offsetCommit(r): r.wire(version: version)
        case let .offsetFetch(r): r.wire(version: version)
        case let .findCoordinator(r): r.wire(version: version)
        case let .joinGroup(r): r.wire(version: version)
        case let .heartbeat(r): r.wire(version: version)
        case let .leaveGroup(r): r.wire(version: version)
        case let .syncGroup(r): r.wire(version: version)
        case let .describeGroups(r): r.wire(version: version)
        case let .listGroups(r): r.wire(version: version)
        case let .deleteGroups(r): r.wire(version: version)
        case let .offsetDelete(r): r.wire(version: version)
        case let .writeTxnMarkers(r): r.wire(version: version)
        case let .addPartitionsToTxn(r): r.wire(version: version)
        case let .addOffsetsToTxn(r): r.wire(version: version)
        case let .endTxn(r): r.wire(version: version)
        case let .txnOffsetCommit(r): r.wire(version: version)
        case let .describeTransactions(r): r.wire(version: version)
        case let .listTransactions(r): r.wire(version: version)
        case let .describeProducers(r): r.wire(version: version)
        case let .describeConfigs(r): r.wire(version: version)
        case let .incrementalAlterConfigs(r): r.wire(version: version)
        case let .describeLogDirs(r): r.wire(version: version)
        case let .describeUserScramCredentials(r): r.wire(version: version)
        case let .alterUserScramCredentials(r): r.wire(version: version)
        case let .describeCluster(r): r.wire(version: version)
        case let .describeQuorum(r): r.wire(version: version)
        case let .eddyBrokerControl(r): r.wire(version: version)
        case let .eddyFetchPositions(r): r.wire(version: version)
        }
    }
}

extension KafkaResponse {
    /// The response a decoded wire message carries, nil for an API eddy does not handle.
    public init?(wire message: any WireApiMessage, version: Int16) {
        switch message {
        case let m as Wire.ProduceResponse: self = .produce(ProduceResponse(wire: m, version: version))
        case let m as Wire.FetchResponse: self = .fetch(FetchResponse(wire: m, version: version))
        case let m as Wire.ListOffsetsResponse: self = .listOffsets(ListOffsetsResponse(wire: m, version: version))
        case let m as Wire.MetadataResponse: self = .metadata(MetadataResponse(wire: m, version: version))
        case let m as Wire.OffsetForLeaderEpochResponse: self = .offsetForLeaderEpoch(OffsetForLeaderEpochResponse(wire: m, version: version))
        case let m as Wire.CreateTopicsResponse: self = .createTopics(CreateTopicsResponse(wire: m, version: version))
        case let m as Wire.DeleteTopicsResponse: self = .deleteTopics(DeleteTopicsResponse(wire: m, version: version))
        case let m as Wire.CreatePartitionsResponse: self = .createPartitions(CreatePartitionsResponse(wire: m, version: version))
        case let m as Wire.ElectLeadersResponse: self = .electLeaders(ElectLeadersResponse(wire: m, version: version))
        case let m as Wire.DeleteRecordsResponse: self = .deleteRecords(DeleteRecordsResponse(wire: m, version: version))
        case let m as Wire.InitProducerIdResponse: self = .initProducerId(InitProducerIdResponse(wire: m, version: version))
        case let m as Wire.ApiVersionsResponse: self = .apiVersions(ApiVersionsResponse(wire: m, version: version))
        case let m as Wire.OffsetCommitResponse: self = .offsetCommit(OffsetCommitResponse(wire: m, version: version))
        case let m as Wire.OffsetFetchResponse: self = .offsetFetch(OffsetFetchResponse(wire: m, version: version))
        case let m as Wire.FindCoordinatorResponse: self = .findCoordinator(FindCoordinatorResponse(wire: m, version: version))
        case let m as Wire.JoinGroupResponse: self = .joinGroup(JoinGroupResponse(wire: m, version: version))
        case let m as Wire.HeartbeatResponse: self = .heartbeat(HeartbeatResponse(wire: m, version: version))
        case let m as Wire.LeaveGroupResponse: self = .leaveGroup(LeaveGroupResponse(wire: m, version: version))
        case let m as Wire.SyncGroupResponse: self = .syncGroup(SyncGroupResponse(wire: m, version: version))
        case let m as Wire.DescribeGroupsResponse: self = .describeGroups(DescribeGroupsResponse(wire: m, version: version))
        case let m as Wire.ListGroupsResponse: self = .listGroups(ListGroupsResponse(wire: m, version: version))
        case let m as Wire.DeleteGroupsResponse: self = .deleteGroups(DeleteGroupsResponse(wire: m, version: version))
        case let m as Wire.OffsetDeleteResponse: self = .offsetDelete(OffsetDeleteResponse(wire: m, version: version))
        case let m as Wire.WriteTxnMarkersResponse: self = .writeTxnMarkers(WriteTxnMarkersResponse(wire: m, version: version))
        case let m as Wire.AddPartitionsToTxnResponse: self = .addPartitionsToTxn(AddPartitionsToTxnResponse(wire: m, version: version))
        case let m as Wire.AddOffsetsToTxnResponse: self = .addOffsetsToTxn(AddOffsetsToTxnResponse(wire: m, version: version))
        case let m as Wire.EndTxnResponse: self = .endTxn(EndTxnResponse(wire: m, version: version))
        case let m as Wire.TxnOffsetCommitResponse: self = .txnOffsetCommit(TxnOffsetCommitResponse(wire: m, version: version))
        case let m as Wire.DescribeTransactionsResponse: self = .describeTransactions(DescribeTransactionsResponse(wire: m, version: version))
        case let m as Wire.ListTransactionsResponse: self = .listTransactions(ListTransactionsResponse(wire: m, version: version))
        case let m as Wire.DescribeProducersResponse: self = .describeProducers(DescribeProducersResponse(wire: m, version: version))
        case let m as Wire.DescribeConfigsResponse: self = .describeConfigs(DescribeConfigsResponse(wire: m, version: version))
        case let m as Wire.IncrementalAlterConfigsResponse: self = .incrementalAlterConfigs(IncrementalAlterConfigsResponse(wire: m, version: version))
        case let m as Wire.DescribeLogDirsResponse: self = .describeLogDirs(DescribeLogDirsResponse(wire: m, version: version))
        case let m as Wire.DescribeUserScramCredentialsResponse:
            self = .describeUserScramCredentials(DescribeUserScramCredentialsResponse(wire: m, version: version))
        case let m as Wire.AlterUserScramCredentialsResponse:
            self = .alterUserScramCredentials(AlterUserScramCredentialsResponse(wire: m, version: version))
        case let m as Wire.DescribeClusterResponse: self = .describeCluster(DescribeClusterResponse(wire: m, version: version))
        case let m as Wire.DescribeQuorumResponse: self = .describeQuorum(DescribeQuorumResponse(wire: m, version: version))
        case let m as Wire.EddyBrokerControlResponse: self = .eddyBrokerControl(EddyBrokerControlResponse(wire: m, version: version))
        case let m as Wire.EddyFetchPositionsResponse: self = .eddyFetchPositions(EddyFetchPositionsResponse(wire: m, version: version))
        default: return nil
        }
    }

    /// The wire message to send in `version`.
    public func wireMessage(version: Int16) -> any WireApiMessage {
        switch self {
        case let .produce(r): r.wire(version: version)
        case let .fetch(r): r.wire(version: version)
        case let .listOffsets(r): r.wire(version: version)
        case let .metadata(r): r.wire(version: version)
        case let .offsetForLeaderEpoch(r): r.wire(version: version)
        case let .createTopics(r): r.wire(version: version)
        case let .deleteTopics(r): r.wire(version: version)
        case let .createPartitions(r): r.wire(version: version)
        case let .electLeaders(r): r.wire(version: version)
        case let .deleteRecords(r): r.wire(version: version)
        case let .initProducerId(r): r.wire(version: version)
        case let .apiVersions(r): r.wire(version: version)
        case let .offsetCommit(r): r.wire(version: version)
        case let .offsetFetch(r): r.wire(version: version)
        case let .findCoordinator(r): r.wire(version: version)
        case let .joinGroup(r): r.wire(version: version)
        case let .heartbeat(r): r.wire(version: version)
        case let .leaveGroup(r): r.wire(version: version)
        case let .syncGroup(r): r.wire(version: version)
        case let .describeGroups(r): r.wire(version: version)
        case let .listGroups(r): r.wire(version: version)
        case let .deleteGroups(r): r.wire(version: version)
        case let .offsetDelete(r): r.wire(version: version)
        case let .writeTxnMarkers(r): r.wire(version: version)
        case let .addPartitionsToTxn(r): r.wire(version: version)
        case let .addOffsetsToTxn(r): r.wire(version: version)
        case let .endTxn(r): r.wire(version: version)
        case let .txnOffsetCommit(r): r.wire(version: version)
        case let .describeTransactions(r): r.wire(version: version)
        case let .listTransactions(r): r.wire(version: version)
        case let .describeProducers(r): r.wire(version: version)
        case let .describeConfigs(r): r.wire(version: version)
        case let .incrementalAlterConfigs(r): r.wire(version: version)
        case let .describeLogDirs(r): r.wire(version: version)
        case let .describeUserScramCredentials(r): r.wire(version: version)
        case let .alterUserScramCredentials(r): r.wire(version: version)
        case let .describeCluster(r): r.wire(version: version)
        case let .describeQuorum(r): r.wire(version: version)
        case let .eddyBrokerControl(r): r.wire(version: version)
        case let .eddyFetchPositions(r): r.wire(version: version)
        }
    }

    /// The wire response type of each API, to decode a response to a request sent in some version.
    public static func wireType(of key: ApiKey) -> (any WireApiMessage.Type)? {
        Wire.responseTypes[key.rawValue]
    }
}
