import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// Compaction reads the records inside compressed batches (to index keys and to filter) and
/// writes a batch that loses records back compressed with its own codec, as Kafka does.
@Suite struct CleanerCompressionTests {
    typealias F = CleanerFixtures
    let t0: Int64 = 1_700_000_000_000

    static func batch(_ base: Int64, _ records: [TestRecord], codec: CompressionType) throws -> [UInt8] {
        var b = RecordBatchBuilder(baseOffset: base, partitionLeaderEpoch: 0, attributes: RecordBatchAttributes(compression: codec))
        for r in records { b.append(timestamp: r.timestamp, key: F.bytes(r.key), value: F.bytes(r.value), headers: r.headers) }
        return try b.seal().bytes
    }

    @Test(arguments: [CompressionType.gzip, .snappy, .lz4, .zstd])
    func keepsTheLatestPerKeyInsideCompressedBatches(codec: CompressionType) throws {
        let first = try Self.batch(0, [.kv("a", "a1", ts: 1), .kv("b", "b1", ts: 2), .kv("e", "e1", ts: 3)], codec: codec)
        let second = try Self.batch(3, [.kv("a", "a2", ts: 4), .kv("b", nil, ts: 5)], codec: codec)
        let plain = F.batch(5, [.kv("c", "c1", ts: 6)])
        let untouched = try Self.batch(6, [.kv("d", "d1", ts: 7), .kv("f", "f1", ts: 8)], codec: codec)
        let active = F.batch(8, [.kv("z", "z", ts: 9)])
        let r = try LogCompactor(config: try F.config(), now: t0)
            .clean(segments: [F.segment(0, first + second + plain + untouched)], firstDirtyOffset: 0, firstUncleanableOffset: 8)
        let bytes = r.segments[0].bytes
        let records = try F.records(bytes + active)
        #expect(records.map(\.offset) == [2, 3, 4, 5, 6, 7, 8])
        #expect(records.map { $0.key.map { String(decoding: $0, as: UTF8.self) } } == ["e", "a", "b", "c", "d", "f", "z"])
        #expect(records[2].value == nil, "the tombstone stays until its delete horizon")

        let headers = try F.headers(bytes)
        #expect(headers.map(\.baseOffset) == [0, 3, 5, 6])
        // Rewritten batches keep their codec, offset range and (for the tombstone) get a horizon.
        #expect(headers.map { $0.attributes.compression } == [codec, codec, CompressionType.none, codec])
        #expect(headers[0].recordCount == 1 && headers[0].lastOffsetDelta == 2)
        #expect(headers[1].recordCount == 2 && headers[1].attributes.hasDeleteHorizon)
        for loc in try MemoryRecords.batches(in: bytes) {
            try RecordBatch(bytes: Array(bytes[loc.range])).validate(requireContiguousOffsets: false)
        }
        // A batch that keeps every record is copied byte for byte, compressed as it was.
        let copied = try MemoryRecords.batches(in: bytes)[3]
        #expect(Array(bytes[copied.range]) == untouched)
        #expect(r.stats.recordsRead == 8 && r.stats.recordsWritten == 6 && r.stats.batchesCopiedUninspected == 0)
    }

    /// Through a real log: producers' compressed batches on a compacted topic, rolled and
    /// cleaned by the LogManager's cleaner.
    @Test func compactsACompressedPartitionLog() throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let cfg = config(["cleanup.policy": "compact", "segment.bytes": "300", "min.cleanable.dirty.ratio": "0.01"])
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        defer { try? lm.shutdown() }
        let log = try lm.getOrCreateLog(TopicPartition("t", 0), config: cfg)
        let codecs: [CompressionType] = [.gzip, .snappy, .lz4, .zstd]
        for round in 0 ..< 6 {
            let records = (0 ..< 4).map { TestRecord.kv("k\($0)", "v\($0).\(round)", ts: clock.nowMs()) }
            try log.append(try Self.batch(0, records, codec: codecs[round % 4]))
        }
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        #expect(lm.cleaner.cleanOnce())
        let after = try readAll(log)
        #expect(after.map { String(decoding: $0.key ?? [], as: UTF8.self) } == ["k0", "k1", "k2", "k3"])
        #expect(values(after) == ["v0.5", "v1.5", "v2.5", "v3.5"])
        #expect(after.map(\.offset) == [20, 21, 22, 23])
        // Only the last round's batch (snappy) holds records now.
        #expect(try batchHeaders(log).filter { $0.recordCount > 0 }.map { $0.attributes.compression } == [.snappy])
    }
}
