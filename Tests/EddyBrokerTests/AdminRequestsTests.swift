import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// The admin APIs through the transport: CreateTopics, DeleteTopics, DeleteRecords,
/// DescribeConfigs, IncrementalAlterConfigs, and ListOffsets' special timestamps.
@Suite struct AdminRequestsTests {
    func createTopics(_ s: ServedCluster, _ request: CreateTopicsRequest) throws -> CreateTopicsResponse {
        guard case let .createTopics(r) = try s.call(.createTopics(request), to: 1) else { throw TestFailure("not CreateTopics") }
        return r
    }

    @Test func createTopicsWithDefaultsManualAssignmentAndValidateOnly() throws {
        let s = try ServedCluster(); defer { s.close() }
        let r = try createTopics(s, CreateTopicsRequest(topics: [
            .init(name: "auto", numPartitions: 3, replicationFactor: 2, configs: [.init(name: "retention.ms", value: "1000")]),
            .init(name: "manual", assignments: [.init(partitionIndex: 0, brokerIds: [2, 0]), .init(partitionIndex: 1, brokerIds: [1, 2])]),
            .init(name: "dup"), .init(name: "dup"),
            .init(name: "bad name!"),
            .init(name: "uneven", assignments: [.init(partitionIndex: 0, brokerIds: [0]), .init(partitionIndex: 1, brokerIds: [1, 2])]),
            .init(name: "gap", assignments: [.init(partitionIndex: 1, brokerIds: [0])]),
            .init(name: "ghost", assignments: [.init(partitionIndex: 0, brokerIds: [9])]),
        ]))
        let auto = try #require(r.topic(named: "auto"))
        #expect(auto.errorCode == .none && auto.numPartitions == 3 && auto.replicationFactor == 2 && auto.topicId != .zero)
        #expect(auto.configs?.first { $0.name == "retention.ms" }?.value == "1000")
        #expect(auto.configs?.first { $0.name == "retention.ms" }?.configSource == 1)
        #expect(auto.configs?.first { $0.name == "segment.bytes" }?.configSource == 5)
        #expect(r.topic(named: "manual")?.errorCode == ErrorCode.none)
        let manual = try #require(s.cluster.metadataImage.topic(named: "manual"))
        #expect(manual.partitions[0]?.replicas == [2, 0] && manual.partitions[0]?.leader == 2)
        #expect(manual.partitions[1]?.replicas == [1, 2] && manual.partitions[1]?.leader == 1)
        #expect(r.topics.filter { $0.name == "dup" }.map(\.errorCode) == [.invalidRequest, .invalidRequest])
        #expect(r.topic(named: "bad name!")?.errorCode == .invalidTopicException)
        #expect(r.topic(named: "uneven")?.errorCode == .invalidReplicaAssignment)
        #expect(r.topic(named: "gap")?.errorCode == .invalidReplicaAssignment)
        #expect(r.topic(named: "ghost")?.errorCode == .invalidReplicaAssignment)
        #expect(s.cluster.listTopics() == ["auto", "manual"])

        let check = try createTopics(s, CreateTopicsRequest(topics: [.init(name: "later", numPartitions: 1, replicationFactor: 1)], validateOnly: true))
        #expect(check.topic(named: "later")?.errorCode == ErrorCode.none)
        #expect(try createTopics(s, CreateTopicsRequest(topics: [.init(name: "auto")])).topic(named: "auto")?.errorCode == .topicAlreadyExists)
        #expect(!s.cluster.listTopics().contains("later"))
    }

