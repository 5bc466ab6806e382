import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing

/// Issue 4, section 7: the idempotent producer under injected lost responses. A transport
/// wrapper delivers every Produce request but loses a seeded fraction of the responses (the
/// producer sees a timeout and retries a batch the leader already wrote) and drops a smaller
/// fraction of requests outright (later batches of the partition then arrive out of sequence).
/// With max.in.flight.requests.per.connection=5, every record must be stored exactly once and
/// in send order per partition; the same run without idempotence must show duplicates, which
/// proves the check can fail.
@Suite(.serialized) struct ProducerIdempotenceTests {
    static let seeds: [UInt64] = [1, 2, 3, 4, 5]

    @Test(arguments: seeds)
    func idempotentProducerWritesEachRecordOnceInOrder(seed: UInt64) async throws {
        let outcome = try await run(seed: seed, idempotent: true)
        let idempotent = outcome.isIdempotent, lost = outcome.lostResponses, dropped = outcome.droppedRequests
        #expect(idempotent, "seed=\(seed): the producer fell back to plain batches")
        #expect(lost > 10 && dropped > 0, "seed=\(seed): too few faults injected (\(lost) responses lost, \(dropped) requests dropped)")
        let failures = outcome.failures.count
        #expect(failures == 0, "seed=\(seed): \(failures) records failed, e.g. \(outcome.failures.first.map { "\($0.value)" } ?? "")")
        for (p, expected) in outcome.expected.sorted(by: { $0.key < $1.key }) {
            let stored = outcome.stored[p] ?? []
            let duplicates = stored.count - Set(stored).count
            #expect(duplicates == 0, "seed=\(seed): partition \(p) holds \(duplicates) duplicates")
            let firstDifference = zip(stored, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(stored.count, expected.count)
            let inOrder = stored == expected
            #expect(inOrder, """
                seed=\(seed): partition \(p) differs from the send order at index \(firstDifference) \
                (\(stored.count) records stored, \(expected.count) sent): \
                stored \(stored[firstDifference ..< min(stored.count, firstDifference + 3)]), \
                sent \(expected[firstDifference ..< min(expected.count, firstDifference + 3)])
                """)
        }
        let offsetsMatch = outcome.offsetsMatch
        #expect(offsetsMatch, "seed=\(seed): acknowledged offsets differ from where the records are")
    }

    @Test func withoutIdempotenceLostResponsesDuplicateRecords() async throws {
        let seed: UInt64 = 1
        let outcome = try await run(seed: seed, idempotent: false)
        let idempotent = outcome.isIdempotent, failures = outcome.failures.count
        #expect(!idempotent)
        #expect(failures == 0, "seed=\(seed): \(failures) records failed")
        let duplicates = outcome.stored.values.reduce(0) { $0 + $1.count - Set($1).count }
        #expect(duplicates > 0, "seed=\(seed): no duplicates without idempotence, so the check above proves nothing")
        // Nothing is lost either way.
        for (p, expected) in outcome.expected {
            let lost = Set(expected).subtracting(outcome.stored[p] ?? []).count
            #expect(lost == 0, "seed=\(seed): partition \(p) lost \(lost) records")
        }
    }

    struct Outcome {
        var isIdempotent: Bool
        var expected: [Int32: [String]]
        var stored: [Int32: [String]]
        var failures: [Int: ClientError]
        var lostResponses: Int
        var droppedRequests: Int
        var offsetsMatch: Bool
    }

    private func run(seed: UInt64, idempotent: Bool) async throws -> Outcome {
        let t = try ProducerTestCluster(brokers: 3)
        defer { t.shutdown() }
        let partitions: Int32 = 4
        try t.cluster.createTopic("idem", partitions: partitions, replicationFactor: 2)
        let lossy = LossyProduceTransport(inner: t.transport, seed: seed, responseLoss: 0.15, requestLoss: 0.03)
        let producer = try Producer(config: testProducerConfig {
            $0.enableIdempotence = idempotent
            $0.maxInFlightRequestsPerConnection = 5
            $0.batchSize = 400
            $0.lingerMs = 2
            $0.requestTimeoutMs = 5_000
            $0.retryBackoffMs = 1
            $0.deliveryTimeoutMs = 120_000
        }, transport: lossy, bootstrapNodes: t.brokers, keySerializer: StringSerializer(), valueSerializer: StringSerializer())
        let total = 4000
        var expected: [Int32: [String]] = [:]
        let results = SendResults()
        for i in 0 ..< total {
            let key = "key-\(i % 37)"
            let p = Partitioner.partition(forKey: Array(key.utf8), partitionCount: Int(partitions))
            let value = "record-\(i)"
            expected[p, default: []].append(value)
            try await producer.send(ProducerRecord(topic: "idem", key: key, value: value), completion: results.completion(i))
        }
        await producer.flush()
        let isIdempotent = producer.isIdempotent
        await producer.close()
        var stored: [Int32: [String]] = [:]
        var offsetByValue: [String: Int64] = [:]
        for p in 0 ..< partitions {
            for r in try t.records(TopicPartition("idem", p)) {
                let v = String(decoding: r.value ?? [], as: UTF8.self)
                stored[p, default: []].append(v)
                if offsetByValue[v] == nil { offsetByValue[v] = r.offset }
            }
        }
        var offsetsMatch = true
        for (i, result) in results.all {
            if case let .success(m) = result, offsetByValue["record-\(i)"] != m.offset { offsetsMatch = false }
        }
        return Outcome(isIdempotent: isIdempotent, expected: expected, stored: stored, failures: results.failures,
                       lostResponses: lossy.lostResponses, droppedRequests: lossy.droppedRequests, offsetsMatch: offsetsMatch)
    }
}

/// Loses Produce traffic at seeded random: with `responseLoss` the request reaches the broker
/// but the response is lost; with `requestLoss` the request never arrives. Either way the
/// caller sees `timedOut`, as after request.timeout.ms. Other requests pass untouched.
final class LossyProduceTransport: Transport, @unchecked Sendable {
    private let inner: any Transport
    private let lock = NSLock()
    private var random: SplitMix64
    private let responseLoss: Double
    private let requestLoss: Double
    private var _lostResponses = 0
    private var _droppedRequests = 0

    init(inner: any Transport, seed: UInt64, responseLoss: Double, requestLoss: Double) {
        self.inner = inner
        random = SplitMix64(seed: seed)
        self.responseLoss = responseLoss
        self.requestLoss = requestLoss
    }

    var lostResponses: Int { lock.withLock { _lostResponses } }
    var droppedRequests: Int { lock.withLock { _droppedRequests } }

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard case let .produce(produce) = request else { return inner.send(request, to: node, context: context, completion: completion) }
        // A leader accepts any sequence from a producer it does not know yet, so losing a
        // partition's first batch while the next one arrives would be a reordering no TCP
        // connection produces (a lost request there means every later one is lost too).
        let startsSequence = produce.topicData.contains { t in
            t.partitionData.contains { p in
                p.records.withUnsafeBytes { try? RecordBatchHeader(parsing: $0) }?.baseSequence == 0
            }
        }
        let (dropRequest, loseResponse): (Bool, Bool) = lock.withLock {
            let draw = Double(random.next() >> 11) / Double(1 << 53)
            if draw < requestLoss, !startsSequence {
                _droppedRequests += 1
                return (true, false)
            }
            if draw < requestLoss + responseLoss {
                _lostResponses += 1
                return (false, true)
            }
            return (false, false)
        }
        if dropRequest { return completion(.failure(.timedOut(node))) }
        inner.send(request, to: node, context: context) { result in
            completion(loseResponse ? .failure(.timedOut(node)) : result)
        }
    }
}
