import EddyBroker
@testable import EddyClient
import EddyProtocol
import Foundation
import Synchronization
import Testing

/// Issue 9, section 1: the producer's Produce requests go through its `KafkaClient`, which
/// owns correlation ids and request timeouts for every request.
@Suite(.serialized) struct ProducerClientTests {
    /// Produce requests take their correlation ids from the client's one sequence, between
    /// its Metadata and InitProducerId requests: unique and increasing per client.
    @Test func produceRequestsShareTheClientsCorrelationIds() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("ids", partitions: 2, replicationFactor: 1)
        let recording = RecordingTransport(inner: t.transport)
        let producers = try ["a", "b"].map { id in
            try BytesProducer(config: testProducerConfig { $0.clientId = id; $0.lingerMs = 0 }, transport: recording,
                              bootstrapNodes: t.brokers)
        }
        for round in 0 ..< 3 {
            for p in producers {
                _ = try await p.send(ProducerRecord(topic: "ids", partition: Int32(round % 2), value: [UInt8(round)]))
                try await p.client.refreshMetadata(topics: ["ids"])
            }
        }
        for p in producers { await p.close() }
        for id in ["a", "b"] {
            let sent = recording.sent.filter { $0.clientId == id }
            let ids = sent.map(\.correlationId)
            #expect(ids == Array(1 ... Int32(sent.count)), "client \(id): \(ids)")
            let produce = sent.filter { $0.apiKey == .produce }
            #expect(produce.count == 3, "client \(id)")
            #expect(Set(sent.map(\.apiKey)).isSuperset(of: [.produce, .metadata, .initProducerId]), "client \(id)")
        }
    }

    /// A Produce request with no answer fails with the client's timeout after request.timeout.ms;
    /// without retries the record fails with it.
    @Test func unansweredProduceFailsWithTheClientsRequestTimeout() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("silent", partitions: 1, replicationFactor: 1)
        let leader = try t.cluster.leader(of: TopicPartition("silent", 0))
        let recording = RecordingTransport(inner: t.transport, unansweredProduces: 1)
        defer { recording.releaseHeld() }
        let producer = try BytesProducer(config: testProducerConfig { $0.retries = 0; $0.requestTimeoutMs = 200; $0.lingerMs = 0 },
                                         transport: recording, bootstrapNodes: t.brokers)
        let start = ClientTime.monotonicMs()
        do {
            _ = try await producer.send(ProducerRecord(topic: "silent", value: [1]))
            Issue.record("a record whose request was never answered was acknowledged")
        } catch let error {
            #expect(error == .transport(.timedOut(leader)), "\(error)")
        }
        let elapsed = ClientTime.monotonicMs() - start
        #expect(elapsed >= 200 && elapsed < 3000, "failed after \(elapsed) ms")
        #expect(producer.metrics.requests == 1)
        await producer.close()
        #expect(try t.values(TopicPartition("silent", 0)).isEmpty)
    }

    /// After the client times a Produce request out, the batch goes again (with the same
    /// sequence numbers) once request.timeout.ms has passed, and is written once.
    @Test func timedOutProduceIsRetried() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("retry", partitions: 1, replicationFactor: 1)
        let recording = RecordingTransport(inner: t.transport, unansweredProduces: 1)
        defer { recording.releaseHeld() }
        let producer = try BytesProducer(config: testProducerConfig { $0.requestTimeoutMs = 200; $0.lingerMs = 0 },
                                         transport: recording, bootstrapNodes: t.brokers)
        let metadata = try await producer.send(ProducerRecord(topic: "retry", value: Array("once".utf8)))
        #expect(metadata.offset == 0)
        #expect(producer.isIdempotent)
        #expect(producer.metrics.requests == 2 && producer.metrics.retries == 1)
        let produces = recording.sent.filter { $0.apiKey == .produce }
        #expect(produces.count == 2)
        if produces.count == 2 {
            #expect(produces[1].correlationId > produces[0].correlationId)
            let gap = produces[1].atMs - produces[0].atMs
            #expect(gap >= 200, "retried \(gap) ms after the first attempt")
        }
        await producer.close()
        #expect(try t.values(TopicPartition("retry", 0)) == ["once"])
    }

    /// When no Produce request is ever answered, the client times out each attempt and the
    /// batch expires after delivery.timeout.ms, its last error the client's timeout.
    @Test func unansweredProducesExpireAfterDeliveryTimeout() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("never", partitions: 1, replicationFactor: 1)
        let recording = RecordingTransport(inner: t.transport, unansweredProduces: .max)
        defer { recording.releaseHeld() }
        let producer = try BytesProducer(config: testProducerConfig {
            $0.requestTimeoutMs = 100
            $0.deliveryTimeoutMs = 350
            $0.lingerMs = 0
        }, transport: recording, bootstrapNodes: t.brokers)
        let start = ClientTime.monotonicMs()
        do {
            _ = try await producer.send(ProducerRecord(topic: "never", value: [1]))
            Issue.record("a record whose requests were never answered was acknowledged")
        } catch let error {
            // Expired while queued, or when its last attempt timed out at the delivery deadline.
            guard case let .timeout(message) = error else { throw error }
            #expect(message.contains("delivery.timeout.ms") && message.contains("timed out"), "\(message)")
        }
        let elapsed = ClientTime.monotonicMs() - start
        #expect(elapsed >= 350 && elapsed < 3000, "failed after \(elapsed) ms")
        await producer.close(timeoutMs: 0)
    }

    /// acks=0: the broker sends no response, so the transport completes the request once
    /// written; the client does not wait for request.timeout.ms.
    @Test func acksZeroDoesNotWaitForTheRequestTimeout() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("fire", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig { $0.acks = .none; $0.requestTimeoutMs = 5_000; $0.lingerMs = 0 },
                                         transport: t.transport, bootstrapNodes: t.brokers)
        let start = ClientTime.monotonicMs()
        for i in 0 ..< 5 {
            let m = try await producer.send(ProducerRecord(topic: "fire", value: [UInt8(i)]))
            #expect(m.offset == -1)
        }
        #expect(ClientTime.monotonicMs() - start < 2_500)
        await producer.close()
        #expect(try t.values(TopicPartition("fire", 0)).count == 5)
    }

    // MARK: KafkaClient.send with a completion

    /// The callback `send` completes once: with the response, or with `.transport(.timedOut)`
    /// after the timeout (a later response is dropped), or at once with `.closed`.
    @Test func callbackSendTimesOutOnceAndRefusesAfterClose() async throws {
        let held = RecordingTransport(inner: AnsweringTransport(), unansweredProduces: .max, holdAll: true)
        let client = KafkaClient(transport: held, bootstrapNodes: [3, 0], clientId: "cb", requestTimeoutMs: 50)
        #expect(client.candidateNodes() == [3, 0])
        let outcomes = Mutex<[Result<KafkaResponse, ClientError>]>([])
        let start = ClientTime.monotonicMs()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            client.send(.metadata(MetadataRequest(topics: [])), to: 3) { r in
                outcomes.withLock { $0.append(r) }
                c.resume()
            }
        }
        #expect(ClientTime.monotonicMs() - start >= 50)
        held.releaseHeld(answering: true)
        let first = outcomes.withLock { $0 }
        #expect(first.count == 1)
        if case let .failure(e)? = first.first { #expect(e == .transport(.timedOut(3))) } else { Issue.record("\(first)") }
        #expect(client.candidateNodes() == [0, 3], "the node that timed out goes last")
        client.close()
        let closed = Mutex<Result<KafkaResponse, ClientError>?>(nil)
        client.send(.metadata(MetadataRequest(topics: [])), to: 0) { r in closed.withLock { $0 = r } }
        let afterClose = closed.withLock { $0 }
        if case .failure(.closed)? = afterClose {} else { Issue.record("after close: \(String(describing: afterClose))") }
        #expect(held.sent.map(\.correlationId) == [1])
    }

    /// Requests of different timeouts time out in deadline order, on the client's shared
    /// timer; one answered in time does not time out.
    @Test func callbackSendTimeoutsFireInDeadlineOrder() async throws {
        let held = RecordingTransport(inner: AnsweringTransport(), unansweredProduces: .max, holdAll: true)
        let client = KafkaClient(transport: held, bootstrapNodes: [0], clientId: "order", requestTimeoutMs: 10_000)
        let timedOut = Mutex<[Int32]>([])
        let answered = Mutex<Int>(0)
        await withTaskGroup(of: Void.self) { group in
            for (node, timeout) in [(1, 150), (2, 50), (3, 100), (4, 5_000)] as [(Int32, Int64)] {
                let c = AsyncStream<Void>.makeStream()
                client.send(.metadata(MetadataRequest(topics: [])), to: node, timeoutMs: timeout) { r in
                    switch r {
                    case .failure(.transport(.timedOut(node))): timedOut.withLock { $0.append(node) }
                    case .success: answered.withLock { $0 += 1 }
                    default: Issue.record("node \(node): \(r)")
                    }
                    c.continuation.finish()
                }
                group.addTask { for await _ in c.stream {} }
            }
            // Answer node 4's request before its deadline.
            try? await Task.sleep(nanoseconds: 20_000_000)
            held.releaseHeld(answering: true, where: { $0 == 4 })
        }
        #expect(timedOut.withLock { $0 } == [2, 3, 1])
        #expect(answered.withLock { $0 } == 1)
    }
}

