import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// Compaction of transactional data (Kafka's cleaner, KIP-98): aborted records go, committed
/// ones compact by key like any, and markers go once their transaction's data is gone and their
/// delete horizon has passed.
@Suite struct CleanerTransactionTests {
    typealias F = CleanerFixtures
    let t0: Int64 = 1_700_000_000_000
    let retention: Int64 = 1_000

    func data(_ base: Int64, pid: Int64, _ key: String, _ value: String) -> [UInt8] {
        F.batch(base, [.kv(key, value, ts: t0)], attributes: RecordBatchAttributes(isTransactional: true), producerId: pid,
                producerEpoch: 0, baseSequence: 0)
    }

    func marker(_ offset: Int64, pid: Int64, committed: Bool) -> [UInt8] {
        EndTransactionMarker(committed: committed, coordinatorEpoch: 0).batch(baseOffset: offset, timestamp: t0, producerId: pid,
                                                                             producerEpoch: 0).bytes
    }

    /// One round over `segment` (the active segment starts at `bound`), with `aborted` listed.
    func clean(_ segment: [UInt8], bound: Int64, now: Int64, aborted: [AbortedTxnEntry] = [],
               producers: [Int64: ProducerLastRecord] = [:]) throws -> LogCompactor.Result {
        try LogCompactor(config: try F.config(["delete.retention.ms": "\(retention)"]), now: now, producers: producers, aborted: aborted)
            .clean(segments: [F.segment(0, segment)], firstDirtyOffset: 0, firstUncleanableOffset: bound)
    }

    @Test func abortedRecordsGoAndCommittedOnesKeepTheirKeysValue() throws {
        // 0: pid 1 commits a=committed; 1: pid 2 writes a=aborted and aborts; 4: b, no transaction.
        let log = data(0, pid: 1, "a", "committed") + data(1, pid: 2, "a", "aborted") + marker(2, pid: 1, committed: true)
            + marker(3, pid: 2, committed: false) + F.batch(4, [.kv("b", "b1", ts: t0)])
        let aborted = [AbortedTxnEntry(producerId: 2, firstOffset: 1, lastOffset: 3, lastStableOffset: 4)]
        let first = try clean(log, bound: 5, now: t0, aborted: aborted)
        let bytes = first.segments[0].bytes
        #expect(try F.headers(bytes).map(\.baseOffset) == [0, 2, 3, 4], "the aborted batch is gone; the markers stay this round")
        #expect(try F.records(bytes).filter { !$0.isControlRecordLike }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            == ["committed", "b1"], "the aborted a= does not hide the committed one")
        #expect(first.stats.abortedRecordsRemoved == 1 && first.stats.markersRemoved == 0)

        // Next round: the ABORT marker's data is gone, so it gets a delete horizon; the COMMIT
        // marker's data (offset 0) remains, so it stays as it is.
        let second = try clean(bytes, bound: 5, now: t0, aborted: aborted)
        let headers = try F.headers(second.segments[0].bytes)
        #expect(headers.map(\.baseOffset) == [0, 2, 3, 4])
        #expect(headers[1].attributes.hasDeleteHorizon == false)
        #expect(headers[2].attributes.hasDeleteHorizon && headers[2].baseTimestamp == t0 + retention && headers[2].attributes.isControl)
        #expect(try EndTransactionMarker.parse(RecordBatch(bytes: Array(second.segments[0].bytes[try MemoryRecords.batches(in: second.segments[0].bytes)[2].range])))
            == EndTransactionMarker(committed: false, coordinatorEpoch: 0), "the re-encoded marker is still an ABORT marker")

