@testable import EddyClient
import EddyProtocol
import Testing

/// `RecordAccumulator` and `IdempotenceState` as state machines: explicit times, no I/O.
@Suite struct ProducerAccumulatorTests {
    static let topic = "t"
    static let tp0 = TopicPartition("t", 0)
    static let tp1 = TopicPartition("t", 1)

    private func accumulator(batchSize: Int = 1000, lingerMs: Int64 = 10, bufferMemory: Int = 1 << 20,
                             maxRequestSize: Int = 1 << 20, partitions: Int = 2) -> RecordAccumulator {
        var a = RecordAccumulator(
            settings: .init(batchSize: batchSize, lingerMs: lingerMs, retryBackoffMs: 5, deliveryTimeoutMs: 1000,
                            bufferMemory: bufferMemory, maxRequestSize: maxRequestSize),
            partitioner: Partitioner(batchSize: batchSize, random: SplitMix64(seed: 1)))
        a.updateTopic(Self.topic, .init(partitionCount: partitions, availablePartitions: (0 ..< Int32(partitions)).map { $0 }))
        return a
    }

    /// Appends a 100-byte value to `partition`; returns the outcome.
    @discardableResult
    private func append(_ a: inout RecordAccumulator, partition: Int32?, now: Int64 = 0, granted: Int = 0,
                        mayTakeMemory: Bool = true) throws -> RecordAccumulator.AppendOutcome {
        var g = granted
        return try a.append(topic: Self.topic, partition: partition, key: nil, value: [UInt8](repeating: 1, count: 100), headers: [],
                            timestamp: 0, estimate: 131, completion: nil, nowMs: now, grantedMemory: &g, mayTakeMemory: mayTakeMemory)
    }

    private func drain(_ a: inout RecordAccumulator, now: Int64, idempotence: inout IdempotenceState?,
                       allowed: Int = 5) -> RecordAccumulator.DrainResult {
        a.drain(nowMs: now, leaderOf: { _ in 0 }, requestsAllowed: { _ in allowed }, maxInFlightPerPartition: 5,
                idempotence: &idempotence)
    }

    @Test func aBatchWaitsForLingerUnlessFullOrFlushed() throws {
        var a = accumulator()
        var none: IdempotenceState?
        for _ in 0 ..< 3 { try append(&a, partition: 0) }
        var d = drain(&a, now: 5, idempotence: &none)
        #expect(d.requests.isEmpty)
        #expect(d.nextReadyMs == 10)
        d = drain(&a, now: 10, idempotence: &none)
        #expect(d.requests.map { $0.batches.map(\.recordCount) } == [[3]])
        // Eight records fill one 1000-byte batch (109 bytes each once encoded, 131 estimated,
        // plus the 61-byte header); the ninth starts another, and the full one is sendable
        // before linger.ms.
        for _ in 0 ..< 9 { try append(&a, partition: 1, now: 20) }
        d = drain(&a, now: 21, idempotence: &none)
        #expect(d.requests.map { $0.batches.map(\.recordCount) } == [[8]])
        #expect(d.nextReadyMs == 30)
        let mark = a.beginFlush()
        d = drain(&a, now: 22, idempotence: &none)
        #expect(d.requests.map { $0.batches.map(\.recordCount) } == [[1]])
        #expect(!a.isDone(upTo: mark))
        for r in d.requests { for b in r.batches { a.done(b) } }
        #expect(!a.isDone(upTo: mark), "the first batches are still in flight")
    }

    @Test func newBatchesTakeBufferMemoryAndWaitWhenItIsShort() throws {
        var a = accumulator(batchSize: 1000, bufferMemory: 2000)
        var none: IdempotenceState?
        for _ in 0 ..< 8 { try append(&a, partition: 0) }
        try append(&a, partition: 1)
        #expect(a.availableMemory == 0)
        #expect(try append(&a, partition: 0) == .needsMemory(1000))
        // While others wait, a new batch may not take freed memory; a grant is used instead.
        #expect(try append(&a, partition: 0, granted: 1000, mayTakeMemory: false) == .appended(Self.tp0, newBatch: true, previousFull: true))
        let d = drain(&a, now: 100, idempotence: &none)
        for r in d.requests { for b in r.batches { a.done(b) } }
        #expect(a.availableMemory == 2000, "each done batch gives its reservation back")
    }

    @Test func requestsStayWithinMaxRequestSize() throws {
        var a = accumulator(batchSize: 1000, maxRequestSize: 1500)
        var none: IdempotenceState?
        for p: Int32 in [0, 1] { for _ in 0 ..< 7 { try append(&a, partition: p) } }
        let d = drain(&a, now: 100, idempotence: &none)
        #expect(d.requests.count == 2)
        #expect(d.requests.map { $0.batches.map(\.topicPartition) } == [[Self.tp0], [Self.tp1]])
    }