extension ProducerClientTests {
    /// Requests answered after `send` returned leave no timeout behind on the client's shared
    /// timer (each one is forgotten when answered), however many there were.
    @Test func answeredRequestsLeaveNoTimeoutsBehind() async throws {
        let held = RecordingTransport(inner: AnsweringTransport(), unansweredProduces: .max, holdAll: true)
        let client = KafkaClient(transport: held, bootstrapNodes: [0], clientId: "many", requestTimeoutMs: 30_000)
        let answered = Mutex<Int>(0)
        for _ in 0 ..< 1_000 {
            client.send(.metadata(MetadataRequest(topics: [])), to: 0) { r in
                if case .success = r { answered.withLock { $0 += 1 } }
            }
        }
        #expect(client.timeouts.count == 1_000)
        held.releaseHeld(answering: true)
        #expect(answered.withLock { $0 } == 1_000)
        #expect(client.timeouts.count == 0)
    }
}

/// Wraps a transport and records every request (client id, correlation id, API key, node,
/// time) in the order sent. The first `unansweredProduces` Produce requests (every request
/// with `holdAll`) are held and never answered, as by a broker that went silent; the client's
/// timeout fails them. `releaseHeld` completes the held ones at the end (the transport
/// contract), answered by the inner transport or with `.disconnected`.
final class RecordingTransport: Transport, Sendable {
    struct Sent: Sendable {
        var context: RequestContext, apiKey: ApiKey, node: Int32, atMs: Int64
        var clientId: String { context.clientId }
        var correlationId: Int32 { context.correlationId }
    }