        // Before the horizon it stays; at it, it goes.
        #expect(try F.headers(clean(second.segments[0].bytes, bound: 5, now: t0 + retention - 1, aborted: aborted).segments[0].bytes)
            .map(\.baseOffset) == [0, 2, 3, 4])
        let third = try clean(second.segments[0].bytes, bound: 5, now: t0 + retention, aborted: aborted)
        #expect(try F.headers(third.segments[0].bytes).map(\.baseOffset) == [0, 2, 4])
        #expect(third.stats.markersRemoved == 1)
    }

    /// What grew `__consumer_offsets` without bound: a group that commits only in transactions
    /// writes the same keys again and again, each time with a COMMIT marker.
    @Test func repeatedTransactionalCommitsOfOneKeyCompactToTheLastWithItsMarker() throws {
        var log: [UInt8] = []
        for i in 0 ..< 3 { log += data(Int64(2 * i), pid: 7, "g", "v\(i)") + marker(Int64(2 * i + 1), pid: 7, committed: true) }
        log += F.batch(6, [.kv("other", "x", ts: t0)])
        let first = try clean(log, bound: 7, now: t0)
        #expect(try F.headers(first.segments[0].bytes).map(\.baseOffset) == [1, 3, 4, 5, 6], "superseded data goes; markers wait")
        let second = try clean(first.segments[0].bytes, bound: 7, now: t0)
        #expect(try F.headers(second.segments[0].bytes).filter(\.attributes.hasDeleteHorizon).map(\.baseOffset) == [1, 3])
        let third = try clean(second.segments[0].bytes, bound: 7, now: t0 + retention)
        let kept = third.segments[0].bytes
        #expect(try F.headers(kept).map(\.baseOffset) == [4, 5, 6])
        #expect(try F.records(kept).first.map { String(decoding: $0.value ?? [], as: UTF8.self) } == "v2")
        #expect(kept.count < log.count / 2)
    }

    /// The ABORT marker a coordinator writes when it fences a producer carries the bumped
    /// epoch; while it is the producer's last record it stays, or a rebuild of the producer
    /// state from the log would forget the fencing.
    @Test func aMarkerThatIsAProducersLastRecordStays() throws {
        let log = data(0, pid: 4, "a", "x") + marker(1, pid: 4, committed: false) + F.batch(2, [.kv("b", "1", ts: t0)])
        let aborted = [AbortedTxnEntry(producerId: 4, firstOffset: 0, lastOffset: 1, lastStableOffset: 2)]
        let producers = [Int64(4): ProducerLastRecord(lastDataOffset: nil, producerEpoch: 1, lastMarkerOffset: 1)]
        var bytes = log
        for round in 0 ..< 3 {
            bytes = try clean(bytes, bound: 3, now: t0 + Int64(round) * 2 * retention, aborted: aborted, producers: producers).segments[0].bytes
        }
        #expect(try F.headers(bytes).map(\.baseOffset) == [1, 2], "the aborted data goes; the marker stays whole")
        #expect(try F.headers(bytes)[0].attributes.hasDeleteHorizon == false)
        // Once the producer is forgotten (producer.id.expiration.ms), it goes like any.
        for round in 3 ..< 5 { bytes = try clean(bytes, bound: 3, now: t0 + Int64(round) * 2 * retention, aborted: aborted).segments[0].bytes }
        #expect(try F.headers(bytes).map(\.baseOffset) == [2])
    }

    @Test func abortedRangesAreFoundAmongManyOfOneProducer() {
        var entries: [AbortedTxnEntry] = []
        for i in 0 ..< 100 {
            let first = Int64(i) * 10
            entries.append(AbortedTxnEntry(producerId: 9, firstOffset: first, lastOffset: first + 3, lastStableOffset: first + 4))
        }
        let aborted = AbortedTransactions(entries.shuffled())
        func header(_ base: Int64) -> RecordBatchHeader {
            var b = RecordBatchBuilder(baseOffset: base, attributes: RecordBatchAttributes(isTransactional: true), producerId: 9,
                                       producerEpoch: 0, baseSequence: 0)
            b.append(timestamp: 1, key: nil, value: [1])
            return b.build().header
        }
        let found: [Int] = (0 ..< 1000).filter { aborted.contains(header(Int64($0))) }
        let expected: [Int] = (0 ..< 1000).filter { $0 % 10 <= 3 }
        #expect(found == expected)
    }

    @Test func aMarkerEndingRightBelowTheBoundStays() throws {
        let log = F.batch(0, [.kv("a", "1", ts: t0)]) + marker(1, pid: 3, committed: true)
        var bytes = try clean(log, bound: 2, now: t0).segments[0].bytes
        bytes = try clean(bytes, bound: 2, now: t0 + 10 * retention).segments[0].bytes
        #expect(try F.headers(bytes).map(\.baseOffset) == [0, 1], "the round's last batch is never removed")
    }
}

extension Record {
    /// Control records have a 4-byte key of version and type.
    var isControlRecordLike: Bool { (key?.count ?? 0) == 4 && value?.count == 6 }
}

