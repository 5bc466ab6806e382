import EddyBroker
@testable import EddyClient
import EddyProtocol
import NIOConcurrencyHelpers
import Testing

/// The workarounds for answers of a cluster eddy did not make that differ from Kafka's, each
/// seen on Tansu (the peer broker in Rust): an eddy cluster behind a transport that answers as
/// Tansu does and does not advertise eddy's admin extension.
@Suite(.serialized) struct ForeignClusterTests {
    static let tp = TopicPartition("orders", 0)

    /// A Tansu-like view of an in-process cluster.
    final class TansuLikeTransport: Transport {
        let inner: any Transport
        /// Whether it advertises eddy's admin extension (then it is taken for an eddy cluster).
        let advertisesEddy: Bool
        /// Each ListOffsets "latest" answer, as the quirky broker gives it.
        let latestAnswer: @Sendable (TopicPartition, Int64) -> Int64
        let sent = NIOLockedValueBox<[ApiKey: Int]>([:])

        init(_ inner: any Transport, advertisesEddy: Bool = false, latestAnswer: @escaping @Sendable (TopicPartition, Int64) -> Int64) {
            self.inner = inner
            self.advertisesEddy = advertisesEddy
            self.latestAnswer = latestAnswer
        }

        func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? {
            SupportedApis.clientVersions.filter { advertisesEddy || $0.key != .eddyBrokerControl }
        }

        func count(_ key: ApiKey) -> Int { sent.withLockedValue { $0[key] ?? 0 } }

        func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
            sent.withLockedValue { $0[request.apiKey, default: 0] += 1 }
            // Tansu answers a Fetch with fetch.max.wait.ms 0 with no partitions at all.
            if case let .fetch(f) = request, f.maxWaitMs == 0 {
                return completion(.success(.fetch(FetchResponse(responses: []))))
            }
            // It drops the connection on a DescribeConfigs that names keys.
            if case let .describeConfigs(d) = request, d.resources.contains(where: { $0.configurationKeys != nil }) {
                sent.withLockedValue { $0[.describeConfigs, default: 0] += 1000 }
                return completion(.failure(.disconnected(node)))
            }
            let latestAnswer = latestAnswer
            inner.send(request, to: node, context: context) { result in
                guard case var .success(response) = result else { return completion(result) }
                switch (request, response) {
                case let (.listOffsets(asked), .listOffsets(answer)):
                    var answer = answer
                    for t in answer.topics.indices {
                        for p in answer.topics[t].partitions.indices {
                            let tp = TopicPartition(answer.topics[t].name, answer.topics[t].partitions[p].partitionIndex)
                            let timestamp = asked.topics.first { $0.name == tp.topic }?.partitions
                                .first { $0.partitionIndex == tp.partition }?.timestamp
                            if timestamp == ListOffsetsRequest.latestTimestamp {
                                answer.topics[t].partitions[p].offset = latestAnswer(tp, answer.topics[t].partitions[p].offset)
                            }
                        }
                    }
                    response = .listOffsets(answer)
                case let (.listGroups, .listGroups(answer)):
                    // Tansu answers ListGroups v5 without the groups' states.
                    var answer = answer
                    for i in answer.groups.indices { answer.groups[i].groupState = "" }
                    response = .listGroups(answer)
                default:
                    break
                }
                completion(.success(response))
            }
        }
    }

    /// A cluster with `orders` (one partition, 3 replicas) holding a batch of 1 record, then
    /// one of 50: offsets 0 to 50, so the high watermark is 51, and Tansu would answer "latest"
    /// with 2 (the last batch's base offset plus one).
    func cluster() async throws -> AdminTestCluster {
        let t = try AdminTestCluster()
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 3))
        try await t.produce(Self.tp, count: 1)
        try await t.produce(Self.tp, count: 50)
        return t
    }

    func admin(_ t: AdminTestCluster, _ transport: TansuLikeTransport) -> (Admin, KafkaClient) {
        let client = KafkaClient(transport: transport, bootstrapNodes: t.cluster.runningBrokers, clientId: "foreign",
                                 requestTimeoutMs: 5_000, retryBackoffMs: 10)
        return (Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000)), client)
    }

    @Test func latestOffsetsBelowTheHighWatermarkAreCheckedWithOneFetchPerLeader() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        let transport = TansuLikeTransport(t.cluster.transport) { _, _ in 2 }
        let (admin, client) = admin(t, transport)
        defer { client.close() }

        let offsets = try #require(try await admin.logOffsets([Self.tp])[Self.tp])
        #expect(offsets.logStartOffset == 0)
        #expect(offsets.highWatermark == 51)
        #expect(offsets.logEndOffset == 51)
        #expect(transport.count(.fetch) == 1, "one checking Fetch for the one leader")

        #expect(try await admin.listOffsets([Self.tp], .latest) == [Self.tp: 51])
        #expect(try await admin.listOffsets([Self.tp], .logEnd) == [Self.tp: 51])
        #expect(try await admin.listOffsets([Self.tp], .earliest) == [Self.tp: 0])
        #expect(transport.count(.fetch) == 3, "earliest needs no check")
    }

    @Test func aRightAnswerIsKeptAndAnEddyClusterIsNotChecked() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        // Kafka's answers (unchanged): the check reads nothing and changes nothing.
        let kafkaLike = TansuLikeTransport(t.cluster.transport) { _, offset in offset }
        let (admin, client) = admin(t, kafkaLike)
        defer { client.close() }
        #expect(try await admin.logOffsets([Self.tp])[Self.tp]?.highWatermark == 51)
        #expect(kafkaLike.count(.fetch) == 1)

        // A cluster advertising eddy's extension is trusted: no Fetch is sent.
        let eddyLike = TansuLikeTransport(t.cluster.transport, advertisesEddy: true) { _, _ in 2 }
        let (trusting, trustingClient) = self.admin(t, eddyLike)
        defer { trustingClient.close() }
        #expect(try await trusting.logOffsets([Self.tp])[Self.tp]?.highWatermark == 2)
        #expect(eddyLike.count(.fetch) == 0)
    }

    @Test func configsAreAskedForWithoutKeysAndFilteredHere() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        try await t.admin.incrementalAlterConfigs([.topic("orders"): [.init(name: "retention.ms", opType: .set, value: "60000")]])
        let transport = TansuLikeTransport(t.cluster.transport) { _, offset in offset }
        let (admin, client) = admin(t, transport)
        defer { client.close() }
        let entries = try await admin.describeConfigs([.topic("orders")], keys: ["retention.ms", "cleanup.policy"])[.topic("orders")]
        #expect(entries?.map(\.name) == ["cleanup.policy", "retention.ms"])
        #expect(entries?.first { $0.name == "retention.ms" }?.value == "60000")
        #expect(transport.count(.describeConfigs) == 1, "one request, without keys")
    }

    @Test func groupsListedWithoutAStateAreDescribed() async throws {
        let t = try await cluster()
        defer { t.shutdown() }
        try await t.admin.alterConsumerGroupOffsets("g", [Self.tp: OffsetAndMetadata(7)])
        let transport = TansuLikeTransport(t.cluster.transport) { _, offset in offset }
        let (admin, client) = admin(t, transport)
        defer { client.close() }
        let listed = try await admin.listConsumerGroups()
        #expect(listed.map(\.groupId) == ["g"])
        #expect(listed.first?.state == .empty)
        #expect(transport.count(.describeGroups) == 1)
        #expect(try await admin.listConsumerGroups(states: [.empty]).map(\.groupId) == ["g"])
        #expect(try await admin.listConsumerGroups(states: [.stable]).isEmpty)
    }
}