    @Test func deleteTopicsByNameAndIdDropsCommittedOffsets() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("a", partitions: 1, replicationFactor: 1)
        let b = try s.cluster.createTopic("b", partitions: 1, replicationFactor: 1)
        let c = try s.coordinator(of: "solo")
        #expect(try s.commit("solo", TopicPartition("a", 0), offset: 5, at: c) == .none)
        guard case let .deleteTopics(r) = try s.call(.deleteTopics(DeleteTopicsRequest(topics: [
            .init(name: "a"), .init(topicId: b.topicId), .init(name: "nope"), .init(topicId: Uuid(mostSignificantBits: 1, leastSignificantBits: 2)),
            .init(), .init(name: "x", topicId: b.topicId),
        ])), to: 0) else { throw TestFailure("not DeleteTopics") }
        #expect(r.responses.map(\.errorCode) == [.none, .none, .unknownTopicOrPartition, .unknownTopicId, .invalidRequest, .invalidRequest])
        #expect(r.responses[1].name == "b")
        #expect(s.cluster.listTopics() == [OffsetsTopic.name])
        // The group had nothing but offsets of the deleted topic: it is gone too.
        #expect(try s.describe("solo", at: c).errorCode == .groupIdNotFound)
        try s.cluster.createTopic("a", partitions: 1, replicationFactor: 1)
        #expect(try s.committed("solo", TopicPartition("a", 0), at: c)?.committedOffset == -1)
    }

    @Test func deleteRecordsThroughTheLeader() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 2)
        let tp = TopicPartition("t", 0)
        for i in 0 ..< 5 { try s.cluster.produce(tp, records: servedBatch(["v\(i)"]), acks: -1) }
        let leader = try s.cluster.leader(of: tp)
        func delete(_ offset: Int64, at node: Int32) throws -> DeleteRecordsResponse.DeleteRecordsPartitionResult {
            guard case let .deleteRecords(r) = try s.call(.deleteRecords(DeleteRecordsRequest(topic: "t", partition: 0, offset: offset)), to: node),
                  let p = r.partition(topic: "t", partition: 0) else { throw TestFailure("not DeleteRecords") }
            return p
        }
        #expect(try delete(2, at: leader) == .init(partitionIndex: 0, lowWatermark: 2))
        #expect(try delete(1, at: leader).lowWatermark == 2) // below the log start: nothing changes
        #expect(try delete(9, at: leader).errorCode == .offsetOutOfRange)
        #expect(try delete(3, at: (leader + 1) % 3).errorCode == .notLeaderOrFollower)
        #expect(try delete(DeleteRecordsRequest.highWatermark, at: leader).lowWatermark == 5)
        s.pump()
        #expect(try s.cluster.describeTopics(["t"]).first?.partitions.first?.logStartOffset == 5)
    }

    @Test func describeAndIncrementallyAlterTopicConfigs() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1, configs: ["retention.ms": "5000"])
        func describe(_ keys: [String]? = nil, synonyms: Bool = false) throws -> DescribeConfigsResponse.DescribeConfigsResult {
            guard case let .describeConfigs(r) = try s.call(.describeConfigs(DescribeConfigsRequest(
                resources: [.init(resourceType: .topic, resourceName: "t", configurationKeys: keys)], includeSynonyms: synonyms)), to: 0),
                let result = r.result(.topic, "t") else { throw TestFailure("not DescribeConfigs") }
            return result
        }
        let all = try describe()
        #expect(all.errorCode == .none && all.configs.count == LogConfig.knownKeys.count)
        let retention = try #require(all.configs.first { $0.name == "retention.ms" })
        #expect(retention.value == "5000" && retention.configSource == .topicConfig && retention.configType == .long)
        #expect(all.configs.first { $0.name == "cleanup.policy" }?.configSource == .defaultConfig)
        let some = try describe(["retention.ms", "nonsense"], synonyms: true)
        #expect(some.configs.map(\.name) == ["retention.ms"])
        #expect(some.configs.first?.synonyms.map(\.source) == [.topicConfig, .defaultConfig])

        func alter(_ configs: [IncrementalAlterConfigsRequest.AlterableConfig], validateOnly: Bool = false) throws -> IncrementalAlterConfigsResponse.AlterConfigsResourceResponse {
            guard case let .incrementalAlterConfigs(r) = try s.call(.incrementalAlterConfigs(IncrementalAlterConfigsRequest(
                resources: [.init(resourceType: .topic, resourceName: "t", configs: configs)], validateOnly: validateOnly)), to: 0),
                let result = r.response(.topic, "t") else { throw TestFailure("not IncrementalAlterConfigs") }
            return result
        }
        #expect(try alter([.init(name: "retention.ms", configOperation: .delete, value: nil),
                           .init(name: "cleanup.policy", configOperation: .append, value: "compact")]).errorCode == .none)
        #expect(s.cluster.metadataImage.topicConfigs("t") == ["cleanup.policy": "delete,compact"])
        #expect(try alter([.init(name: "cleanup.policy", configOperation: .subtract, value: "delete")]).errorCode == .none)
        #expect(s.cluster.metadataImage.topicConfigs("t")["cleanup.policy"] == "compact")
        #expect(try alter([.init(name: "retention.ms", configOperation: .set, value: "7")], validateOnly: true).errorCode == .none)
        #expect(s.cluster.metadataImage.topicConfigs("t")["retention.ms"] == nil)
        #expect(try alter([.init(name: "retention.ms", configOperation: .append, value: "7")]).errorCode == .invalidRequest)
        #expect(try alter([.init(name: "retention.ms", configOperation: .set, value: "x")]).errorCode == .invalidConfig)
        #expect(try alter([.init(name: "bogus", configOperation: .set, value: "1")]).errorCode == .invalidConfig)
        #expect(try alter([.init(name: "retention.ms", configOperation: .set, value: "1"),
                           .init(name: "retention.ms", configOperation: .delete, value: nil)]).errorCode == .invalidRequest)
        guard case let .describeConfigs(missing) = try s.call(.describeConfigs(DescribeConfigsRequest(topic: "nope")), to: 0) else {
            throw TestFailure("not DescribeConfigs")
        }
        #expect(missing.result(.topic, "nope")?.errorCode == .unknownTopicOrPartition)
    }

    @Test func listOffsetsSpecialTimestampsAndBounds() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let leader = try s.cluster.leader(of: tp)
        let now = s.clock.nowMs()
        try s.cluster.produce(tp, records: servedBatch(["a", "b"], ts: now), acks: -1)              // offsets 0-1, ts now, now+1
        try s.cluster.produce(tp, records: servedBatch(["c", "d"], ts: now + 100), acks: -1)        // 2-3
        try s.cluster.produce(tp, records: servedBatch(["e"], ts: now + 50), acks: -1)              // 4
        // One more on the leader only: above the high watermark.
        guard case .produce = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["f"], ts: now + 500), acks: 1)), to: leader) else {
            throw TestFailure("not Produce")
        }
        func list(_ ts: Int64, replicaId: Int32 = -1) throws -> ListOffsetsResponse.ListOffsetsPartitionResponse {
            var request = ListOffsetsRequest(topic: "t", partition: 0, timestamp: ts)
            request.replicaId = replicaId
            guard case let .listOffsets(r) = try s.cluster.call(.listOffsets(request), to: leader),
                  let p = r.partition(topic: "t", partition: 0) else { throw TestFailure("not ListOffsets") }
            return p
        }
        #expect(try list(ListOffsetsRequest.earliestTimestamp).offset == 0)
        #expect(try list(ListOffsetsRequest.latestTimestamp).offset == 5)
        #expect(try list(ListOffsetsRequest.latestTimestamp, replicaId: -2).offset == 6)
        // The largest timestamp is f's, not committed yet: like Kafka, a consumer gets no offset
        // until it is; a debugging client (replica id -2) reads up to the log end.
        #expect(try list(ListOffsetsRequest.maxTimestamp).offset == -1)
        let debug = try list(ListOffsetsRequest.maxTimestamp, replicaId: -2)
        #expect(debug.offset == 5 && debug.timestamp == now + 500)
        s.pump()
        #expect(try list(ListOffsetsRequest.maxTimestamp).offset == 5)
        let byTime = try list(now + 60)
        #expect(byTime.offset == 2 && byTime.timestamp == now + 100 && byTime.leaderEpoch >= 0)
        #expect(try list(now + 1_000).offset == -1)
        #expect(try list(ListOffsetsRequest.latestTieredTimestamp).offset == -1)
        #expect(try list(-7).errorCode == .invalidRequest)
    }
}

