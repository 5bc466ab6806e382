@testable import EddyProtocol
import Testing

extension ProduceRequest: WireBridged {}
extension ProduceResponse: WireBridged {}
extension FetchRequest: WireBridged {}
extension FetchResponse: WireBridged {}
extension ListOffsetsRequest: WireBridged {}
extension ListOffsetsResponse: WireBridged {}
extension MetadataRequest: WireBridged {}
extension MetadataResponse: WireBridged {}
extension OffsetForLeaderEpochRequest: WireBridged {}
extension OffsetForLeaderEpochResponse: WireBridged {}
extension CreateTopicsRequest: WireBridged {}
extension CreateTopicsResponse: WireBridged {}
extension DeleteTopicsRequest: WireBridged {}
extension DeleteTopicsResponse: WireBridged {}
extension DeleteRecordsRequest: WireBridged {}
extension DeleteRecordsResponse: WireBridged {}
extension InitProducerIdRequest: WireBridged {}
extension InitProducerIdResponse: WireBridged {}
extension ApiVersionsRequest: WireBridged {}
extension ApiVersionsResponse: WireBridged {}
extension DescribeConfigsRequest: WireBridged {}
extension DescribeConfigsResponse: WireBridged {}
extension IncrementalAlterConfigsRequest: WireBridged {}
extension IncrementalAlterConfigsResponse: WireBridged {}
extension DescribeLogDirsRequest: WireBridged {}
extension DescribeLogDirsResponse: WireBridged {}

/// `value` → wire form for `version` → bytes → wire form → domain value. Also checks that the
/// wire form is canonical: decoding its bytes gives it back, so every field the version lacks
/// was left at its default.
private func bridged<T: WireBridged>(_ value: T, _ version: Int16) throws -> T {
    let wire = value.wire(version: version)
    let decoded = try T.WireForm(decoding: wire.encoded(version: version), version: version)
    #expect(decoded == wire, "\(T.self) v\(version): the wire form sets a field the version lacks")
    return T(wire: decoded, version: version)
}