    private struct State {
        var sent: [Sent] = []
        var toHold: Int
        /// The held requests' nodes, and how to complete each: answered by `inner` or not.
        var held: [(node: Int32, release: @Sendable (_ answer: Bool) -> Void)] = []
    }

    private let inner: any Transport
    private let holdAll: Bool
    private let state: Mutex<State>

    init(inner: any Transport, unansweredProduces: Int = 0, holdAll: Bool = false) {
        self.inner = inner
        self.holdAll = holdAll
        state = Mutex(State(toHold: unansweredProduces))
    }

    var sent: [Sent] { state.withLock { $0.sent } }

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        let hold: Bool = state.withLock { s in
            s.sent.append(Sent(context: context, apiKey: request.apiKey, node: node, atMs: ClientTime.monotonicMs()))
            guard holdAll || request.apiKey == .produce, s.toHold > 0 else { return false }
            s.toHold -= 1
            let inner = inner
            s.held.append((node, { answer in
                if answer {
                    inner.send(request, to: node, context: context, completion: completion)
                } else {
                    completion(.failure(.disconnected(node)))
                }
            }))
            return true
        }
        if !hold { inner.send(request, to: node, context: context, completion: completion) }
    }

    func releaseHeld(answering: Bool = false, where toNode: (Int32) -> Bool = { _ in true }) {
        let held = state.withLock { s in
            defer { s.held.removeAll { toNode($0.node) } }
            return s.held.filter { toNode($0.node) }
        }
        for h in held { h.release(answering) }
    }
}

/// Answers every request at once with an empty response of its kind.
private struct AnsweringTransport: Transport {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        completion(.success(request.errorResponse(.none)))
    }
}