/// ListOffsets v9 (KIP-1005, the newest in Kafka 3.9) over the wire codec: the latest-tiered
/// special (-5) is answered as Kafka answers it without tiered storage, offset -1.
@Suite struct ListOffsetsV9Tests {
    @Test func latestTieredOverTheWireInVersion9() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a", "b"]), acks: 1)), to: 0)
        #expect(SupportedApis.supports(ApiKey.listOffsets.rawValue, 9))
        for (timestamp, expected) in [(ListOffsetsRequest.latestTieredTimestamp, Int64(-1)), (ListOffsetsRequest.latestTimestamp, 2)] {
            // A client's v9 frame, decoded and bridged as the server does, then answered in v9.
            let frame = try Wire.encodeRequest(ListOffsetsRequest(topic: "t", partition: 0, timestamp: timestamp).wire(version: 9),
                                               version: 9, correlationId: 5, clientId: "c")
            let decoded = try Wire.decodeRequest(Array(frame.dropFirst(4)))
            let body = try #require(decoded.body)
            let request = try #require(KafkaRequest(wire: body, version: 9))
            let response = try s.call(request, to: 0)
            let bytes = try Wire.encodeResponse(response.wireMessage(version: 9), version: 9, correlationId: 5)
            let answer = ListOffsetsResponse(wire: try Wire.decodeResponse(Wire.ListOffsetsResponse.self, Array(bytes.dropFirst(4)), version: 9).message,
                                             version: 9)
            let p = try #require(answer.partition(topic: "t", partition: 0))
            #expect(p.errorCode == ErrorCode.none)
            #expect(p.offset == expected, "timestamp \(timestamp)")
        }
    }
}
