import EddyProtocol
import Testing

/// Every error-response builder puts the error on every partition (or topic) the request
/// names, in request order, with Kafka's "unknown" values (-1) everywhere else. Exhaustive over
/// small request shapes: 0-3 topics, each with 0-3 partitions at scattered indices.
@Suite struct MessagesErrorResponseTests {
    typealias Shape = [(topic: String, partitions: [Int32])]

    static let shapes: [Shape] = (0 ... 3).flatMap { topicCount in
        (0 ... 3).map { partitionCount in
            (0 ..< topicCount).map { t in
                // Vary the partition count per topic, and keep indices non-contiguous.
                (topic: "topic-\(t)", partitions: (0 ..< (partitionCount + t) % 4).map { Int32($0 * 3 + t) })
            }
        }
    }

    static let errors: [ErrorCode] = [.notLeaderOrFollower, .fencedLeaderEpoch, .requestTimedOut, .unknownServerError]

    static func flatten(_ shape: Shape) -> [TopicPartition] {
        shape.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } }
    }

    @Test(arguments: errors) func produce(error: ErrorCode) {
        for shape in Self.shapes {
            let request = ProduceRequest(acks: 1, timeoutMs: 100, topicData: shape.map { t in
                .init(name: t.topic, partitionData: t.partitions.map { .init(index: $0, records: [1, 2, 3]) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let response = request.errorResponse(error, message: "why")
            let results = response.responses.flatMap { t in t.partitionResponses.map { (TopicPartition(t.name, $0.index), $0) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            for (_, p) in results {
                #expect(p == .init(index: p.index, errorCode: error, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1,
                                   errorMessage: "why"))
            }
            #expect(request.errorResponse(error).responses.allSatisfy { $0.partitionResponses.allSatisfy { $0.errorMessage == nil } })
        }
    }

    @Test(arguments: errors) func fetch(error: ErrorCode) {
        for shape in Self.shapes {
            let request = FetchRequest(replicaId: 2, sessionId: 77, topics: shape.map { t in
                .init(topic: t.topic, partitions: t.partitions.map { .init(partition: $0, currentLeaderEpoch: 4, fetchOffset: 10) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let response = request.errorResponse(error)
            #expect(response.errorCode == error)
            #expect(response.sessionId == 77)
            let results = response.responses.flatMap { t in t.partitions.map { (TopicPartition(t.topic, $0.partitionIndex), $0) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            for (_, p) in results {
                #expect(p == .init(partitionIndex: p.partitionIndex, errorCode: error, highWatermark: -1, lastStableOffset: -1,
                                   logStartOffset: -1, records: []))
                #expect(p.divergingEpoch == nil && p.preferredReadReplica == -1)
            }
        }
    }

    @Test(arguments: errors) func listOffsets(error: ErrorCode) {
        for shape in Self.shapes {
            let request = ListOffsetsRequest(topics: shape.map { t in
                .init(name: t.topic, partitions: t.partitions.map { .init(partitionIndex: $0, timestamp: ListOffsetsRequest.earliestTimestamp) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let results = request.errorResponse(error).topics.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partitionIndex), $0) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            for (_, p) in results {
                #expect(p.errorCode == error && p.offset == -1 && p.timestamp == -1 && p.leaderEpoch == -1)
            }
        }
    }

    @Test(arguments: errors) func offsetForLeaderEpoch(error: ErrorCode) {
        for shape in Self.shapes {
            let request = OffsetForLeaderEpochRequest(replicaId: 1, topics: shape.map { t in
                .init(topic: t.topic, partitions: t.partitions.map { .init(partition: $0, leaderEpoch: 3) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let results = request.errorResponse(error).topics.flatMap { t in t.partitions.map { (TopicPartition(t.topic, $0.partition), $0) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            for (_, p) in results {
                #expect(p.errorCode == error && p.leaderEpoch == -1 && p.endOffset == -1)
            }
        }
    }

    @Test(arguments: errors) func deleteRecords(error: ErrorCode) {
        for shape in Self.shapes {
            let request = DeleteRecordsRequest(topics: shape.map { t in
                .init(name: t.topic, partitions: t.partitions.map { .init(partitionIndex: $0, offset: 5) })
            })
            #expect(request.topicPartitions == Self.flatten(shape))
            let results = request.errorResponse(error).topics.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partitionIndex), $0) } }
            #expect(results.map(\.0) == Self.flatten(shape))
            for (_, p) in results {
                #expect(p.errorCode == error && p.lowWatermark == -1)
            }
        }
    }

    @Test(arguments: errors) func topicLevelRequests(error: ErrorCode) {
        for count in 0 ... 4 {
            let names = (0 ..< count).map { "topic-\($0)" }

            let metadata = MetadataRequest(topics: names).errorResponse(error)
            #expect(metadata.topics.map(\.name) == names)
            #expect(metadata.topics.allSatisfy { $0.errorCode == error && $0.partitions.isEmpty && $0.topicId == .zero })
            #expect(metadata.brokers.isEmpty)

            let create = CreateTopicsRequest(topics: names.map { .init(name: $0, numPartitions: 3, replicationFactor: 3) })
                .errorResponse(error, message: "no")
            #expect(create.topics.map(\.name) == names)
            #expect(create.topics.allSatisfy {
                $0.errorCode == error && $0.errorMessage == "no" && $0.numPartitions == -1 && $0.replicationFactor == -1
            })

            let id = KafkaUuid(mostSignificantBits: 1, leastSignificantBits: UInt64(count))
            let delete = DeleteTopicsRequest(topics: names.map { .init(name: $0) } + [.init(topicId: id)]).errorResponse(error)
            #expect(delete.responses.map(\.name) == names + [nil])
            #expect(delete.responses.last?.topicId == id)
            #expect(delete.responses.allSatisfy { $0.errorCode == error && $0.errorMessage == nil })
        }
        // All topics requested: nothing to attach the error to (as in Kafka).
        #expect(MetadataRequest(topics: nil).errorResponse(error).topics.isEmpty)
    }

    @Test(arguments: errors) func singleValueResponses(error: ErrorCode) {
        #expect(InitProducerIdRequest(transactionalId: "tx", producerId: 9, producerEpoch: 2).errorResponse(error)
            == InitProducerIdResponse(errorCode: error, producerId: -1, producerEpoch: -1))
        let versions = ApiVersionsRequest(clientSoftwareName: "eddy").errorResponse(error)
        #expect(versions.errorCode == error && versions.apiKeys.isEmpty)
    }

    /// `KafkaRequest.errorResponse` is each request's builder, message included where the
    /// response has a field for it.
    @Test func enumDelegatesToEachBuilder() {
        let produce = ProduceRequest(topic: "t", partition: 1, records: [0])
        #expect(KafkaRequest.produce(produce).errorResponse(.notEnoughReplicas, message: "m")
            == .produce(produce.errorResponse(.notEnoughReplicas, message: "m")))
        let fetch = FetchRequest(topic: "t", partition: 1, fetchOffset: 3)
        #expect(KafkaRequest.fetch(fetch).errorResponse(.fencedLeaderEpoch, message: "dropped") == .fetch(fetch.errorResponse(.fencedLeaderEpoch)))
        let create = CreateTopicsRequest(topics: [.init(name: "t")])
        #expect(KafkaRequest.createTopics(create).errorResponse(.notController, message: "m")
            == .createTopics(create.errorResponse(.notController, message: "m")))
        let delete = DeleteTopicsRequest(topicNames: ["t"])
        #expect(KafkaRequest.deleteTopics(delete).errorResponse(.notController, message: "m")
            == .deleteTopics(delete.errorResponse(.notController, message: "m")))
        for (request, _) in MessagesApiKeyTests.requests {
            let response = request.errorResponse(.kafkaStorageError)
            #expect(response != request.errorResponse(.none), "\(request.apiKey)")
        }
    }
}
