import EddyProtocol
import Testing

/// Batches encoded by an independent implementation, kafka-python 3.0.12, captured once and
/// embedded here (the test needs no Python). Generated with:
///
///     from kafka.record.default_records import DefaultRecordBatchBuilder
///     b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
///             producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
///     b.append(0, timestamp=1700000000000, key=b"key-1", value=b"value-1", headers=[])
///     b.append(1, timestamp=1700000000005, key=None, value=b"no key", headers=[("h1", b"v1")])
///     b.append(2, timestamp=1699999999990, key=b"gone", value=None, headers=[("trace", None), ("", b"")])
///     b.append(3, timestamp=1700000000100, key=b"", value=b"", headers=[("ключ", b"\x00\xff")])
///     plain = bytes(b.build()).hex()
///     b2 = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=True,
///             producer_id=4242, producer_epoch=3, base_sequence=17, batch_size=1 << 20)
///     b2.append(0, timestamp=1234567890123, key=b"k", value=b"v" * 200, headers=[])
///     b2.append(1, timestamp=1234567890123, key=None, value=None, headers=[])
///     transactional = bytes(b2.build()).hex()
///
/// kafka-python writes partitionLeaderEpoch 0 where Kafka's Java producer writes -1, so our
/// builder is given epoch 0 for the comparison.
@Suite struct RecordBatchKafkaPythonFixtureTests {
    static let plain = hexBytes("""
        00000000000000000000007f0000000002fdf9881a0000000000030000018bcfe568000000018bcfe56864ffffffff\
        ffffffffffffffffffff00000004240000000a6b65792d310e76616c75652d310024000a02010c6e6f206b65790204\
        68310476312600130408676f6e6501040a74726163650100002600c8010600000210d0bad0bbd18ed1870400ff
        """)

    static let transactional = hexBytes("""
        00000000000000000000010a0000000002a73f24ea0010000000010000011f71fb04cb0000011f71fb04cb00000000\
        0000109200030000001100000002a003000000026b9003\(String(repeating: "76", count: 200))000c000002010100
        """)

    static let plainRecords = [
        Record(offset: 0, timestamp: 1_700_000_000_000, key: utf8("key-1"), value: utf8("value-1")),
        Record(offset: 1, timestamp: 1_700_000_000_005, key: nil, value: utf8("no key"),
               headers: [RecordHeader(key: "h1", value: utf8("v1"))]),
        Record(offset: 2, timestamp: 1_699_999_999_990, key: utf8("gone"), value: nil,
               headers: [RecordHeader(key: "trace", value: nil), RecordHeader(key: "", value: [])]),
        Record(offset: 3, timestamp: 1_700_000_000_100, key: [], value: [],
               headers: [RecordHeader(key: "ключ", value: [0x00, 0xFF])]),
    ]

    @Test func fixtureSizes() {
        #expect(Self.plain.count == 139)
        #expect(Self.transactional.count == 278)
    }

    @Test func builderMatchesKafkaPythonPlainBatch() {
        var b = RecordBatchBuilder(partitionLeaderEpoch: 0)
        for r in Self.plainRecords {
            b.append(timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers)
        }
        let built = b.build()
        #expect(built.bytes == Self.plain, "got \(hexString(built.bytes))")
    }

    @Test func builderMatchesKafkaPythonTransactionalBatch() {
        var b = RecordBatchBuilder(partitionLeaderEpoch: 0, attributes: RecordBatchAttributes(isTransactional: true),
                                   producerId: 4242, producerEpoch: 3, baseSequence: 17)
        b.append(timestamp: 1_234_567_890_123, key: utf8("k"), value: [UInt8](repeating: 0x76, count: 200))
        b.append(timestamp: 1_234_567_890_123, key: nil, value: nil)
        let built = b.build()
        #expect(built.bytes == Self.transactional, "got \(hexString(built.bytes))")
    }

    @Test func decodesKafkaPythonPlainBatch() throws {
        let batch = try RecordBatch(bytes: Self.plain)
        try batch.validate()
        let h = batch.header
        #expect(h.baseOffset == 0 && h.batchLength == 127 && h.partitionLeaderEpoch == 0 && h.magic == 2)
        #expect(h.crc == 0xFDF9_881A)
        #expect(h.attributes.rawValue == 0)
        #expect(h.lastOffsetDelta == 3 && h.recordCount == 4)
        // The first record's timestamp is the base even though a later one is smaller
        // (its delta, -10, is a negative zigzag varlong).
        #expect(h.baseTimestamp == 1_700_000_000_000 && h.maxTimestamp == 1_700_000_000_100)
        #expect(h.producerId == -1 && h.producerEpoch == -1 && h.baseSequence == -1)
        #expect(try batch.records() == Self.plainRecords)
        var deltas: [Int64] = []
        try batch.forEachRecord { deltas.append($0.timestampDelta) }
        #expect(deltas == [0, 5, -10, 100])
    }

    @Test func decodesKafkaPythonTransactionalBatch() throws {
        let batch = try RecordBatch(bytes: Self.transactional)
        try batch.validate()
        let h = batch.header
        #expect(h.crc == 0xA73F_24EA)
        #expect(h.attributes.isTransactional && !h.attributes.isControl)
        #expect(h.attributes.compression == CompressionType.none && h.attributes.timestampType == .createTime)
        #expect(h.producerId == 4242 && h.producerEpoch == 3 && h.baseSequence == 17 && h.lastSequence == 18)
        #expect(h.isIdempotent)
        #expect(h.baseTimestamp == 1_234_567_890_123 && h.maxTimestamp == 1_234_567_890_123)
        #expect(try batch.records() == [
            Record(offset: 0, timestamp: 1_234_567_890_123, key: utf8("k"), value: [UInt8](repeating: 0x76, count: 200)),
            Record(offset: 1, timestamp: 1_234_567_890_123, key: nil, value: nil),
        ])
    }

    @Test func bothFixturesSplitAsMemoryRecords() throws {
        let run = Self.plain + Self.transactional
        let locs = try MemoryRecords.batches(in: run)
        #expect(locs.map(\.range) == [0 ..< 139, 139 ..< 417])
        #expect(try MemoryRecords.records(in: run).count == 6)
    }
}
