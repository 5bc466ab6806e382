import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// EddyClient's transactional producer against the in-process cluster: what read_committed
    /// consumers and the group see of committed and aborted transactions, offsets sent with a
    /// transaction, fencing by a new instance, and the calls' order rules.
    @Suite struct ProducerTransactionTests {
        func producer(_ t: ConsumerTestCluster, id: String = "tx") throws -> Producer<String, String> {
            var config = testProducerConfig { $0.transactionalId = id }
            config.lingerMs = 0
            return try Producer(config: config, client: t.client("tx-producer"), keySerializer: StringSerializer(),
                                valueSerializer: StringSerializer())
        }

        func readCommitted(_ t: ConsumerTestCluster, _ tps: [TopicPartition]) async throws -> Consumer {
            var config = t.config(group: nil)
            config.isolationLevel = .readCommitted
            let c = try Consumer(client: t.client("rc"), config: config)
            try await c.assign(tps)
            return c
        }

        @Test func readCommittedConsumersSeeCommittedTransactionsOnly() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            let p = try producer(t)
            try await p.initTransactions()
            try p.beginTransaction()
            for i in 0 ..< 4 { _ = try await p.send(ProducerRecord(topic: "t", partition: Int32(i % 2), value: "c\(i)")) }
            try await p.commitTransaction()
            try p.beginTransaction()
            for i in 0 ..< 2 { try await p.sendAndForget(ProducerRecord(topic: "t", partition: Int32(i % 2), value: "a\(i)")) }
            await p.flush()
            try await p.abortTransaction()
            try p.beginTransaction()
            _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "last"))
            try await p.commitTransaction()
            await p.close()

            let tps = [TopicPartition("t", 0), TopicPartition("t", 1)]
            let committed = try await readCommitted(t, tps)
            defer { Task { await committed.close() } }
            #expect(Set(try await pollRecords(committed, count: 5).map(\.text)) == ["c0", "c1", "c2", "c3", "last"])
            #expect(try await committed.poll(timeoutMs: 300).isEmpty, "no aborted record comes later")
            let all = try t.consumer(group: nil)
            defer { Task { await all.close() } }
            try await all.assign(tps)
            #expect(Set(try await pollRecords(all, count: 7).map(\.text)) == ["c0", "c1", "c2", "c3", "a0", "a1", "last"])
            // Each partition ends with a marker: the last stable offset is the log end.
            let ends = try await committed.endOffsets(tps)
            #expect(ends == [tps[0]: 7, tps[1]: 5], "records plus one marker per transaction that wrote there")
        }

        /// KIP-447's loop: offsets sent with the transaction are the group's only if it commits.
        @Test func offsetsSentWithATransactionAreCommittedWithIt() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("in", partitions: 1)
            try await t.createTopic("out", partitions: 1)
            try t.produce("in", partition: 0, (0 ..< 6).map { "r\($0)" })
            let member = try t.consumer(group: "etl")
            defer { Task { await member.close() } }
            try await member.subscribe(topics: ["in"])
            let input = try await pollRecords(member, count: 6)
            let meta = try #require(member.groupMetadata())
            #expect(meta.generationId >= 1 && !meta.memberId.isEmpty)

            let p = try producer(t)
            try await p.initTransactions()
            let tp = TopicPartition("in", 0)
            for (range, commit) in [(0 ..< 3, true), (3 ..< 6, false)] {
                try p.beginTransaction()
                for r in input[range] { try await p.sendAndForget(ProducerRecord(topic: "out", partition: 0, value: r.text.uppercased())) }
                try await p.sendOffsetsToTransaction([tp: OffsetAndMetadata(input[range].last!.offset + 1)], groupMetadata: meta)
                if commit { try await p.commitTransaction() } else { try await p.abortTransaction() }
            }
            #expect(try await member.committed([tp])[tp]?.offset == 3)
            // A zombie member's offsets are fenced (its generation is gone).
            try p.beginTransaction()
            var stale = meta
            stale.generationId += 5
            await #expect(throws: ClientError.self) {
                try await p.sendOffsetsToTransaction([tp: OffsetAndMetadata(6)], groupMetadata: stale)
            }
            await #expect(throws: ClientError.self) { try await p.commitTransaction() }
            try await p.abortTransaction()
            await p.close()

            let out = try await readCommitted(t, [TopicPartition("out", 0)])
            defer { Task { await out.close() } }
            #expect(try await pollRecords(out, count: 3).map(\.text) == ["R0", "R1", "R2"])
        }

        @Test func aNewInstanceFencesTheOldOne() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let old = try producer(t)
            try await old.initTransactions()
            try old.beginTransaction()
            _ = try await old.send(ProducerRecord(topic: "t", partition: 0, value: "zombie"))
            let fresh = try producer(t)
            try await fresh.initTransactions()          // aborts the old instance's transaction
            try fresh.beginTransaction()
            _ = try await fresh.send(ProducerRecord(topic: "t", partition: 0, value: "fresh"))
            try await fresh.commitTransaction()
            do {
                try await old.commitTransaction()
                Issue.record("the fenced producer committed")
            } catch {
                #expect([ErrorCode.producerFenced, .invalidProducerEpoch].contains(error.errorCode), "\(error)")
            }
            // Fenced for good: even a new transaction is refused.
            #expect(throws: ClientError.self) { try old.beginTransaction() }
            await old.close()
            await fresh.close()
            let c = try await readCommitted(t, [TopicPartition("t", 0)])
            defer { Task { await c.close() } }
            #expect(try await pollRecords(c, count: 1).map(\.text) == ["fresh"])
            #expect(try await c.poll(timeoutMs: 300).isEmpty)
        }

        /// A record the broker refuses leaves the transaction abortable only; aborting bumps the
        /// epoch (the failed batch left a gap in the sequence), and the next transaction commits.
        @Test func aFailedRecordMakesTheTransactionAbortable() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1, configs: ["max.message.bytes": "200"])
            let p = try producer(t)
            defer { Task { await p.close() } }
            try await p.initTransactions()
            try p.beginTransaction()
            _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "small"))
            await #expect(throws: ClientError.self) {
                _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: String(repeating: "x", count: 500)))
            }
            await #expect(throws: ClientError.self) { try await p.commitTransaction() }
            await #expect(throws: ClientError.self) { try await p.sendAndForget(ProducerRecord(topic: "t", partition: 0, value: "more")) }
            try await abortThenCommitAfter(p, t)
        }

        /// Aborts the open transaction, then `commitAfter`.
        func abortThenCommitAfter(_ p: Producer<String, String>, _ t: ConsumerTestCluster) async throws {
            try await p.abortTransaction()
            try await commitAfter(p, t)
        }

        /// Commits "after" in a new transaction and checks that a read_committed consumer of
        /// t-0 gets that record only.
        func commitAfter(_ p: Producer<String, String>, _ t: ConsumerTestCluster) async throws {
            try p.beginTransaction()
            _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "after"))
            try await p.commitTransaction()
            let c = try await readCommitted(t, [TopicPartition("t", 0)])
            defer { Task { await c.close() } }
            #expect(try await pollRecords(c, count: 1).map(\.text) == ["after"])
            #expect(try await c.poll(timeoutMs: 300).isEmpty)
        }

        /// A produce the leader answers with UNKNOWN_PRODUCER_ID (it lost the producer's state,
        /// KIP-360) leaves a transactional producer's transaction abortable, not fatal: the
        /// commit fails, the abort succeeds, and the next transaction commits.
        @Test func unknownProducerIdMakesTheTransactionAbortable() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let (p, transport) = try blockable(t, .produce, id: "lost-state", answersWith: .unknownProducerId)
            defer { Task { await p.close() } }
            try await p.initTransactions()
            try p.beginTransaction()
            transport.blocked = true
            await #expect(throws: ClientError.self) { _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "lost")) }
            transport.blocked = false
            await #expect(throws: ClientError.self) { try await p.commitTransaction() }
            try await abortThenCommitAfter(p, t)
        }

        /// A producer over a transport that fails the requests of `api` (as a coordinator that
        /// does not answer would) while `blocked` is set.
        func blockable(_ t: ConsumerTestCluster, _ api: ApiKey, id: String = "tx",
                       answersWith: ErrorCode? = nil) throws -> (Producer<String, String>, BlockingTransport) {
            let transport = BlockingTransport(t.cluster.transport, api: api, answersWith: answersWith)
            var config = testProducerConfig { $0.transactionalId = id }
            config.lingerMs = 0
            config.maxBlockMs = 300
            config.requestTimeoutMs = 100
            let client = KafkaClient(transport: transport, bootstrapNodes: t.cluster.runningBrokers, clientId: "blockable",
                                     requestTimeoutMs: 100, retryBackoffMs: 20)
            return (try Producer(config: config, client: client, keySerializer: StringSerializer(), valueSerializer: StringSerializer()),
                    transport)
        }

        /// An EndTxn that fails (the coordinator does not answer) leaves the commit or the abort
        /// to be made again, as Kafka allows: the producer is not stuck.
        @Test func aFailedCommitOrAbortCanBeMadeAgain() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let (p, transport) = try blockable(t, .endTxn)
            defer { Task { await p.close() } }
            try await p.initTransactions()
            try p.beginTransaction()
            _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "aborted"))
            transport.blocked = true
            await #expect(throws: ClientError.self) { try await p.abortTransaction() }
            #expect(throws: ClientError.self) { try p.beginTransaction() }
            transport.blocked = false
            try await p.abortTransaction()
            try p.beginTransaction()
            _ = try await p.send(ProducerRecord(topic: "t", partition: 0, value: "committed"))
            transport.blocked = true
            await #expect(throws: ClientError.self) { try await p.commitTransaction() }
            transport.blocked = false
            try await p.commitTransaction()
            let c = try await readCommitted(t, [TopicPartition("t", 0)])
            defer { Task { await c.close() } }
            #expect(try await pollRecords(c, count: 1).map(\.text) == ["committed"])
        }

        /// An abort while the coordinator is still adding a partition (AddPartitionsToTxn in
        /// flight): the abort completes once that answer is in, the record waiting for it fails
        /// and is never read_committed, and the next transaction commits (read_committed reaching
        /// it shows that no transaction was left holding the LSO).
        @Test func anAbortWhileAddPartitionsToTxnIsInFlightEndsThatPartitionToo() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let transport = HoldingTransport(t.cluster.transport, api: .addPartitionsToTxn)
            var config = testProducerConfig { $0.transactionalId = "held" }
            config.lingerMs = 0
            let client = KafkaClient(transport: transport, bootstrapNodes: t.cluster.runningBrokers, clientId: "held")
            let p = try Producer(config: config, client: client, keySerializer: StringSerializer(), valueSerializer: StringSerializer())
            defer { Task { await p.close() } }
            try await p.initTransactions()
            try p.beginTransaction()
            let sent = Task { try await p.send(ProducerRecord(topic: "t", partition: 0, value: "in-flight")) }
            let deadline = ClientTime.monotonicMs() + 30_000
            while !transport.isHolding {
                try #require(ClientTime.monotonicMs() < deadline, "AddPartitionsToTxn was never sent")
                await ClientTime.sleep(ms: 5)
            }
            let abortEnded = Flag()
            let aborted = Task {
                defer { abortEnded.set() }
                try await p.abortTransaction()
            }
            await ClientTime.sleep(ms: 50)
            #expect(!abortEnded.isSet, "the abort waits for the AddPartitionsToTxn answer")
            transport.release()
            try await aborted.value
            if case .success = await sent.result { Issue.record("the record of the aborted transaction was acknowledged") }
            try await commitAfter(p, t)
        }

        /// Once the transaction can only be aborted, records still queued (here: for a partition
        /// not in the transaction yet) fail at the sender's next turn, as Kafka's
        /// maybeAbortBatches does, instead of waiting out delivery.timeout.ms.
        @Test func queuedRecordsFailAsSoonAsTheTransactionMustAbort() throws {
            let client = KafkaClient(transport: BlockingTransport(NoAnswers(), api: .produce), bootstrapNodes: [0], clientId: "c")
            defer { client.close() }
            let core = ProducerCore(config: testProducerConfig { $0.transactionalId = "tx" }, client: client,
                                    random: SystemRandomNumberGenerator())
            try core.withTransaction { (t) throws(ClientError) in
                try t.initialized()
                try t.begin()
            }
            core.lock.withLock { core.accumulator.updateTopic("t", .init(partitionCount: 1, availablePartitions: [0])) }
            let result = RecordFuture()
            #expect(try core.appendIfReady(topic: "t", partition: 0, key: nil, value: [1], headers: [], timestamp: 0,
                                           completion: result.complete))
            _ = core.plan(nowMs: ClientTime.monotonicMs(), metadata: client.metadata)
            #expect(core.lock.withLock { core.accumulator.queuedPartitions } == [TopicPartition("t", 0)])
            core.withTransactionFailing(.broker(.unknownMemberId, message: "zombie"))
            _ = core.plan(nowMs: ClientTime.monotonicMs(), metadata: client.metadata)
            #expect(core.lock.withLock { core.accumulator.queuedPartitions }.isEmpty)
            #expect(core.lock.withLock { core.accumulator.hasIncomplete } == false, "the record failed")
        }

        @Test func callsOutOfOrderAreRefused() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let p = try producer(t)
            defer { Task { await p.close() } }
            await #expect(throws: ClientError.illegalState("Cannot send before initTransactions() has completed.")) {
                try await p.sendAndForget(ProducerRecord(topic: "t", value: "x"))
            }
            #expect(throws: ClientError.self) { try p.beginTransaction() }
            try await p.initTransactions()
            await #expect(throws: ClientError.self) { try await p.initTransactions() }
            await #expect(throws: ClientError.illegalState("Cannot send records outside a transaction: call beginTransaction() first.")) {
                try await p.sendAndForget(ProducerRecord(topic: "t", value: "x"))
            }
            await #expect(throws: ClientError.self) { try await p.commitTransaction() }
            try p.beginTransaction()
            #expect(throws: ClientError.self) { try p.beginTransaction() }
            try await p.commitTransaction()             // empty: ends locally
            // Not transactional: the transactional calls are refused.
            let plain = try Producer(config: testProducerConfig(), client: t.client("plain"))
            defer { Task { await plain.close() } }
            await #expect(throws: ClientError.self) { try await plain.initTransactions() }
        }

        @Test func transactionalIdNeedsIdempotence() {
            var c = ProducerConfig()
            #expect(throws: ClientError.self) { try c.set("transaction.timeout.ms", "0") }
            try? c.set("transactional.id", "tx")
            #expect(c.idempotenceEnabled)
            c.enableIdempotence = false
            #expect(throws: ClientError.self) { try c.validate() }
            c.enableIdempotence = nil
            c.acks = .leader
            #expect(throws: ClientError.self) { try c.validate() }
        }
    }
}

