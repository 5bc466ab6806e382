import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Zero-copy fetch on the broker side: a consumer on a connection that takes `FileRecords`
/// gets its records as file ranges, exactly the bytes an in-process consumer gets.
@Suite struct FileRecordsFetchTests {
    func fetch(offset: Int64 = 0, maxWaitMs: Int32 = 0, minBytes: Int32 = 0) -> KafkaRequest {
        .fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: offset, maxWaitMs: maxWaitMs, minBytes: minBytes))
    }

    func send(_ s: ServedCluster, _ request: KafkaRequest, to node: Int32, files: Bool) -> SentRequest {
        let sent = SentRequest()
        s.cluster.transport.send(request, to: node, context: RequestContext(clientId: "c", acceptsFileRecords: files)) { sent.set($0) }
        return sent
    }

    func partition(_ sent: SentRequest) throws -> FetchResponse.PartitionData {
        guard case let .fetch(f)? = sent.response, let p = f.partition(topic: "t", partition: 0) else { throw TestFailure("no fetch answer") }
        return p
    }

    @Test func aConsumerThatTakesFileRecordsGetsTheSameBatchesAsFileRanges() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        for i in 0 ..< 3 {
            _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a\(i)", "b\(i)"]), acks: 1)), to: leader)
        }
        s.pump()
        let asBytes = try partition(send(s, fetch(offset: 2), to: leader, files: false))
        let asFile = try partition(send(s, fetch(offset: 2), to: leader, files: true))
        #expect(asBytes.recordsFile == nil)
        #expect(!asBytes.records.isEmpty)
        let file = try #require(asFile.recordsFile)
        #expect(asFile.records.isEmpty)
        #expect(try file.bytes() == asBytes.records)
        #expect(file.nextOffset == (try MemoryRecords.batches(in: asBytes.records).last?.header.nextOffset))
        #expect(asFile.highWatermark == 6)
        // Nothing to read: neither records nor a file range.
        let empty = try partition(send(s, fetch(offset: 6), to: leader, files: true))
        #expect(empty.recordsFile == nil && empty.records.isEmpty)
    }

    @Test func aWaitingFetchIsAnsweredWithFileRecordsWhenTheHighWatermarkMoves() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        let waiting = send(s, fetch(maxWaitMs: 500, minBytes: 1), to: leader, files: true)
        #expect(!waiting.isAnswered)
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["x"]), acks: 1)), to: leader)
        s.cluster.replicationRound()
        s.cluster.replicationRound()
        let file = try #require(try partition(waiting).recordsFile)
        let records = try MemoryRecords.records(in: file.bytes())
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["x"])
    }
}

/// Fetch v13-17 (Kafka 3.9's newest), which name topics by id: the broker resolves them, and
/// answers an unknown id with UNKNOWN_TOPIC_ID.
@Suite struct FetchByTopicIdTests {
    func wireFetch(_ s: ServedCluster, _ request: FetchRequest, version: Int16, to node: Int32) throws -> FetchResponse {
        let frame = try Wire.encodeRequest(request.wire(version: version), version: version, correlationId: 9, clientId: "c")
        let decoded = try Wire.decodeRequest(Array(frame.dropFirst(4)))
        let body = try #require(decoded.body)
        let served = try #require(KafkaRequest(wire: body, version: version))
        let response = try s.call(served, to: node)
        let bytes = try Wire.encodeResponse(response.wireMessage(version: version), version: version, correlationId: 9)
        return FetchResponse(wire: try Wire.decodeResponse(Wire.FetchResponse.self, Array(bytes.dropFirst(4)), version: version).message,
                             version: version)
    }

    @Test func topicsNamedByIdAreResolvedInEveryVersionFrom13() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        let created = try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a", "b"]), acks: 1)), to: 0)
        let id = created.topicId
        let unknown = KafkaUuid(mostSignificantBits: 7, leastSignificantBits: 7)
        for version in Int16(13) ... 17 {
            #expect(SupportedApis.supports(ApiKey.fetch.rawValue, version))
            let request = FetchRequest(replicaId: -1, maxWaitMs: 0, minBytes: 0, topics: [
                .init(topic: "", topicId: id, partitions: [.init(partition: 0, fetchOffset: 0)]),
                .init(topic: "", topicId: unknown, partitions: [.init(partition: 0, fetchOffset: 0)]),
            ])
            let response = try wireFetch(s, request, version: version, to: 0)
            #expect(response.responses.map(\.topicId) == [id, unknown], "v\(version)")
            let known = try #require(response.responses.first?.partitions.first)
            #expect(known.errorCode == ErrorCode.none)
            #expect(known.highWatermark == 2)
            #expect(try MemoryRecords.records(in: known.records).map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["a", "b"])
            #expect(response.responses.last?.partitions.first?.errorCode == .unknownTopicId, "v\(version)")
        }
        // eddy's own client names topics: it stays on v12.
        #expect(SupportedApis.clientVersions[.fetch]?.upperBound == 12)
    }
}

