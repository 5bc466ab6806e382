import EddyProtocol
import Testing

@Suite struct MessagesApiKeyTests {
    /// Each code is the `"apiKey"` value of the named schema in apache/kafka
    /// `clients/src/main/resources/common/message/<Name>Request.json` (checked at commit
    /// 1eb7644349cb07139d6a3c1ad1986979647cac99); the name is the schema name minus `Request`.
    static let kafka: [(Int16, String)] = [
        (0, "Produce"), (1, "Fetch"), (2, "ListOffsets"), (3, "Metadata"),
        (8, "OffsetCommit"), (9, "OffsetFetch"), (10, "FindCoordinator"), (11, "JoinGroup"),
        (12, "Heartbeat"), (13, "LeaveGroup"), (14, "SyncGroup"), (15, "DescribeGroups"),
        (16, "ListGroups"), (17, "SaslHandshake"), (18, "ApiVersions"), (19, "CreateTopics"), (20, "DeleteTopics"),
        (21, "DeleteRecords"), (22, "InitProducerId"), (23, "OffsetForLeaderEpoch"),
        (24, "AddPartitionsToTxn"), (25, "AddOffsetsToTxn"), (26, "EndTxn"), (27, "WriteTxnMarkers"), (28, "TxnOffsetCommit"),
        (32, "DescribeConfigs"), (33, "AlterConfigs"), (35, "DescribeLogDirs"), (36, "SaslAuthenticate"), (37, "CreatePartitions"), (43, "ElectLeaders"),
        (42, "DeleteGroups"), (44, "IncrementalAlterConfigs"), (47, "OffsetDelete"), (50, "DescribeUserScramCredentials"),
        (51, "AlterUserScramCredentials"), (55, "DescribeQuorum"), (56, "AlterPartition"), (60, "DescribeCluster"), (61, "DescribeProducers"),
        (65, "DescribeTransactions"), (66, "ListTransactions"),
    ]

    @Test func codesAndNamesMatchKafka() throws {
        // Kafka's keys, then eddy's own extensions (outside Kafka's range).
        #expect(ApiKey.allCases.map(\.code) == Self.kafka.map(\.0) + [32000, 32001])
        #expect(ApiKey.eddyBrokerControl.name == "EddyBrokerControl")
        for (code, name) in Self.kafka {
            let key = try #require(ApiKey(rawValue: code), "\(code)")
            #expect(key.name == name)
            #expect(key.description == "\(name)(\(code))")
        }
        #expect(ApiKey(rawValue: 4) == nil)  // LeaderAndIsr: ZooKeeper-era, not served
    }

    /// One request of every `KafkaRequest` case, with the key it must report.
    static let requests: [(KafkaRequest, ApiKey)] = [
        (.produce(ProduceRequest(topic: "t", partition: 0, records: [])), .produce),
        (.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0)), .fetch),
        (.listOffsets(ListOffsetsRequest(topic: "t", partition: 0, timestamp: ListOffsetsRequest.latestTimestamp)), .listOffsets),
        (.metadata(MetadataRequest(topics: ["t"])), .metadata),
        (.offsetForLeaderEpoch(OffsetForLeaderEpochRequest(topic: "t", partition: 0, leaderEpoch: 0)), .offsetForLeaderEpoch),
        (.createTopics(CreateTopicsRequest(topics: [.init(name: "t")])), .createTopics),
        (.deleteTopics(DeleteTopicsRequest(topicNames: ["t"])), .deleteTopics),
        (.deleteRecords(DeleteRecordsRequest(topic: "t", partition: 0, offset: 1)), .deleteRecords),
        (.initProducerId(InitProducerIdRequest()), .initProducerId),
        (.apiVersions(ApiVersionsRequest()), .apiVersions),
        (.describeLogDirs(DescribeLogDirsRequest()), .describeLogDirs),
        (.describeUserScramCredentials(DescribeUserScramCredentialsRequest()), .describeUserScramCredentials),
        (.alterUserScramCredentials(AlterUserScramCredentialsRequest(deletions: [.init(name: "u", mechanism: 1)])), .alterUserScramCredentials),
        (.describeCluster(DescribeClusterRequest()), .describeCluster),
        (.describeQuorum(DescribeQuorumRequest()), .describeQuorum),
        (.eddyBrokerControl(EddyBrokerControlRequest(brokerId: 1, action: .stop)), .eddyBrokerControl),
        (.eddyFetchPositions(EddyFetchPositionsRequest(partitions: [TopicPartition("t", 0)])), .eddyFetchPositions),
    ]

    @Test func everyRequestCaseReportsItsKeyAndSoDoesItsErrorResponse() {
        #expect(Set(Self.requests.map(\.1)).count == Self.requests.count)
        for (request, key) in Self.requests {
            #expect(request.apiKey == key)
            let response = request.errorResponse(.notLeaderOrFollower)
            #expect(response.apiKey == key)
        }
    }
}