/// The same through a real PartitionLog: its transaction index lists the aborted transaction,
/// the cleaner removes its data, later its marker and the index entry, and a read_committed
/// reader sees the same records before and after.
@Suite struct CleanerTransactionIntegrationTests {
    let tp = TopicPartition("t", 0)

    func transactional(_ pid: Int64, seq: Int32, _ key: String, _ value: String, ts: Int64) -> [UInt8] {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: pid, producerEpoch: 0,
                                   baseSequence: seq)
        b.append(timestamp: ts, key: Array(key.utf8), value: Array(value.utf8))
        return b.build().bytes
    }

    @Test func abortedDataThenItsMarkerAndIndexEntryGo() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let cfg = config(["cleanup.policy": "compact", "segment.bytes": "300", "min.cleanable.dirty.ratio": "0.01",
                          "delete.retention.ms": "1000", "min.compaction.lag.ms": "0"])
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        let log = try lm.getOrCreateLog(tp, config: cfg)
        for i in 0 ..< 4 {
            _ = try log.append(transactional(1, seq: Int32(i), "k", "committed-\(i)", ts: clock.nowMs()))
            try log.appendMarker(producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, committed: true)
            _ = try log.append(transactional(2, seq: Int32(i), "k", "aborted-\(i)", ts: clock.nowMs()))
            try log.appendMarker(producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, committed: false)
        }
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        func entries() -> [AbortedTxnEntry] { log.abortedTransactionsForCleaning() }
        func values(_ log: PartitionLog) throws -> [String] {
            try readAll(log).compactMap { r in
                let v = String(decoding: r.value ?? [], as: UTF8.self)
                return v.hasPrefix("committed") || v.hasPrefix("aborted") ? v : nil
            }
        }
        func markers(_ log: PartitionLog) throws -> Int { try batchHeaders(log).filter(\.attributes.isControl).count }
        #expect(entries().count == 4)
        #expect(try values(log).filter { $0.hasPrefix("aborted") }.count == 4)
        let end = log.logEndOffset

        #expect(lm.cleaner.cleanOnce())
        #expect(try values(log) == ["committed-3"], "aborted data goes at once; committed data compacts by key")
        #expect(try entries().count == 4 && markers(log) == 8, "the markers stay this round, and the index entries with them")
        // A read_committed reader still gets the aborted ranges the log lists: none of them
        // hides the committed record.
        #expect(log.abortedTransactions(from: 0, upTo: end).allSatisfy { $0.producerId == 2 })

        // The next round (rounds run when new data made the log dirty, as for tombstones)
        // gives the markers whose data is gone a delete horizon; one after it removes them,
        // and the aborted transactions' index entries with them.
        func dirty(_ i: Int) throws {
            var b = RecordBatchBuilder()
            b.append(timestamp: clock.nowMs(), key: Array("other".utf8), value: Array("o\(i)".utf8))
            _ = try log.append(b.build().bytes)
            try log.roll()
            log.maybeIncrementHighWatermark(log.logEndOffset)
        }
        try dirty(1)
        #expect(lm.cleaner.cleanOnce())
        #expect(try markers(log) == 8, "given a horizon, not removed yet")
        clock.advance(ms: 2_000)
        try dirty(2)
        #expect(lm.cleaner.cleanOnce())
        // Each producer's last data batch stays (empty) while the producer is remembered, as
        // in Kafka, so that its sequence numbers survive: producer 2's last aborted
        // transaction keeps its marker and index entry.
        #expect(entries().map(\.lastOffset) == [15], "\(entries())")
        #expect(try markers(log) == 2, "the markers of the two transactions whose batches remain")
        #expect(try values(log) == ["committed-3"])
        // Reopened from disk, the log agrees.
        try lm.shutdown()
        let reopened = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        defer { try? reopened.shutdown() }
        let again = try reopened.getOrCreateLog(tp, config: cfg)
        #expect(again.logEndOffset == log.logEndOffset && again.logEndOffset > end)
        #expect(again.abortedTransactionsForCleaning().map(\.lastOffset) == [15])
        #expect(try values(again) == ["committed-3"])
        #expect(again.lastStableOffset == again.highWatermark || again.highWatermark < end, "no transaction reads as open")
    }
}
