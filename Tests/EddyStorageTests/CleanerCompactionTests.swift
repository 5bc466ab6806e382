import EddyProtocol
@testable import EddyStorage
import Testing

/// The compactor's record and batch rules, on small hand-built logs.
@Suite struct CleanerCompactionTests {
    typealias F = CleanerFixtures
    let t0: Int64 = 1_700_000_000_000

    /// Cleans every inactive segment of `log` from `firstDirty` and swaps the result in.
    @discardableResult
    func clean(_ log: inout InMemoryLog, firstDirty: Int64, now: Int64,
               options: LogCompactor.Options = .init(), producers: [Int64: ProducerLastRecord] = [:]) throws -> LogCompactor.Result {
        let bound = log.segments.last!.baseOffset
        let r = try LogCompactor(config: log.config, now: now, producers: producers, options: options)
            .clean(segments: log.cleanerSegments(below: bound), firstDirtyOffset: firstDirty, firstUncleanableOffset: bound)
        log.replace(with: r.segments)
        return r
    }

    func records(_ log: InMemoryLog) throws -> [Record] { try F.records(log.allBytes) }

    @Test func keepsLatestRecordPerKeyAtItsOriginalOffset() throws {
        var log = InMemoryLog(config: try F.config())
        log.append([.kv("a", "a1", ts: 1000), .kv("b", "b1", ts: 1001), .kv("c", "c1", ts: 1002)])
        log.append([.kv("a", "a2", ts: 1003), .kv("d", "d1", ts: 1004)])
        log.roll()
        let untouched = CleanerFixtures.batch(5, [.kv("b", "b2", ts: 1005), .kv("a", "a3", ts: 1006)])
        log.append([.kv("b", "b2", ts: 1005), .kv("a", "a3", ts: 1006)])
        log.roll()
        log.append([.kv("a", "active", ts: 1007)])
        let before = try records(log)

        let r = try clean(&log, firstDirty: 0, now: t0)

        let after = try records(log)
        #expect(after.map(\.offset) == [2, 4, 5, 6, 7])
        #expect(after.map { String(decoding: $0.value!, as: UTF8.self) } == ["c1", "d1", "b2", "a3", "active"])
        // Every survivor is exactly the record that was at that offset before.
        for rec in after { #expect(before.first { $0.offset == rec.offset } == rec) }
        #expect(r.endOffset == 7)
        #expect(r.segments.count == 1)
        #expect(r.segments[0].info.replacedBaseOffsets == [0, 5])
        #expect(r.stats.recordsRead == 7)
        #expect(r.stats.recordsWritten == 4)
        #expect(r.stats.recordsSuperseded == 3)

        let headers = try F.headers(r.segments[0].bytes)
        #expect(headers.map(\.baseOffset) == [0, 3, 5])
        #expect(headers.map(\.lastOffsetDelta) == [2, 1, 1], "lastOffsetDelta keeps the original last offset")
        #expect(headers.map(\.recordCount) == [1, 1, 2])
        // A batch that lost nothing is copied byte for byte.
        #expect(Array(r.segments[0].bytes.suffix(untouched.count)) == untouched)
        #expect(r.segments[0].info.nextOffset == 7)
    }

    @Test func keepsProducerFieldsLeaderEpochAndHeadersOfRewrittenBatches() throws {
        let headers = [RecordHeader(key: "h1", value: [1, 2, 3]), RecordHeader(key: "nil", value: nil), RecordHeader(key: "", value: [])]
        // Idempotent, not transactional: transactional batches index no keys (see LogCompactor).
        let attrs = RecordBatchAttributes(timestampType: .createTime)
        let b0 = F.batch(0, [.kv("a", "1", ts: 500, headers: headers), .kv("b", "2", ts: 400, headers: headers),
                            .kv("a", "3", ts: 600, headers: [])],
                         epoch: 7, attributes: attrs, producerId: 42, producerEpoch: 3, baseSequence: 10)
        let original = try F.headers(b0)[0]
        let r = try LogCompactor(config: try F.config(), now: t0)
            .clean(segments: [F.segment(0, b0)], firstDirtyOffset: 0, firstUncleanableOffset: 3)
        let h = try F.headers(r.segments[0].bytes)[0]
        #expect(h.baseOffset == 0)
        #expect(h.partitionLeaderEpoch == 7)
        #expect(h.producerId == 42)
        #expect(h.producerEpoch == 3)
        #expect(h.baseSequence == 10)
        #expect(h.lastOffsetDelta == 2)
        #expect(h.lastSequence == original.lastSequence)
        #expect(h.attributes == original.attributes)
        #expect(h.recordCount == 2)
        // The first record went, so the base timestamp is the first survivor's.
        #expect(h.baseTimestamp == 400)
        #expect(h.maxTimestamp == 600)
        let recs = try F.records(r.segments[0].bytes)
        #expect(recs == [Record(offset: 1, timestamp: 400, key: F.bytes("b"), value: F.bytes("2"), headers: headers),
                         Record(offset: 2, timestamp: 600, key: F.bytes("a"), value: F.bytes("3"), headers: [])])
    }

    @Test func tombstoneGetsDeleteHorizonThenIsRemovedAfterDeleteRetention() throws {
        let clock = ManualClock(nowMs: t0)
        var log = InMemoryLog(config: try F.config(["delete.retention.ms": "1000"]))
        log.append([.kv("a", "1", ts: t0 - 50), .kv("a", nil, ts: t0 - 40), .kv("b", "1", ts: t0 - 30)])
        log.roll()
        log.append([.kv("c", "1", ts: t0)])

        // First clean: the tombstone is kept and its batch gets a delete horizon.
        var r = try clean(&log, firstDirty: 0, now: clock.nowMs())
        var h = try F.headers(log.segments[0].bytes)[0]
        #expect(h.attributes.hasDeleteHorizon)
        #expect(h.baseTimestamp == t0 + 1000)
        #expect(h.maxTimestamp == t0 - 30)
        #expect(try F.records(log.segments[0].bytes) == [
            Record(offset: 1, timestamp: t0 - 40, key: F.bytes("a"), value: nil),
            Record(offset: 2, timestamp: t0 - 30, key: F.bytes("b"), value: F.bytes("1")),
        ], "timestamps survive re-basing on the delete horizon")
        #expect(r.stats.tombstonesRemoved == 0)

        // Just before the horizon the tombstone stays, and the batch is not rewritten again.
        let horizonBatch = log.segments[0].bytes
        log.roll()
        log.append([.kv("d", "1", ts: t0)])
        clock.advance(ms: 999)
        r = try clean(&log, firstDirty: 3, now: clock.nowMs())
        #expect(Array(log.segments[0].bytes.prefix(horizonBatch.count)) == horizonBatch)
        #expect(r.stats.tombstonesRemoved == 0)

        // At the horizon it goes; the surviving record keeps its timestamp and the horizon bit.
        log.roll()
        log.append([.kv("e", "1", ts: t0)])
        clock.advance(ms: 1)
        r = try clean(&log, firstDirty: 4, now: clock.nowMs())
        #expect(r.stats.tombstonesRemoved == 1)
        h = try F.headers(log.segments[0].bytes)[0]
        #expect(h.attributes.hasDeleteHorizon)
        #expect(h.baseTimestamp == t0 + 1000)
        #expect(h.recordCount == 1)
        #expect(try records(log).map(\.offset) == [2, 3, 4, 5])
        #expect(try records(log)[0] == Record(offset: 2, timestamp: t0 - 30, key: F.bytes("b"), value: F.bytes("1")))
    }

    @Test func tombstoneSupersededByLaterValueIsRemovedAtOnce() throws {
        var log = InMemoryLog(config: try F.config())
        log.append([.kv("a", nil, ts: 1)])
        log.append([.kv("a", "back", ts: 2)])
        log.append([.kv("z", "1", ts: 3)])
        log.roll()
        log.append([.kv("z", "2", ts: 4)])
        try clean(&log, firstDirty: 0, now: t0)
        #expect(try records(log).map(\.offset) == [1, 2, 3])
    }

    @Test func logAppendTimeBatchKeepsItsAppendTime() throws {
        var b = try RecordBatch(bytes: F.batch(0, [.kv("a", "1", ts: 10), .kv("a", "2", ts: 20), .kv("b", nil, ts: 30)]))
        b.setLogAppendTime(t0 - 5)
        let r = try LogCompactor(config: try F.config(), now: t0)
            .clean(segments: [F.segment(0, b.bytes)], firstDirtyOffset: 0, firstUncleanableOffset: 3)
        let h = try F.headers(r.segments[0].bytes)[0]
        #expect(h.attributes.timestampType == .logAppendTime)
        #expect(h.attributes.hasDeleteHorizon)
        #expect(h.maxTimestamp == t0 - 5)
        #expect(try F.records(r.segments[0].bytes).map(\.timestamp) == [t0 - 5, t0 - 5])
    }

    @Test func dropsRecordsWithoutKey() throws {
        let seg = F.batch(0, [.kv(nil, "x", ts: 1), .kv("a", "1", ts: 2), .kv(nil, "y", ts: 3), .kv("b", "2", ts: 4)])
        let r = try LogCompactor(config: try F.config(), now: t0)
            .clean(segments: [F.segment(0, seg)], firstDirtyOffset: 0, firstUncleanableOffset: 4)
        #expect(try F.records(r.segments[0].bytes).map(\.offset) == [1, 3])
        #expect(r.stats.invalidRecordsRemoved == 2)
    }

    @Test func keyOnlyInCleanSectionIsKept() throws {
        var log = InMemoryLog(config: try F.config())
        log.append([.kv("old", "1", ts: 1)])
        log.roll()
        log.append([.kv("new", "1", ts: 2), .kv("new", "2", ts: 3)])
        log.roll()
        log.append([.kv("x", "1", ts: 4)])
        try clean(&log, firstDirty: 1, now: t0)
        #expect(try records(log).map(\.offset) == [0, 2, 3])
    }

    @Test func emptiedBatchIsRemovedUnlessItEndsTheRoundOrHoldsAProducersLastOffset() throws {
        // Batch 0 (producer 7) loses its only record to offset 1; batch 2 (a keyless record)
        // empties too but ends right below the first uncleanable offset.
        func log() throws -> InMemoryLog {
            var l = InMemoryLog(config: try F.config())
            l.append([.kv("a", "1", ts: 100)], producerId: 7)
            l.append([.kv("a", "2", ts: 200)])
            l.append([.kv(nil, "x", ts: 300)])
            l.roll()
            l.append([.kv("b", "1", ts: 400)])
            return l
        }
        var plain = try log()
        let r1 = try clean(&plain, firstDirty: 0, now: t0)
        var hs = try F.headers(plain.segments[0].bytes)
        #expect(hs.map(\.baseOffset) == [1, 2])
        #expect(hs[1].recordCount == 0)
        #expect(hs[1].baseTimestamp == -1)
        #expect(hs[1].maxTimestamp == 300)
        #expect(hs[1].lastOffsetDelta == 0)
        #expect(r1.segments[0].info.nextOffset == 3)
        #expect(r1.stats.batchesRemoved == 1)
        #expect(r1.stats.emptyBatchesRetained == 1)

        var withProducer = try log()
        try clean(&withProducer, firstDirty: 0, now: t0, producers: [7: ProducerLastRecord(lastDataOffset: 0, producerEpoch: 0)])
        hs = try F.headers(withProducer.segments[0].bytes)
        #expect(hs.map(\.baseOffset) == [0, 1, 2])
        #expect(hs[0].recordCount == 0)
        #expect(hs[0].producerId == 7)
        #expect(hs[0].baseSequence == 0)
        // A batch of the same producer that is not its last is still removed.
        var stale = try log()
        try clean(&stale, firstDirty: 0, now: t0, producers: [7: ProducerLastRecord(lastDataOffset: 99, producerEpoch: 0)])
        #expect(try F.headers(stale.segments[0].bytes).map(\.baseOffset) == [1, 2])
    }

    @Test func copiesControlBatchesUnchangedAndRefusesCorruptCompressedOnes() throws {
        let control = F.batch(1, [.kv("ctl", "marker", ts: 2)], attributes: RecordBatchAttributes(isControl: true),
                              producerId: 5, producerEpoch: 0)
        let later = F.batch(2, [.kv("a", "2", ts: 3)])
        let seg = F.batch(0, [.kv("a", "1", ts: 1)]) + control + later
        let r = try LogCompactor(config: try F.config(), now: t0)
            .clean(segments: [F.segment(0, seg)], firstDirtyOffset: 0, firstUncleanableOffset: 3)
        #expect(r.segments[0].bytes == control + later)
        #expect(r.stats.batchesCopiedUninspected == 1)
        // The gzip bits over records that are no gzip stream: compressed batches are read now,
        // so this one is corrupt.
        var gz = try RecordBatch(bytes: F.batch(0, [.kv("a", "1", ts: 1)]))
        var raw = gz.bytes
        raw[RecordBatchHeader.attributesOffset + 1] |= CompressionType.gzip.rawValue
        gz = try RecordBatch(bytes: raw)
        gz.reseal()
        #expect {
            _ = try LogCompactor(config: try F.config(), now: t0)
                .clean(segments: [F.segment(0, gz.bytes + control + later)], firstDirtyOffset: 0, firstUncleanableOffset: 3)
        } throws: { error in
            guard case let .corruptBatch(_, position, .compression(.corrupt(codec: .gzip, _))) = error as? LogCleanerError else { return false }
            return position == 0
        }
    }

    @Test func offsetMapThatFillsLimitsTheRoundAndLaterRoundsFinish() throws {
        var log = InMemoryLog(config: try F.config())
        for round in 0 ..< 2 {
            for k in 0 ..< 10 { log.append([.kv("k\(k)", "r\(round)", ts: Int64(round * 10 + k))]) }
            log.roll()
        }
        log.append([.kv("active", "1", ts: 99)])
        let finalExpected = Array(10 ... 20) as [Int64]
        // Room for six 2-byte keys: the 7th needs a bigger table than the limit allows.
        let options = LogCompactor.Options(offsetMapMemoryLimit: OffsetMap.memoryNeeded(keyCount: 6, totalKeyBytes: 12))
        var firstDirty: Int64 = 0
        var ends: [Int64] = []
        while firstDirty < 20 {
            let before = try records(log)
            let r = try clean(&log, firstDirty: firstDirty, now: t0, options: options)
            #expect(r.endOffset > firstDirty)
            let after = try records(log)
            for rec in after { #expect(before.contains(rec)) }
            // Latest values never disappear.
            #expect(Set(finalExpected).isSubset(of: Set(after.map(\.offset))))
            firstDirty = r.endOffset
            ends.append(r.endOffset)
        }
        #expect(ends == [6, 12, 18, 20])
        #expect(try records(log).map(\.offset) == finalExpected)
    }

    @Test func offsetMapTooSmallForOneKeyIsAnError() throws {
        let seg = F.batch(0, [.kv("a", "1", ts: 1)])
        #expect(throws: LogCleanerError.self) {
            try LogCompactor(config: try F.config(), now: t0, options: .init(offsetMapMemoryLimit: 10))
                .clean(segments: [F.segment(0, seg)], firstDirtyOffset: 0, firstUncleanableOffset: 1)
        }
    }

    @Test func smallReadBufferGivesTheSameResult() throws {
        var log = InMemoryLog(config: try F.config(["segment.bytes": "600"]))
        var rng = SplitMix64(seed: 7)
        for i in 0 ..< 80 {
            let n = Int(rng.next() % 4) + 1
            log.append((0 ..< n).map { j in
                .kv("k\(rng.next() % 9)", rng.next() % 5 == 0 ? nil : String(repeating: "v", count: Int(rng.next() % 40)),
                    ts: Int64(i * 10 + j))
            })
        }
        let bound = log.segments.last!.baseOffset
        func run(_ io: Int) throws -> LogCompactor.Result {
            try LogCompactor(config: log.config, now: t0, options: .init(ioBufferSize: io))
                .clean(segments: log.cleanerSegments(below: bound), firstDirtyOffset: 0, firstUncleanableOffset: bound)
        }
        let big = try run(1 << 20)
        for io in [1, 61, 62, 100, 333] {
            let small = try run(io)
            #expect(small.segments == big.segments, "ioBufferSize \(io)")
            #expect(small.stats == big.stats, "ioBufferSize \(io)")
        }
    }

    @Test func corruptBatchFailsTheRoundWithoutOutput() throws {
        var log = InMemoryLog(config: try F.config())
        log.append([.kv("a", "1", ts: 1), .kv("b", "1", ts: 2)])
        log.roll()
        log.append([.kv("a", "2", ts: 3)])
        log.roll()
        log.append([.kv("c", "1", ts: 4)])
        let bound = log.segments.last!.baseOffset
        // Corrupt the clean section (read only when rewriting) and the dirty section (read when indexing).
        for (segment, firstDirty) in [(0, 2), (1, 0)] as [(Int, Int64)] {
            var bad = log
            bad.segments[segment].bytes[bad.segments[segment].bytes.count - 2] ^= 0x40
            let compactor = LogCompactor(config: log.config, now: t0)
            #expect {
                _ = try compactor.clean(segments: bad.cleanerSegments(below: bound), firstDirtyOffset: firstDirty,
                                        firstUncleanableOffset: bound)
            } throws: { error in
                guard case let .corruptBatch(base, _, .checksumMismatch) = error as? LogCleanerError else { return false }
                return base == bad.segments[segment].baseOffset
            }
        }
    }

    @Test func truncatedOrOversizedBatchIsCorrupt() throws {
        let good = F.batch(0, [.kv("a", "1", ts: 1)]) + F.batch(1, [.kv("b", "1", ts: 2)])
        var huge = good
        huge.withUnsafeMutableBytes { $0.storeBytes(of: Int32.max.bigEndian, toByteOffset: 8, as: Int32.self) }
        for bytes in [Array(good.dropLast(3)), huge, Array(good.prefix(good.count - 70 + 5))] {
            #expect(throws: LogCleanerError.self) {
                try LogCompactor(config: try F.config(), now: t0, options: .init(ioBufferSize: 64))
                    .clean(segments: [F.segment(0, bytes)], firstDirtyOffset: 0, firstUncleanableOffset: 2)
            }
        }
    }

    @Test func rejectsOffsetsOutOfOrderOrPastTheSegmentEnd() throws {
        let disordered = F.batch(5, [.kv("a", "1", ts: 1)]) + F.batch(3, [.kv("b", "1", ts: 2)])
        let tooFar = F.batch(0, [.kv("a", "1", ts: 1), .kv("b", "1", ts: 2)])
        for (bytes, bound) in [(disordered, 10), (tooFar, 1)] as [([UInt8], Int64)] {
            #expect {
                try LogCompactor(config: try F.config(), now: t0)
                    .clean(segments: [F.segment(0, bytes)], firstDirtyOffset: 0, firstUncleanableOffset: bound)
            } throws: { error in
                if case .offsetsOutOfOrder = error as? LogCleanerError { return true }
                return false
            }
        }
    }

    @Test func rejectsInconsistentInput() throws {
        let seg = F.batch(0, [.kv("a", "1", ts: 1)])
        let c = LogCompactor(config: try F.config(), now: t0)
        #expect(throws: LogCleanerError.self) { try c.clean(segments: [], firstDirtyOffset: 0, firstUncleanableOffset: 1) }
        #expect(throws: LogCleanerError.self) {
            try c.clean(segments: [F.segment(0, seg)], firstDirtyOffset: 1, firstUncleanableOffset: 1)
        }
        #expect(throws: LogCleanerError.self) {
            try c.clean(segments: [F.segment(5, seg), F.segment(0, seg)], firstDirtyOffset: 0, firstUncleanableOffset: 9)
        }
    }

    @Test func abortStopsTheRound() throws {
        var log = InMemoryLog(config: try F.config())
        for i in 0 ..< 5 { log.append([.kv("k", "\(i)", ts: Int64(i))]); log.roll() }
        let bound = log.segments.last!.baseOffset
        let tp = TopicPartition("t", 0)
        var calls = 0
        #expect(throws: LogCleanerError.aborted(tp)) {
            try LogCompactor(config: log.config, now: t0)
                .clean(segments: log.cleanerSegments(below: bound), firstDirtyOffset: 0, firstUncleanableOffset: bound) {
                    calls += 1
                    if calls == 3 { throw LogCleanerError.aborted(tp) }
                }
        }
    }
}