/// `Transport.sendIfNonBlocking` (a network event loop's first try): a caught-up consumer's
/// Fetch parks at once without reading a log; anything else is left for `send`.
@Suite struct NonBlockingFetchTests {
    func offer(_ s: ServedCluster, _ request: FetchRequest, to node: Int32) -> (taken: Bool, sent: SentRequest) {
        let sent = SentRequest()
        let taken = s.cluster.transport.sendIfNonBlocking(.fetch(request), to: node, context: RequestContext(clientId: "c", acceptsFileRecords: true)) {
            sent.set($0)
        }
        return (taken, sent)
    }

    func waiting(_ offset: Int64, epoch: Int32 = -1) -> FetchRequest {
        FetchRequest(topic: "t", partition: 0, fetchOffset: offset, currentLeaderEpoch: epoch, maxWaitMs: 500, minBytes: 1)
    }

    @Test func aCaughtUpConsumerFetchParksAndIsAnsweredByTheNextAppend() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (tp, leader) = try s.topicWithRecords(["a", "b"])
        // At the high watermark: taken, and waiting.
        let (taken, parked) = offer(s, waiting(2), to: leader)
        #expect(taken)
        #expect(!parked.isAnswered)
        // It shows as the consumer's position, as a fetch sent the usual way does.
        #expect(s.cluster.consumerFetches.withLock { $0[tp]?.values.map(\.offset) } == [2])
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["c"]), acks: -1)), to: leader)
        s.pump()
        let answer = try #require(parked.response.flatMap { r -> FetchResponse.PartitionData? in
            guard case let .fetch(f) = r else { return nil }
            return f.partition(topic: "t", partition: 0)
        })
        let file = try #require(answer.recordsFile)
        #expect(try MemoryRecords.records(in: file.bytes()).map(\.offset) == [2])
    }

    @Test func fetchesWithSomethingToReadOrToReportAreLeftForSend() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (_, leader) = try s.topicWithRecords(["a", "b"])
        let follower = try #require(s.cluster.runningBrokers.first { $0 != leader })
        var cases: [(String, FetchRequest, Int32)] = [
            ("records to read", waiting(0), leader),
            ("not the leader", waiting(2), follower),
            ("a fenced epoch", waiting(2, epoch: 99), leader),
            ("past the end", waiting(7), leader),
            ("unknown topic", FetchRequest(topic: "nope", partition: 0, fetchOffset: 0, maxWaitMs: 500, minBytes: 1), leader),
        ]
        var noWait = waiting(2)
        noWait.maxWaitMs = 0
        cases.append(("no wait", noWait, leader))
        var replica = waiting(2)
        replica.replicaId = follower
        cases.append(("a follower", replica, leader))
        for (what, request, node) in cases {
            let (taken, sent) = offer(s, request, to: node)
            #expect(!taken, "\(what)")
            #expect(!sent.isAnswered, "\(what)")
        }
        #expect(!s.cluster.transport.sendIfNonBlocking(.metadata(MetadataRequest(topics: nil)), to: leader, context: RequestContext()) { _ in })
    }

    @Test func theEventLoopParksAFetchWithoutTheClusterLock() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        // Held by another thread (as while the metadata log is fsynced): the fetch is parked all
        // the same, since parking needs only the partition's and the broker's own locks.
        let held = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            s.cluster.lock.withLock {
                held.signal()
                release.wait()
            }
            done.signal()
        }
        held.wait()
        let (taken, sent) = offer(s, waiting(0), to: leader)
        release.signal()
        done.wait()
        #expect(taken)
        #expect(!sent.isAnswered)
        // And answered by the next append, as any parked fetch.
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a"]), acks: -1)), to: leader)
        s.pump()
        guard case let .fetch(f)? = sent.response else { throw TestFailure("the parked fetch was not answered") }
        #expect(f.partition(topic: "t", partition: 0)?.highWatermark == 1)
    }
}