/// Round-trips `value` in every version of its schema: the result is `kept(version)`, what that
/// version carries; unless `latestLosesFields`, that is `value` itself in the latest version.
private func checkEveryVersion<T: WireBridged>(_ value: T, latestLosesFields: Bool = false, kept: (Int16) -> T) throws {
    for version in T.WireForm.validVersions {
        #expect(try bridged(value, version) == kept(version), "\(T.self) v\(version)")
    }
    if !latestLosesFields { #expect(kept(T.WireForm.validVersions.upperBound) == value, "\(T.self) latest") }
}

/// Applies `change` to every element.
private func each<T>(_ items: inout [T], _ change: (inout T) -> Void) {
    for i in items.indices { change(&items[i]) }
}

private let id1 = KafkaUuid(mostSignificantBits: 0x1234_5678_9ABC_DEF0, leastSignificantBits: 0x0FED_CBA9_8765_4321)
private let id2 = KafkaUuid(mostSignificantBits: 7, leastSignificantBits: 9)

@Suite struct WireBridgeDataTests {
    // MARK: Produce

    static let produce = ProduceRequest(transactionalId: "tx-1", acks: 1, timeoutMs: 1234, topicData: [
        .init(name: "t", partitionData: [.init(index: 0, records: [1, 2, 3]), .init(index: 1, records: [])]),
        .init(name: "u", partitionData: [.init(index: 5, records: [9])]),
    ])

    @Test func produceRequestEveryVersion() throws {
        try checkEveryVersion(Self.produce) { v in
            var e = Self.produce
            if v < 3 { e.transactionalId = nil }
            return e
        }
    }

    /// Records are always sent non-null (empty stays empty); null records read as empty.
    @Test func produceRecordsNullness() {
        #expect(Self.produce.wire(version: 11).topicData[0].partitionData[1].records == [])
        let nullRecords = Wire.ProduceRequest(acks: -1, timeoutMs: 1, topicData: [.init(name: "t", partitionData: [.init(index: 0, records: nil)])])
        #expect(ProduceRequest(wire: nullRecords, version: 11).topicData[0].partitionData[0].records == [])
    }

    static let produced = ProduceResponse(responses: [
        .init(name: "t", partitionResponses: [
            .init(index: 0, errorCode: .none, baseOffset: 42, logAppendTimeMs: 1_700_000_000_000, logStartOffset: 7),
            .init(index: 1, errorCode: .notLeaderOrFollower, recordErrors: [.init(batchIndex: 1, batchIndexErrorMessage: "bad"), .init(batchIndex: 2)],
                  errorMessage: "some records are invalid", currentLeader: .init(leaderId: 3, leaderEpoch: 9)),
        ]),
    ], throttleTimeMs: 5, nodeEndpoints: [.init(nodeId: 3, host: "b3", port: 9092, rack: "r1"), .init(nodeId: 4, host: "b4", port: 9093)])

    @Test func produceResponseEveryVersion() throws {
        try checkEveryVersion(Self.produced) { v in
            var e = Self.produced
            if v < 1 { e.throttleTimeMs = 0 }
            each(&e.responses[0].partitionResponses) { p in
                if v < 2 { p.logAppendTimeMs = -1 }
                if v < 5 { p.logStartOffset = -1 }
                if v < 8 { p.recordErrors = []; p.errorMessage = nil }
                if v < 10 { p.currentLeader = nil }
            }
            if v < 10 { e.nodeEndpoints = [] }
            return e
        }
    }

    // MARK: Fetch

    static let fetch = FetchRequest(
        replicaId: 2, replicaEpoch: 11, maxWaitMs: 250, minBytes: 10, maxBytes: 5_000_000, isolationLevel: .readCommitted,
        sessionId: 77, sessionEpoch: 3,
        topics: [
            .init(topic: "t", topicId: id1, partitions: [
                .init(partition: 0, currentLeaderEpoch: 4, fetchOffset: 100, lastFetchedEpoch: 3, logStartOffset: 5, partitionMaxBytes: 65536),
                .init(partition: 1, fetchOffset: 0),
            ]),
        ],
        forgottenTopicsData: [.init(topic: "old", topicId: id2, partitions: [3, 4])], rackId: "rack-a")

    /// The latest version names topics by id only: the names are lost from v13.
    @Test func fetchRequestEveryVersion() throws {
        try checkEveryVersion(Self.fetch, latestLosesFields: true) { v in
            var e = Self.fetch
            if v < 3 { e.maxBytes = Int32.max }
            if v < 4 { e.isolationLevel = .readUncommitted }
            if v < 7 { e.sessionId = 0; e.sessionEpoch = -1; e.forgottenTopicsData = [] }
            if v < 11 { e.rackId = "" }
            if v < 15 { e.replicaEpoch = -1 }
            each(&e.topics[0].partitions) { p in
                if v < 5 { p.logStartOffset = -1 }
                if v < 9 { p.currentLeaderEpoch = -1 }
                if v < 12 { p.lastFetchedEpoch = -1 }
            }
            if v < 13 {
                e.topics[0].topicId = .zero
                each(&e.forgottenTopicsData) { $0.topicId = .zero }
            } else {
                e.topics[0].topic = ""
                each(&e.forgottenTopicsData) { $0.topic = "" }
            }
            return e
        }
    }

    /// Topics by name up to v12, by id from v13; the replica id moves into ReplicaState in v15.
    @Test func fetchRequestTopicIdsAndReplicaState() {
        let v12 = Self.fetch.wire(version: 12), v13 = Self.fetch.wire(version: 13)
        #expect(v12.topics[0].topic == "t" && v12.topics[0].topicId == .zero)
        #expect(v13.topics[0].topic == "" && v13.topics[0].topicId == id1)
        #expect(v13.forgottenTopicsData[0].topicId == id2)
        let v14 = Self.fetch.wire(version: 14), v15 = Self.fetch.wire(version: 15)
        #expect(v14.replicaId == 2 && v14.replicaState == .init())
        #expect(v15.replicaId == -1 && v15.replicaState == .init(replicaId: 2, replicaEpoch: 11))
        // A consumer sends no ReplicaState in v15+ and reads back as one.
        #expect(FetchRequest(wire: FetchRequest(topics: []).wire(version: 17), version: 17).replicaId == FetchRequest.consumerReplicaId)
    }

    static let fetched = FetchResponse(throttleTimeMs: 9, errorCode: .invalidRequest, sessionId: 55, responses: [
        .init(topic: "t", topicId: id1, partitions: [
            .init(partitionIndex: 0, highWatermark: 100, lastStableOffset: 90, logStartOffset: 5,
                  divergingEpoch: .init(epoch: 2, endOffset: 80), currentLeader: .init(leaderId: 1, leaderEpoch: 6),
                  snapshotId: .init(endOffset: 70, epoch: 2), abortedTransactions: [.init(producerId: 1000, firstOffset: 91)],
                  preferredReadReplica: 2, records: [1, 2, 3]),
            .init(partitionIndex: 1, errorCode: .notLeaderOrFollower),
            .init(partitionIndex: 2, highWatermark: 4, abortedTransactions: [], records: [9]),
        ]),
    ], nodeEndpoints: [.init(nodeId: 1, host: "b1", port: 9092, rack: "r1")])

    /// The latest version names topics by id only: the names are lost from v13.
    @Test func fetchResponseEveryVersion() throws {
        try checkEveryVersion(Self.fetched, latestLosesFields: true) { v in
            var e = Self.fetched
            if v < 1 { e.throttleTimeMs = 0 }
            if v < 7 { e.errorCode = .none; e.sessionId = 0 }
            if v < 16 { e.nodeEndpoints = [] }
            if v < 13 { e.responses[0].topicId = .zero } else { e.responses[0].topic = "" }
            each(&e.responses[0].partitions) { p in
                if v < 4 { p.lastStableOffset = -1; p.abortedTransactions = nil }
                if v < 5 { p.logStartOffset = -1 }
                if v < 11 { p.preferredReadReplica = -1 }
                if v < 12 { p.divergingEpoch = nil; p.currentLeader = nil; p.snapshotId = nil }
            }
            return e
        }
    }

    /// A partition without records sends an empty, non-null records field; null reads as empty.
    /// Null aborted transactions stay null, empty stay empty.
    @Test func fetchResponseRecordsAndAbortedNullness() {
        for v in Wire.FetchResponse.validVersions {
            #expect(Self.fetched.wire(version: v).responses[0].partitions[1].records == [], "v\(v)")
        }
        let wire = Self.fetched.wire(version: 12)
        #expect(wire.responses[0].partitions[1].abortedTransactions == nil)
        #expect(wire.responses[0].partitions[2].abortedTransactions == [])
        var nullRecords = wire
        nullRecords.responses[0].partitions[0].records = nil
        #expect(FetchResponse(wire: nullRecords, version: 12).responses[0].partitions[0].records == [])
    }

    // MARK: ListOffsets

    static let listOffsets = ListOffsetsRequest(replicaId: 2, isolationLevel: .readCommitted, topics: [
        .init(name: "t", partitions: [
            .init(partitionIndex: 0, currentLeaderEpoch: 5, timestamp: ListOffsetsRequest.earliestTimestamp),
            .init(partitionIndex: 1, timestamp: 1_700_000_000_000),
        ]),
    ])

    /// `timeoutMs` is not in Kafka 3.9's schemas (v10 adds it): it keeps its default in every version.
    @Test func listOffsetsRequestEveryVersion() throws {
        try checkEveryVersion(Self.listOffsets) { v in
            var e = Self.listOffsets
            if v < 2 { e.isolationLevel = .readUncommitted }
            if v < 4 { each(&e.topics[0].partitions) { $0.currentLeaderEpoch = -1 } }
            return e
        }
        var timed = Self.listOffsets
        timed.timeoutMs = 1000
        #expect(try bridged(timed, 9).timeoutMs == 30000)
        #expect(Self.listOffsets.wire(version: 0).topics[0].partitions[0].maxNumOffsets == 1)
    }

    static let listedOffsets = ListOffsetsResponse(throttleTimeMs: 4, topics: [
        .init(name: "t", partitions: [
            .init(partitionIndex: 0, timestamp: 1_700_000_000_000, offset: 42, leaderEpoch: 3),
            .init(partitionIndex: 1, errorCode: .unknownTopicOrPartition),
        ]),
    ])

    @Test func listOffsetsResponseEveryVersion() throws {
        try checkEveryVersion(Self.listedOffsets) { v in
            var e = Self.listedOffsets
            if v < 2 { e.throttleTimeMs = 0 }
            each(&e.topics[0].partitions) { p in
                if v < 1 { p.timestamp = -1 }
                if v < 4 { p.leaderEpoch = -1 }
            }
            return e
        }
    }

    /// v0 answers with old-style offsets: one entry for an offset, none for -1; the first entry
    /// is the offset when reading.
    @Test func listOffsetsV0OldStyleOffsets() {
        let v0 = Self.listedOffsets.wire(version: 0).topics[0].partitions
        #expect(v0[0].oldStyleOffsets == [42] && v0[0].offset == -1 && v0[0].timestamp == -1)
        #expect(v0[1].oldStyleOffsets == [])
        #expect(Self.listedOffsets.wire(version: 1).topics[0].partitions[0].oldStyleOffsets == [])
        let several = Wire.ListOffsetsResponse(topics: [.init(name: "t", partitions: [.init(oldStyleOffsets: [7, 3])])])
        #expect(ListOffsetsResponse(wire: several, version: 0).topics[0].partitions[0].offset == 7)
    }

    // MARK: Metadata

    static let metadata = MetadataRequest(topics: ["a", "b"], allowAutoTopicCreation: false, topicIds: [id1])

    @Test func metadataRequestEveryVersion() throws {
        try checkEveryVersion(Self.metadata) { v in
            var e = Self.metadata
            if v < 4 { e.allowAutoTopicCreation = true }
            if v < 12 { e.topicIds = [] }
            return e
        }
        for all in [MetadataRequest(), MetadataRequest(topics: nil, allowAutoTopicCreation: false)] {
            try checkEveryVersion(all) { v in v < 4 ? MetadataRequest() : all }
        }
    }

    /// v0: an empty list means every topic, both ways; v1+: null means every topic, empty none.
    @Test func metadataV0EmptyListIsAllTopics() {
        #expect(MetadataRequest().wire(version: 0).topics == [])
        #expect(MetadataRequest().wire(version: 1).topics == nil)
        #expect(MetadataRequest(topics: []).wire(version: 1).topics == [])
        #expect(MetadataRequest(wire: Wire.MetadataRequest(topics: []), version: 0).topics == nil)
        #expect(MetadataRequest(wire: Wire.MetadataRequest(topics: []), version: 1).topics == [])
        #expect(MetadataRequest(wire: Wire.MetadataRequest(topics: nil), version: 1).topics == nil)
        // No-topics cannot be said in v0: it goes as the empty list, which means all.
        #expect(MetadataRequest(topics: []).wire(version: 0).topics == [])
    }

    /// v12 names a topic by id with a null name; the id reads back into `topicIds`.
    @Test func metadataTopicIds() {
        let v12 = Self.metadata.wire(version: 12).topics
        #expect(v12 == [.init(name: "a"), .init(name: "b"), .init(topicId: id1, name: nil)])
        #expect(Self.metadata.wire(version: 11).topics == [.init(name: "a"), .init(name: "b")])
        let byId = MetadataRequest(wire: Wire.MetadataRequest(topics: [.init(topicId: id2, name: nil)]), version: 12)
        #expect(byId.topics == [] && byId.topicIds == [id2])
        // Kafka's error response names a topic asked for by id with "" and its id.
        #expect(Self.metadata.errorResponse(.unknownServerError).topics.map(\.topicId) == [.zero, .zero, id1])
    }

    static let metadataAnswer = MetadataResponse(
        throttleTimeMs: 3,
        brokers: [.init(nodeId: 1, host: "h1", port: 9092, rack: "r1"), .init(nodeId: 2, host: "h2", port: 9093)],
        clusterId: "cluster-1", controllerId: 1,
        topics: [
            .init(name: "a", topicId: id1, isInternal: true, partitions: [
                .init(partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2]),
                .init(errorCode: .leaderNotAvailable, partitionIndex: 1, leaderId: -1, replicaNodes: [2], isrNodes: []),
            ]),
            .init(errorCode: .unknownTopicId, name: "", topicId: id2, partitions: []),
        ])

    @Test func metadataResponseEveryVersion() throws {
        try checkEveryVersion(Self.metadataAnswer) { v in
            var e = Self.metadataAnswer
            if v < 1 { each(&e.brokers) { $0.rack = nil }; e.controllerId = -1; e.topics[0].isInternal = false }
            if v < 2 { e.clusterId = nil }
            if v < 3 { e.throttleTimeMs = 0 }
            if v < 10 { each(&e.topics) { $0.topicId = .zero } }
            each(&e.topics[0].partitions) { p in
                if v < 5 { p.offlineReplicas = [] }
                if v < 7 { p.leaderEpoch = -1 }
            }
            return e
        }
    }

    /// From v12 an unknown topic id is answered with a null name.
    @Test func metadataResponseNullName() {
        #expect(Self.metadataAnswer.wire(version: 12).topics.map(\.name) == ["a", nil])
        #expect(Self.metadataAnswer.wire(version: 11).topics.map(\.name) == ["a", ""])
    }

    // MARK: OffsetForLeaderEpoch

    static let epochRequest = OffsetForLeaderEpochRequest(replicaId: 1, topics: [
        .init(topic: "t", partitions: [.init(partition: 0, currentLeaderEpoch: 5, leaderEpoch: 4), .init(partition: 1, leaderEpoch: 2)]),
    ])

    /// Before v3 the replica id reads as -2, the debugging consumer.
    @Test func offsetForLeaderEpochRequestEveryVersion() throws {
        try checkEveryVersion(Self.epochRequest) { v in
            var e = Self.epochRequest
            if v < 2 { each(&e.topics[0].partitions) { $0.currentLeaderEpoch = -1 } }
            if v < 3 { e.replicaId = OffsetForLeaderEpochRequest.debuggingReplicaId }
            return e
        }
    }

    static let epochAnswer = OffsetForLeaderEpochResponse(throttleTimeMs: 2, topics: [
        .init(topic: "t", partitions: [
            .init(partition: 0, leaderEpoch: 4, endOffset: 100),
            .init(errorCode: .fencedLeaderEpoch, partition: 1),
        ]),
    ])

    @Test func offsetForLeaderEpochResponseEveryVersion() throws {
        try checkEveryVersion(Self.epochAnswer) { v in
            var e = Self.epochAnswer
            if v < 1 { each(&e.topics[0].partitions) { $0.leaderEpoch = -1 } }
            if v < 2 { e.throttleTimeMs = 0 }
            return e
        }
    }

    // MARK: CreateTopics

    static let create = CreateTopicsRequest(topics: [
        .init(name: "a", numPartitions: 3, replicationFactor: 2,
              configs: [.init(name: "cleanup.policy", value: "compact"), .init(name: "retention.ms", value: nil)]),
        .init(name: "b", assignments: [.init(partitionIndex: 0, brokerIds: [1, 2]), .init(partitionIndex: 1, brokerIds: [2, 3])]),
    ], timeoutMs: 5000, validateOnly: true)

    /// v0 has no validateOnly: it is dropped.
    @Test func createTopicsRequestEveryVersion() throws {
        try checkEveryVersion(Self.create) { v in
            var e = Self.create
            if v < 1 { e.validateOnly = false }
            return e
        }
    }

    static let created = CreateTopicsResponse(throttleTimeMs: 6, topics: [
        .init(name: "a", topicId: id1, numPartitions: 3, replicationFactor: 2, configs: [
            .init(name: "cleanup.policy", value: "compact", configSource: 1),
            .init(name: "ssl.password", value: nil, readOnly: true, configSource: 5, isSensitive: true),
        ]),
        .init(name: "b", errorCode: .topicAlreadyExists, errorMessage: "Topic 'b' already exists.", topicConfigErrorCode: .invalidConfig),
    ])

    @Test func createTopicsResponseEveryVersion() throws {
        try checkEveryVersion(Self.created) { v in
            var e = Self.created
            if v < 2 { e.throttleTimeMs = 0 }
            each(&e.topics) { t in
                if v < 1 { t.errorMessage = nil }
                if v < 5 { t.topicConfigErrorCode = .none; t.numPartitions = -1; t.replicationFactor = -1; t.configs = nil }
                if v < 7 { t.topicId = .zero }
            }
            return e
        }
    }

    // MARK: DeleteTopics

    static let delete = DeleteTopicsRequest(topics: [.init(name: "a"), .init(topicId: id1)], timeoutMs: 4000)

    /// v0-5 send names only: a topic named only by id is lost.
    @Test func deleteTopicsRequestEveryVersion() throws {
        try checkEveryVersion(Self.delete) { v in
            var e = Self.delete
            if v < 6 { e.topics = [.init(name: "a")] }
            return e
        }
        #expect(Self.delete.wire(version: 5).topicNames == ["a"] && Self.delete.wire(version: 5).topics == [])
        #expect(Self.delete.wire(version: 6).topicNames == [] && Self.delete.wire(version: 6).topics.count == 2)
    }

    static let deleted = DeleteTopicsResponse(throttleTimeMs: 7, responses: [
        .init(name: "a", topicId: id1),
        .init(name: nil, topicId: id2, errorCode: .unknownTopicId, errorMessage: "unknown topic id"),
    ])

    /// Before v6 a null name goes as "".
    @Test func deleteTopicsResponseEveryVersion() throws {
        try checkEveryVersion(Self.deleted) { v in
            var e = Self.deleted
            if v < 1 { e.throttleTimeMs = 0 }
            each(&e.responses) { r in
                if v < 5 { r.errorMessage = nil }
                if v < 6 { r.topicId = .zero; r.name = r.name ?? "" }
            }
            return e
        }
    }

    // MARK: DeleteRecords, InitProducerId, ApiVersions

    static let deleteRecords = DeleteRecordsRequest(topics: [
        .init(name: "t", partitions: [.init(partitionIndex: 0, offset: 42), .init(partitionIndex: 1, offset: DeleteRecordsRequest.highWatermark)]),
    ], timeoutMs: 2500)
    static let deletedRecords = DeleteRecordsResponse(throttleTimeMs: 1, topics: [
        .init(name: "t", partitions: [.init(partitionIndex: 0, lowWatermark: 42), .init(partitionIndex: 1, errorCode: .offsetOutOfRange)]),
    ])

    /// Every version carries the same fields.
    @Test func deleteRecordsEveryVersion() throws {
        try checkEveryVersion(Self.deleteRecords) { _ in Self.deleteRecords }
        try checkEveryVersion(Self.deletedRecords) { _ in Self.deletedRecords }
    }

    static let initProducer = InitProducerIdRequest(transactionalId: "tx-1", transactionTimeoutMs: 9000, producerId: 123, producerEpoch: 4)
    static let initedProducer = InitProducerIdResponse(throttleTimeMs: 1, errorCode: .none, producerId: 1000, producerEpoch: 2)

    /// The current producer id and epoch (KIP-360) exist from v3.
    @Test func initProducerIdEveryVersion() throws {
        try checkEveryVersion(Self.initProducer) { v in
            v >= 3 ? Self.initProducer : InitProducerIdRequest(transactionalId: "tx-1", transactionTimeoutMs: 9000)
        }
        try checkEveryVersion(InitProducerIdRequest()) { _ in InitProducerIdRequest() }
        try checkEveryVersion(Self.initedProducer) { _ in Self.initedProducer }
        try checkEveryVersion(InitProducerIdResponse(errorCode: .coordinatorLoadInProgress)) { _ in InitProducerIdResponse(errorCode: .coordinatorLoadInProgress) }
    }

    static let apiVersions = ApiVersionsRequest(clientSoftwareName: "eddy", clientSoftwareVersion: "1.0")
    static let apiVersionsAnswer = ApiVersionsResponse(errorCode: .unsupportedVersion, apiKeys: [
        .init(.produce, minVersion: 3, maxVersion: 11), .init(apiKey: 18, minVersion: 0, maxVersion: 4), .init(apiKey: 9999, minVersion: 0, maxVersion: 1),
    ], throttleTimeMs: 8)

    @Test func apiVersionsEveryVersion() throws {
        try checkEveryVersion(Self.apiVersions) { v in v >= 3 ? Self.apiVersions : ApiVersionsRequest() }
        try checkEveryVersion(Self.apiVersionsAnswer) { v in
            var e = Self.apiVersionsAnswer
            if v < 1 { e.throttleTimeMs = 0 }
            return e
        }
    }

    // MARK: DescribeConfigs

    static let describe = DescribeConfigsRequest(resources: [
        .init(resourceType: .topic, resourceName: "t", configurationKeys: ["cleanup.policy", "retention.ms"]),
        .init(resourceType: .broker, resourceName: "1"),
    ], includeSynonyms: true, includeDocumentation: true)

    @Test func describeConfigsRequestEveryVersion() throws {
        try checkEveryVersion(Self.describe) { v in
            var e = Self.describe
            if v < 1 { e.includeSynonyms = false }
            if v < 3 { e.includeDocumentation = false }
            return e
        }
    }

    static let described = DescribeConfigsResponse(throttleTimeMs: 3, results: [
        .init(resourceType: .topic, resourceName: "t", configs: [
            .init(name: "cleanup.policy", value: "compact", configSource: .topicConfig,
                  synonyms: [.init(name: "cleanup.policy", value: "compact", source: .topicConfig),
                             .init(name: "log.cleanup.policy", value: nil, source: .defaultConfig)],
                  configType: .list, documentation: "The retention policy."),
            .init(name: "retention.ms", value: "604800000", configSource: .defaultConfig, configType: .long),
        ]),
        .init(resourceType: .broker, resourceName: "1", configs: [
            .init(name: "log.dirs", value: "/data", readOnly: true, configSource: .staticBrokerConfig, configType: .string),
            .init(name: "ssl.key.password", value: nil, configSource: .dynamicBrokerConfig, isSensitive: true, configType: .password),
        ]),
        .init(errorCode: .invalidRequest, errorMessage: "no such resource", resourceType: .brokerLogger, resourceName: "x"),
    ])

    /// v0 has IsDefault instead of a source: only DEFAULT_CONFIG, and the source Kafka's client
    /// assumes for a non-default (TOPIC_CONFIG for a topic, STATIC_BROKER_CONFIG for a broker)
    /// survive; a dynamic broker config reads back as static. Synonyms go from v1, the type and
    /// documentation from v3.
    @Test func describeConfigsResponseEveryVersion() throws {
        try checkEveryVersion(Self.described) { v in
            var e = Self.described
            each(&e.results) { r in
                each(&r.configs) { c in
                    if v < 1 { c.synonyms = []; if c.configSource == .dynamicBrokerConfig { c.configSource = .staticBrokerConfig } }
                    if v < 3 { c.configType = .unknown; c.documentation = nil }
                }
            }
            return e
        }
    }

    @Test func describeConfigsV0IsDefault() {
        let v0 = Self.described.wire(version: 0).results
        #expect(v0[0].configs.map(\.isDefault) == [false, true])
        #expect(v0[0].configs.allSatisfy { $0.configSource == -1 })
        #expect(Self.described.wire(version: 1).results[0].configs.allSatisfy { !$0.isDefault })
        // A non-default entry of another resource type has an unknown source.
        let other = Wire.DescribeConfigsResponse(results: [.init(resourceType: ConfigResourceType.brokerLogger.rawValue, configs: [.init(name: "x")])])
        #expect(DescribeConfigsResponse(wire: other, version: 0).results[0].configs[0].configSource == .unknown)
    }

    // MARK: IncrementalAlterConfigs

    static let alter = IncrementalAlterConfigsRequest(resources: [
        .init(resourceType: .topic, resourceName: "t", configs: [
            .init(name: "cleanup.policy", configOperation: .append, value: "compact"),
            .init(name: "retention.ms", configOperation: .delete, value: nil),
            .init(name: "segment.bytes", configOperation: .set, value: "1048576"),
            .init(name: "cleanup.policy", configOperation: .subtract, value: "delete"),
        ]),
        .init(resourceType: .broker, resourceName: "1", configs: []),
    ], validateOnly: true)
    static let altered = IncrementalAlterConfigsResponse(throttleTimeMs: 2, responses: [
        .init(resourceType: .topic, resourceName: "t"),
        .init(errorCode: .invalidRequest, errorMessage: "eddy alters the configs of topics only.", resourceType: .broker, resourceName: "1"),
    ])

    /// Every version carries the same fields.
    @Test func incrementalAlterConfigsEveryVersion() throws {
        try checkEveryVersion(Self.alter) { _ in Self.alter }
        try checkEveryVersion(Self.altered) { _ in Self.altered }
    }

    // MARK: DescribeLogDirs

    static let logDirs = DescribeLogDirsResponse(throttleTimeMs: 3, errorCode: .none, results: [
        .init(logDir: "/data/broker-0", topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, partitionSize: 4096, offsetLag: 0),
                                               .init(partitionIndex: 2, partitionSize: 0, offsetLag: 7)]),
        ], totalBytes: 1 << 40, usableBytes: 1 << 39),
    ])

    /// Requests carry the same fields in every version (nil: every partition); responses gain
    /// the top-level error in v3 and the volume's sizes in v4. Before v3, a whole-request error
    /// travels as a directory entry with an empty path, so the client still sees it.
    @Test func describeLogDirsEveryVersion() throws {
        let some = DescribeLogDirsRequest(topics: [.init(name: "orders", partitions: [0, 2])])
        try checkEveryVersion(some) { _ in some }
        try checkEveryVersion(DescribeLogDirsRequest()) { _ in DescribeLogDirsRequest() }
        try checkEveryVersion(Self.logDirs) { version in
            var kept = Self.logDirs
            if version < 4 { each(&kept.results) { $0.totalBytes = -1; $0.usableBytes = -1 } }
            return kept
        }
        let failed = DescribeLogDirsResponse(errorCode: .clusterAuthorizationFailed, results: [])
        for version in Wire.DescribeLogDirsResponse.validVersions {
            let back = try bridged(failed, version)
            if version >= 3 {
                #expect(back == failed)
            } else {
                #expect(back.results.map(\.errorCode) == [.clusterAuthorizationFailed] && back.partitionSizes.isEmpty, "v\(version)")
            }
        }
        #expect(Self.logDirs.partitionSizes == [TopicPartition("orders", 0): 4096, TopicPartition("orders", 2): 0])
        #expect(some.names(TopicPartition("orders", 2)) && !some.names(TopicPartition("orders", 1)))
        #expect(DescribeLogDirsRequest().names(TopicPartition("any", 9)))
    }

    // MARK: Unknown ids

    /// Ids outside the domain enums: an isolation level reads as read_committed, a resource type
    /// as unknown, a config operation as a SET without a value (refused by brokers), a config
    /// source or type as unknown.
    @Test func unknownIds() {
        #expect(FetchRequest(wire: Wire.FetchRequest(isolationLevel: 7), version: 4).isolationLevel == .readCommitted)
        #expect(ListOffsetsRequest(wire: Wire.ListOffsetsRequest(isolationLevel: -1), version: 2).isolationLevel == .readCommitted)
        let alter = IncrementalAlterConfigsRequest(wire: Wire.IncrementalAlterConfigsRequest(resources: [
            .init(resourceType: 99, resourceName: "t", configs: [.init(name: "k", configOperation: 9, value: "v")]),
        ]), version: 1)
        #expect(alter.resources[0].resourceType == .unknown)
        #expect(alter.resources[0].configs[0] == .init(name: "k", configOperation: .set, value: nil))
        let described = DescribeConfigsResponse(wire: Wire.DescribeConfigsResponse(results: [
            .init(resourceType: 2, configs: [.init(name: "k", configSource: 42, synonyms: [.init(name: "s", source: -3)], configType: 77)]),
        ]), version: 3)
        let entry = described.results[0].configs[0]
        #expect(entry.configSource == .unknown && entry.synonyms[0].source == .unknown && entry.configType == .unknown)
    }
}
