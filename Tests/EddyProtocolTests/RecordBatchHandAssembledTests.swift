import EddyProtocol
import Testing

/// A RecordBatch v2 written out field by field from Kafka's protocol documentation
/// ("Record Batch" and "Record" in the message-format section), independent of our encoder.
/// kafka-python's DefaultRecordBatch decodes these exact bytes to the same two records.
@Suite struct RecordBatchHandAssembledTests {
    static let bytes: [UInt8] = [
        // --- batch header (61 bytes, big-endian) ---
        // baseOffset: int64 = 0
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        // batchLength: int32 = 70 (the 82-byte batch minus baseOffset and batchLength)
        0x00, 0x00, 0x00, 0x46,
        // partitionLeaderEpoch: int32 = -1 (a producer leaves it to the leader)
        0xFF, 0xFF, 0xFF, 0xFF,
        // magic: int8 = 2
        0x02,
        // crc: uint32 = CRC-32C (Castagnoli) of bytes 21..<82, i.e. attributes to the end
        0xAA, 0x33, 0x65, 0x18,
        // attributes: int16 = 0 (codec none, CreateTime, not transactional, not control)
        0x00, 0x00,
        // lastOffsetDelta: int32 = 1
        0x00, 0x00, 0x00, 0x01,
        // baseTimestamp: int64 = 1000
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,
        // maxTimestamp: int64 = 1003
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xEB,
        // producerId: int64 = -1
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        // producerEpoch: int16 = -1
        0xFF, 0xFF,
        // baseSequence: int32 = -1
        0xFF, 0xFF, 0xFF, 0xFF,
        // records count: int32 = 2
        0x00, 0x00, 0x00, 0x02,
        // --- record 0: key "a", value "hi", no headers (varints are zigzag: n -> 2n or -2n-1) ---
        0x12,       // length: varint 9 (bytes after this field)
        0x00,       // attributes: int8 0
        0x00,       // timestampDelta: varlong 0
        0x00,       // offsetDelta: varint 0
        0x02,       // keyLength: varint 1
        0x61,       // key "a"
        0x04,       // valueLength: varint 2
        0x68, 0x69, // value "hi"
        0x00,       // headers count: varint 0
        // --- record 1: null key, null value (tombstone), header k=v ---
        0x14,       // length: varint 10
        0x00,       // attributes: int8 0
        0x06,       // timestampDelta: varlong 3
        0x02,       // offsetDelta: varint 1
        0x01,       // keyLength: varint -1 (null)
        0x01,       // valueLength: varint -1 (null)
        0x02,       // headers count: varint 1
        0x02,       // headerKeyLength: varint 1
        0x6B,       // header key "k"
        0x02,       // headerValueLength: varint 1
        0x76,       // header value "v"
    ]

    @Test func builderProducesTheDocumentedBytes() {
        var b = RecordBatchBuilder()
        b.append(timestamp: 1000, key: utf8("a"), value: utf8("hi"))
        b.append(timestamp: 1003, key: nil, value: nil, headers: [RecordHeader(key: "k", value: utf8("v"))])
        let batch = b.build()
        #expect(batch.bytes == Self.bytes, "got \(hexString(batch.bytes))")
    }

    @Test func crcCoversAttributesToTheEnd() {
        let crc = Self.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[21...])) }
        #expect(crc == 0xAA33_6518)
        // Bytes before the attributes (baseOffset, batchLength, epoch, magic) are not covered.
        let wholeBatchCRC = CRC32C.checksum(Self.bytes)
        #expect(wholeBatchCRC != crc)
    }

    @Test func headerFieldsDecode() throws {
        let batch = try RecordBatch(bytes: Self.bytes)
        let h = batch.header
        #expect(h.baseOffset == 0)
        #expect(h.batchLength == 70)
        #expect(h.totalSize == 82)
        #expect(h.partitionLeaderEpoch == -1)
        #expect(h.magic == 2)
        #expect(h.crc == 0xAA33_6518)
        #expect(h.attributes.rawValue == 0)
        #expect(h.attributes.compression == CompressionType.none)
        #expect(h.attributes.timestampType == .createTime)
        #expect(!h.attributes.isTransactional && !h.attributes.isControl && !h.attributes.hasDeleteHorizon)
        #expect(h.lastOffsetDelta == 1)
        #expect(h.baseTimestamp == 1000)
        #expect(h.maxTimestamp == 1003)
        #expect(h.producerId == -1 && !h.isIdempotent)
        #expect(h.producerEpoch == -1)
        #expect(h.baseSequence == -1 && h.lastSequence == -1)
        #expect(h.recordCount == 2)
        #expect(h.lastOffset == 1 && h.nextOffset == 2)
        try batch.validate()
        #expect(batch.computedChecksum == h.crc)
    }

    @Test func recordFieldsDecode() throws {
        let batch = try RecordBatch(bytes: Self.bytes)
        var views: [(Int32, Int64, Int8, [UInt8]?, [UInt8]?, Int32, [RecordHeader])] = []
        try batch.forEachRecord { v in
            views.append((v.offsetDelta, v.timestampDelta, v.attributes, v.key.map { Array($0) }, v.value.map { Array($0) },
                          v.headerCount, try v.headers()))
        }
        try #require(views.count == 2)
        #expect(views[0].0 == 0 && views[0].1 == 0 && views[0].2 == 0)
        #expect(views[0].3 == utf8("a") && views[0].4 == utf8("hi") && views[0].5 == 0 && views[0].6.isEmpty)
        #expect(views[1].0 == 1 && views[1].1 == 3 && views[1].2 == 0)
        #expect(views[1].3 == nil && views[1].4 == nil && views[1].5 == 1)
        #expect(views[1].6 == [RecordHeader(key: "k", value: utf8("v"))])

        let records = try batch.records()
        #expect(records == [
            Record(offset: 0, timestamp: 1000, key: utf8("a"), value: utf8("hi")),
            Record(offset: 1, timestamp: 1003, key: nil, value: nil, headers: [RecordHeader(key: "k", value: utf8("v"))]),
        ])
        #expect(records[1].isTombstone && !records[0].isTombstone)
    }

    @Test func leaderStampsDoNotTouchTheCRC() throws {
        var batch = try RecordBatch(bytes: Self.bytes)
        batch.setBaseOffset(1_000_000)
        batch.setPartitionLeaderEpoch(7)
        #expect(Array(batch.bytes[0 ..< 8]) == [0, 0, 0, 0, 0, 0x0F, 0x42, 0x40])
        #expect(Array(batch.bytes[12 ..< 16]) == [0, 0, 0, 7])
        #expect(Array(batch.bytes[16...]) == Array(Self.bytes[16...]))
        try batch.validate()
        let reparsed = try RecordBatch(bytes: batch.bytes)
        #expect(reparsed.header == batch.header)
        #expect(try batch.records().map(\.offset) == [1_000_000, 1_000_001])
    }

    @Test func logAppendTimeSetsBit3AndReseals() throws {
        var batch = try RecordBatch(bytes: Self.bytes)
        batch.setLogAppendTime(5000)
        #expect(Array(batch.bytes[21 ..< 23]) == [0x00, 0x08])
        #expect(Array(batch.bytes[35 ..< 43]) == [0, 0, 0, 0, 0, 0, 0x13, 0x88])
        #expect(batch.header.crc != 0xAA33_6518)
        try batch.validate()
        // Under LogAppendTime every record reads the batch's maxTimestamp.
        #expect(try batch.records().map(\.timestamp) == [5000, 5000])
        #expect(try RecordBatch(bytes: batch.bytes).header == batch.header)
    }
}