    @Test func idempotentBatchesGetSequencesAndRetriesGoAloneInOrder() throws {
        var a = accumulator(batchSize: 320, lingerMs: 0)
        var idem: IdempotenceState? = IdempotenceState()
        // No producer id yet: nothing is drained.
        try append(&a, partition: 0)
        #expect(drain(&a, now: 1, idempotence: &idem).requests.isEmpty)
        idem!.setProducerId(42, epoch: 3)
        // Five batches of two records each (a third would pass 320 bytes).
        for _ in 0 ..< 9 { try append(&a, partition: 0) }
        var d = drain(&a, now: 1, idempotence: &idem)
        let sent = d.requests.flatMap(\.batches)
        #expect(sent.map(\.baseSequence) == [0, 2, 4, 6, 8])
        #expect(sent.allSatisfy { $0.producerId == 42 && $0.producerEpoch == 3 })
        sent[1].encode()
        let header = try sent[1].bytes.withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
        #expect(header.producerId == 42 && header.producerEpoch == 3 && header.baseSequence == 2)
        #expect(try RecordBatch(bytes: sent[1].bytes).computedChecksum == header.crc, "the stamped batch is re-sealed")

        // The second and fourth fail (retriable); the others succeed.
        try append(&a, partition: 0, now: 2)
        a.reenqueue(sent[3], nowMs: 2)
        a.reenqueue(sent[1], nowMs: 2)
        #expect(drain(&a, now: 10, idempotence: &idem).requests.isEmpty, "retries wait for the batches in flight")
        for b in [sent[0], sent[2], sent[4]] { a.done(b) }
        d = drain(&a, now: 10, idempotence: &idem)
        #expect(d.requests.flatMap(\.batches).map(\.baseSequence) == [2], "the earliest retry goes first, alone")
        #expect(drain(&a, now: 10, idempotence: &idem).requests.isEmpty, "nothing follows a retry in flight")
        a.done(sent[1])
        d = drain(&a, now: 10, idempotence: &idem)
        #expect(d.requests.flatMap(\.batches).map(\.baseSequence) == [6])
        a.done(sent[3])
        d = drain(&a, now: 10, idempotence: &idem)
        #expect(d.requests.flatMap(\.batches).map(\.baseSequence) == [10], "new batches continue the sequence")
    }

    @Test func expiredBatchesAreTakenOut() throws {
        var a = accumulator()
        try append(&a, partition: 0, now: 0)
        try append(&a, partition: 1, now: 500)
        #expect(a.nextExpiryMs == 1000)
        #expect(a.expiredBatches(nowMs: 999).isEmpty)
        #expect(a.expiredBatches(nowMs: 1000).map(\.topicPartition) == [Self.tp0])
        #expect(a.nextExpiryMs == 1500)
    }

    /// Keyless records land where `Partitioner` puts them when told of every record (the
    /// accumulator only consults it when its choice may change). The reference below feeds
    /// the partitioner record by record, with the same batch-full events; batches are also
    /// drained at random points, so partitions move on both by the full-batch rule and by
    /// the 2 × batch.size rule.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func stickyPartitionsMatchThePartitionerFedPerRecord(seed: UInt64) throws {
        let batchSize = 1000, estimate = 131, encoded = 109, partitions = 3
        var a = accumulator(batchSize: batchSize, partitions: partitions)
        a = RecordAccumulator(settings: a.settings, partitioner: Partitioner(batchSize: batchSize, random: SplitMix64(seed: seed)))
        a.updateTopic(Self.topic, .init(partitionCount: partitions, availablePartitions: [0, 1, 2]))
        var reference = Partitioner(batchSize: batchSize, random: SplitMix64(seed: seed))
        var open: [Int32: Int] = [:]   // records in each partition's open batch
        var draws = SplitMix64(seed: seed &* 31)
        var none: IdempotenceState?
        for i in 0 ..< 3000 {
            guard case let .appended(tp, _, _) = try append(&a, partition: nil, now: Int64(i)) else {
                Issue.record("record \(i) not appended")
                return
            }
            var choice = try reference.partition(topic: Self.topic, key: nil, partitionCount: partitions)
            while let n = open[choice.partition] {
                if RecordBatchHeader.size + n * encoded + estimate <= batchSize { break }
                open[choice.partition] = nil
                reference.recordAppended(topic: Self.topic, choice: choice, bytes: 0, batchIsReady: true, partitionCount: partitions)
                let next = try reference.partition(topic: Self.topic, key: nil, partitionCount: partitions)
                if next == choice { break }
                choice = next
            }
            open[choice.partition, default: 0] += 1
            reference.recordAppended(topic: Self.topic, choice: choice, bytes: estimate, batchIsReady: false, partitionCount: partitions)
            #expect(tp.partition == choice.partition, "seed=\(seed): record \(i)")
            guard tp.partition == choice.partition else { return }
            if draws.next() % 23 == 0 {
                // Send everything: every open batch closes without filling.
                while true {
                    let d = drain(&a, now: Int64(i) + 1000, idempotence: &none)
                    if d.requests.isEmpty { break }
                    for r in d.requests { for b in r.batches { a.done(b) } }
                }
                open.removeAll()
            }
        }
    }

    @Test func outOfOrderIsRetriableOnlyPastTheNextExpectedRecord() {
        var i = IdempotenceState()
        i.setProducerId(1, epoch: 0)
        #expect(i.assignSequences(Self.tp0, count: 10) == 0)
        #expect(i.assignSequences(Self.tp0, count: 10) == 10)
        #expect(!i.outOfOrderIsRetriable(Self.tp0, basePosition: 0), "nothing acknowledged: 0 is the next expected")
        #expect(i.outOfOrderIsRetriable(Self.tp0, basePosition: 10), "an earlier batch is unresolved")
        i.acknowledged(Self.tp0, lastPosition: 9)
        #expect(!i.outOfOrderIsRetriable(Self.tp0, basePosition: 10))
        i.acknowledged(Self.tp0, lastPosition: 19)
        #expect(!i.outOfOrderIsRetriable(Self.tp0, basePosition: 10), "the leader forgot a batch it acknowledged later ones after")
        #expect(IdempotenceState.wireSequence(Int64(Int32.max) + 1) == 0)
        #expect(IdempotenceState.increment(Int32.max, by: 1) == 0)
        #expect(IdempotenceState.increment(5, by: 3) == 8)
    }
}