/// Fails the requests of one API with a timeout while `blocked` is set; passes everything else.
/// With `losesResponses` the blocked requests reach the broker and only their answers are lost;
/// with `answersWith` they are answered with that error without being sent (a broker that
/// refuses them).
final class BlockingTransport: Transport, @unchecked Sendable {
    private let inner: any Transport
    private let api: ApiKey
    private let losesResponses: Bool
    private let answersWith: ErrorCode?
    private let lock = NSLock()
    private var _blocked = false

    init(_ inner: any Transport, api: ApiKey, losesResponses: Bool = false, answersWith: ErrorCode? = nil) {
        self.inner = inner
        self.api = api
        self.losesResponses = losesResponses
        self.answersWith = answersWith
    }

    var blocked: Bool {
        get { lock.withLock { _blocked } }
        set { lock.withLock { _blocked = newValue } }
    }

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard request.apiKey == api, blocked else { return inner.send(request, to: node, context: context, completion: completion) }
        if let answersWith { return completion(.success(request.errorResponse(answersWith, message: nil))) }
        guard losesResponses else { return completion(.failure(.timedOut(node))) }
        inner.send(request, to: node, context: context) { _ in completion(.failure(.timedOut(node))) }
    }
}

/// A flag set from another task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// A transport that holds the first request of `api` until `release()` (a request in flight).
final class HoldingTransport: Transport, @unchecked Sendable {
    private let inner: any Transport
    private let api: ApiKey
    private let lock = NSLock()
    private var held: (() -> Void)?
    private var used = false

    init(_ inner: any Transport, api: ApiKey) {
        self.inner = inner
        self.api = api
    }

    var isHolding: Bool { lock.withLock { held != nil } }

    func release() { lock.withLock { () -> (() -> Void)? in defer { held = nil }; return held }?() }

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        let hold: Bool = lock.withLock {
            guard request.apiKey == api, !used else { return false }
            used = true
            held = { [inner] in inner.send(request, to: node, context: context, completion: completion) }
            return true
        }
        if !hold { inner.send(request, to: node, context: context, completion: completion) }
    }
}

/// A transport that never answers (for tests that drive the producer's state by hand).
struct NoAnswers: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {}
}
