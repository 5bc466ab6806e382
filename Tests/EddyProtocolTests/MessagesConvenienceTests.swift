import EddyProtocol
import Testing

@Suite struct MessagesConvenienceTests {
    @Test func singlePartitionInitsEqualTheFullForm() {
        #expect(ProduceRequest(topic: "t", partition: 2, records: [9], acks: 1, timeoutMs: 50, transactionalId: "x")
            == ProduceRequest(transactionalId: "x", acks: 1, timeoutMs: 50, topicData: [.init(name: "t", partitionData: [.init(index: 2, records: [9])])]))
        #expect(ProduceRequest(topic: "t", partition: 0, records: []).acks == -1)

        let fetch = FetchRequest(topic: "t", partition: 3, fetchOffset: 42, partitionMaxBytes: 100, currentLeaderEpoch: 5,
                                 lastFetchedEpoch: 4, logStartOffset: 7, replicaId: 1, maxWaitMs: 10, minBytes: 2, maxBytes: 300,
                                 isolationLevel: .readCommitted)
        #expect(fetch == FetchRequest(replicaId: 1, maxWaitMs: 10, minBytes: 2, maxBytes: 300, isolationLevel: .readCommitted, topics: [
            .init(topic: "t", partitions: [.init(partition: 3, currentLeaderEpoch: 5, fetchOffset: 42, lastFetchedEpoch: 4,
                                                 logStartOffset: 7, partitionMaxBytes: 100)]),
        ]))
        #expect(fetch.isFromFollower)
        #expect(!FetchRequest(topic: "t", partition: 0, fetchOffset: 0).isFromFollower)
        #expect(FetchRequest(topic: "t", partition: 0, fetchOffset: 0).replicaId == FetchRequest.consumerReplicaId)

        #expect(ListOffsetsRequest(topic: "t", partition: 1, timestamp: -2, currentLeaderEpoch: 3)
            == ListOffsetsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, currentLeaderEpoch: 3, timestamp: -2)])]))
        #expect(OffsetForLeaderEpochRequest(topic: "t", partition: 1, leaderEpoch: 6, currentLeaderEpoch: 7, replicaId: 2)
            == OffsetForLeaderEpochRequest(replicaId: 2, topics: [.init(topic: "t", partitions: [.init(partition: 1, currentLeaderEpoch: 7, leaderEpoch: 6)])]))
        #expect(DeleteRecordsRequest(topic: "t", partition: 1, offset: DeleteRecordsRequest.highWatermark)
            == DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, offset: -1)])]))
        #expect(DeleteTopicsRequest(topicNames: ["a", "b"]).topics == [.init(name: "a"), .init(name: "b")])
    }

    @Test func specialValuesAreKafkas() {
        #expect(ListOffsetsRequest.latestTimestamp == -1)
        #expect(ListOffsetsRequest.earliestTimestamp == -2)
        #expect(ListOffsetsRequest.maxTimestamp == -3)
        #expect(ListOffsetsRequest.earliestLocalTimestamp == -4)
        #expect(ListOffsetsRequest.latestTieredTimestamp == -5)
        #expect(OffsetForLeaderEpochRequest.debuggingReplicaId == -2)
        #expect(IsolationLevel.readCommitted.rawValue == 1 && IsolationLevel.readUncommitted.rawValue == 0)
    }

    /// The accessors find the partition's entry among several topics and partitions, and
    /// answer nil for a topic or partition the response does not contain.
    @Test func partitionAccessors() {
        let produce = ProduceResponse(responses: [
            .init(name: "a", partitionResponses: [.init(index: 0, baseOffset: 10), .init(index: 1, baseOffset: 11)]),
            .init(name: "b", partitionResponses: [.init(index: 1, errorCode: .notLeaderOrFollower,
                                                        currentLeader: .init(leaderId: 2, leaderEpoch: 5))]),
        ])
        #expect(produce.partition(topic: "a", partition: 1)?.baseOffset == 11)
        #expect(produce.partition(topic: "b", partition: 1)?.currentLeader == LeaderIdAndEpoch(leaderId: 2, leaderEpoch: 5))
        #expect(produce.partition(topic: "b", partition: 0) == nil)
        #expect(produce.partition(topic: "c", partition: 0) == nil)

        // A topic listed twice (legal on the wire): later entries are searched too.
        let fetch = FetchResponse(responses: [
            .init(topic: "a", partitions: [.init(partitionIndex: 0, highWatermark: 5)]),
            .init(topic: "a", partitions: [.init(partitionIndex: 2, highWatermark: 7,
                                                 divergingEpoch: .init(epoch: 3, endOffset: 6), records: [1])]),
        ])
        #expect(fetch.partition(topic: "a", partition: 0)?.highWatermark == 5)
        #expect(fetch.partition(topic: "a", partition: 2)?.divergingEpoch == FetchResponse.EpochEndOffset(epoch: 3, endOffset: 6))
        #expect(fetch.partition(topic: "a", partition: 1) == nil)
        #expect(fetch.partition(topic: "b", partition: 0) == nil)

        let offsets = ListOffsetsResponse(topics: [.init(name: "a", partitions: [.init(partitionIndex: 4, timestamp: 99, offset: 8)])])
        #expect(offsets.partition(topic: "a", partition: 4)?.offset == 8)
        #expect(offsets.partition(topic: "a", partition: 0) == nil)

        let epochs = OffsetForLeaderEpochResponse(topics: [.init(topic: "a", partitions: [.init(partition: 1, leaderEpoch: 2, endOffset: 30)])])
        #expect(epochs.partition(topic: "a", partition: 1)?.endOffset == 30)
        #expect(epochs.partition(topic: "x", partition: 1) == nil)

        let deleted = DeleteRecordsResponse(topics: [.init(name: "a", partitions: [.init(partitionIndex: 0, lowWatermark: 12)])])
        #expect(deleted.partition(topic: "a", partition: 0)?.lowWatermark == 12)
        #expect(deleted.partition(topic: "a", partition: 1) == nil)

        let id = KafkaUuid(mostSignificantBits: 1, leastSignificantBits: 2)
        let metadata = MetadataResponse(brokers: [.init(nodeId: 0, host: "h", port: 9092), .init(nodeId: 2, host: "h", port: 9094, rack: "r")],
                                        clusterId: "c", controllerId: 0, topics: [
            .init(name: "a", topicId: id, partitions: [
                .init(partitionIndex: 0, leaderId: 2, leaderEpoch: 1, replicaNodes: [2, 0, 1], isrNodes: [2, 0], offlineReplicas: [1]),
                .init(errorCode: .leaderNotAvailable, partitionIndex: 1, leaderId: -1, replicaNodes: [0, 1, 2], isrNodes: [1]),
            ]),
        ])
        #expect(metadata.topic(named: "a")?.topicId == id)
        #expect(metadata.topic(named: "b") == nil)
        #expect(metadata.partition(topic: "a", partition: 0)?.isrNodes == [2, 0])
        #expect(metadata.partition(topic: "a", partition: 1)?.leaderId == -1)
        #expect(metadata.partition(topic: "a", partition: 2) == nil)
        #expect(metadata.broker(id: 2)?.rack == "r")
        #expect(metadata.broker(id: 1) == nil)

        let created = CreateTopicsResponse(topics: [.init(name: "a", topicId: id, numPartitions: 3, replicationFactor: 3)])
        #expect(created.topic(named: "a")?.topicId == id)
        #expect(created.topic(named: "b") == nil)
        let dropped = DeleteTopicsResponse(responses: [.init(name: "a"), .init(name: nil, topicId: id, errorCode: .unknownTopicId)])
        #expect(dropped.topic(named: "a")?.errorCode == ErrorCode.none)
        #expect(dropped.topic(named: "b") == nil)

        let versions = ApiVersionsResponse(apiKeys: [.init(.produce, minVersion: 3, maxVersion: 11), .init(apiKey: 999, minVersion: 0, maxVersion: 0)])
        #expect(versions.version(for: .produce)?.maxVersion == 11)
        #expect(versions.version(for: .fetch) == nil)
    }

    @Test func transportErrors() {
        let all: [TransportError] = [.brokerUnavailable(3), .timedOut(4), .disconnected(5)]
        #expect(all.map(\.node) == [3, 4, 5])
        #expect(all.map(\.errorCode) == [.networkException, .requestTimedOut, .networkException])
        #expect(all.allSatisfy { $0.errorCode.isRetriable })
        #expect(all.map(\.description) == ["broker 3 is unavailable", "request to broker 4 timed out", "disconnected from broker 5"])
    }
}
