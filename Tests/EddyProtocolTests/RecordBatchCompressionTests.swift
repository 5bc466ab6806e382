import EddyProtocol
import Foundation
import Testing

/// Compressed record batches: batches real clients wrote (Fixtures/compressed, captured by
/// scripts/capture-compressed-batches: confluent-kafka's librdkafka with each codec, kafka-python
/// with gzip), and batches the builder seals with each codec.
@Suite struct RecordBatchCompressionTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/compressed")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(name).bin")))
    }

    /// The records every fixture holds (see the capture script).
    static let fixtureRecords = [
        Record(offset: 0, timestamp: 1_700_000_000_000, key: utf8("key-1"), value: Array(repeating: utf8("value-1"), count: 20).flatMap { $0 }),
        Record(offset: 1, timestamp: 1_700_000_000_001, key: nil, value: utf8("no key"), headers: [RecordHeader(key: "h", value: utf8("v"))]),
        Record(offset: 2, timestamp: 1_700_000_000_002, key: utf8("key-3"), value: utf8("value-3")),
    ]

    @Test(arguments: [("confluent-kafka-gzip", CompressionType.gzip), ("confluent-kafka-snappy", .snappy),
                      ("confluent-kafka-lz4", .lz4), ("confluent-kafka-zstd", .zstd), ("kafka-python-gzip", .gzip)])
    func decodesBatchesRealClientsCompressed(name: String, codec: CompressionType) throws {
        let batch = try RecordBatch(bytes: try Self.fixture(name))
        #expect(batch.header.attributes.compression == codec)
        #expect(batch.header.recordCount == 3 && batch.header.lastOffsetDelta == 2)
        try batch.validate()
        #expect(try batch.records() == Self.fixtureRecords)
        #expect(try MemoryRecords.records(in: batch.bytes) == Self.fixtureRecords)
    }

    /// librdkafka's zstd frames leave the content size out of the frame header; its snappy is
    /// one raw block, not the xerial framing.
    @Test func librdkafkaFramesAreTheKindsEachCodecMustRead() throws {
        let zstd = try Self.fixture("confluent-kafka-zstd")
        #expect(Array(zstd[61 ..< 65]) == [0x28, 0xB5, 0x2F, 0xFD])
        #expect(zstd[65] & 0xC0 == 0 && zstd[65] & 0x20 == 0, "no Frame_Content_Size, not single-segment")
        let snappy = try Self.fixture("confluent-kafka-snappy")
        #expect(snappy[61] != 0x82)
        let lz4 = try Self.fixture("confluent-kafka-lz4")
        #expect(Array(lz4[61 ..< 65]) == [0x04, 0x22, 0x4D, 0x18])
    }

    @Test(arguments: [CompressionType.gzip, .snappy, .lz4, .zstd])
    func builderSealsWithEachCodec(codec: CompressionType) throws {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: codec), producerId: 9, producerEpoch: 2, baseSequence: 40)
        var expected: [Record] = []
        for i in 0 ..< 200 {
            let key: [UInt8]? = i % 10 == 3 ? nil : utf8("key-\(i % 17)")
            let value: [UInt8]? = i % 50 == 7 ? nil : utf8(String(repeating: "value \(i) ", count: i % 5 + 1))
            let headers = i % 3 == 0 ? [RecordHeader(key: "n", value: utf8("\(i)"))] : []
            b.append(timestamp: 1_000 + Int64(i), key: key, value: value, headers: headers)
            expected.append(Record(offset: Int64(i), timestamp: 1_000 + Int64(i), key: key, value: value, headers: headers))
        }
        #expect(b.compression == codec)
        let batch = try b.seal()
        let h = batch.header
        #expect(h.attributes.compression == codec)
        #expect(h.recordCount == 200 && h.lastOffsetDelta == 199 && h.maxTimestamp == 1_199 && h.baseTimestamp == 1_000)
        #expect(h.producerId == 9 && h.producerEpoch == 2 && h.baseSequence == 40)
        #expect(batch.bytes.count < b.estimatedSize / 2, "compressed: \(batch.bytes.count) of \(b.estimatedSize)")
        try batch.validate()
        #expect(try batch.records() == expected)
        // The same records uncompressed, byte for byte what build() writes.
        var plain = RecordBatchBuilder(producerId: 9, producerEpoch: 2, baseSequence: 40)
        for r in expected { plain.append(timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers) }
        let section = try batch.bytes.withUnsafeBytes { try RecordBatch.decompressedRecords(in: $0, header: h) }
        #expect(section == Array(plain.build().bytes[RecordBatchHeader.size...]))
        #expect(b.buildUncompressed().bytes == plain.build().bytes)
    }

    /// The record checks `validate` makes on uncompressed records apply inside compressed ones.
    @Test func validateWalksTheRecordsInside() throws {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: .zstd))
        b.append(offsetDelta: 0, timestamp: 1, key: utf8("a"), value: utf8("1"))
        b.append(offsetDelta: 2, timestamp: 1, key: utf8("b"), value: utf8("2"))
        let gapped = try b.seal()
        #expect(batchError { try gapped.validate() } == .invalidOffsetDelta(expected: 1, found: 2))
        try gapped.validate(requireContiguousOffsets: false)
        #expect(try gapped.records().map(\.offset) == [0, 2])
        // recordCount says 3 where 2 are inside.
        let miscounted = try RecordBatch(bytes: resealed(patched(gapped.bytes, Int32(3), at: 57)))
        #expect(batchError { try miscounted.validate(requireContiguousOffsets: false) } == .invalidRecordCount(3))
        #expect(batchError { try miscounted.forEachRecord { _ in } } == .invalidRecordCount(3))
    }

    /// The leader may rewrite maxTimestamp of a batch it keeps (Kafka's in-place path).
    @Test func setMaxTimestampReseals() throws {
        var batch = try RecordBatch(bytes: try Self.fixture("confluent-kafka-lz4"))
        batch.setMaxTimestamp(42)
        try batch.validate()
        #expect(try RecordBatch(bytes: batch.bytes).header.maxTimestamp == 42)
    }
}
