import EddyProtocol
import Testing

/// Malformed batches get a typed `RecordBatchError`, never a trap or an out-of-bounds read.
@Suite struct RecordBatchCorruptionTests {
    static let valid = RecordBatchHandAssembledTests.bytes
    static let fixture = RecordBatchKafkaPythonFixtureTests.plain

    /// The first record of `valid` starts at 61; its fields are at fixed positions.
    static let record0 = 61
    static let record1 = 71

    // MARK: lengths

    @Test func batchLengthBelowTheHeaderSize() throws {
        for len: Int32 in [-1, 0, 48, Int32.min] {
            let b = patched(Self.valid, len, at: 8)
            #expect(batchError { _ = try RecordBatch(bytes: b) } == .invalidBatchLength(len))
            #expect(batchError { _ = try MemoryRecords.batches(in: b) } == .invalidBatchLength(len))
            #expect(batchError { _ = try MemoryRecords.batches(in: b, allowPartialTail: true) } == .invalidBatchLength(len))
        }
    }

    @Test func batchLengthPastTheBytes() throws {
        for len: Int32 in [71, 1000, Int32.max] {
            let b = patched(Self.valid, len, at: 8)
            let total = 12 + Int(len)
            #expect(batchError { _ = try RecordBatch(bytes: b) } == .truncated(needed: total, available: 82))
            #expect(batchError { _ = try MemoryRecords.batches(in: b) } == .truncated(needed: total, available: 82))
            #expect(try MemoryRecords.batches(in: b, allowPartialTail: true).isEmpty)
        }
    }

    @Test func batchLengthShortOfTheBytes() throws {
        let b = patched(Self.valid, Int32(69), at: 8)
        #expect(batchError { _ = try RecordBatch(bytes: b) } == .invalidBatchLength(69))
        // As a run of batches, the byte after the short batch starts a (truncated) next one.
        #expect(batchError { _ = try MemoryRecords.batches(in: b) } == .truncated(needed: 12, available: 1))
    }

    @Test func wrongMagic() throws {
        for magic: Int8 in [0, 1, 3, -1] {
            let b = patched(Self.valid, magic, at: 16)
            #expect(batchError { _ = try RecordBatch(bytes: b) } == .unsupportedMagic(magic))
        }
    }

    // MARK: checksum

    /// Every single-byte change from the attributes to the end breaks the CRC; a change to the
    /// CRC itself too; changes to baseOffset and partitionLeaderEpoch do not (they are outside it).
    @Test func everyCoveredByteIsChecked() throws {
        for i in 0 ..< Self.valid.count {
            var b = Self.valid
            b[i] ^= 0x5A
            switch i {
            case 0 ..< 8, 12 ..< 16:
                try RecordBatch(bytes: b).validate()
            case 8 ..< 12, 16:
                #expect(batchError { _ = try RecordBatch(bytes: b) } != nil, "byte \(i)")
            default:
                let e = batchError { try RecordBatch(bytes: b).validate(records: false) }
                guard case .checksumMismatch = e else {
                    Issue.record("byte \(i): expected checksumMismatch, got \(String(describing: e))")
                    continue
                }
            }
        }
    }

    @Test func checksumMismatchReportsBothValues() throws {
        let b = patched(Self.valid, UInt32(0xDEAD_BEEF), at: 17)
        let batch = try RecordBatch(bytes: b)
        #expect(batchError { try batch.validate() } == .checksumMismatch(stored: 0xDEAD_BEEF, computed: 0xAA33_6518))
    }

    // MARK: truncation

    /// Cut anywhere, a batch is an error as one batch and as a run; a run with a partial tail
    /// keeps its complete batches when the tail is allowed.
    @Test func truncationAtEveryByte() throws {
        let two = Self.fixture + Self.valid
        for n in 1 ..< Self.fixture.count {
            let cut = Array(Self.fixture[..<n])
            guard case .truncated = batchError({ _ = try RecordBatch(bytes: cut) }) else {
                Issue.record("cut at \(n): expected truncated"); continue
            }
            guard case .truncated = batchError({ _ = try MemoryRecords.batches(in: cut) }) else {
                Issue.record("cut at \(n): expected truncated run"); continue
            }
            #expect(try MemoryRecords.batches(in: cut, allowPartialTail: true).isEmpty)
        }
        #expect(try MemoryRecords.batches(in: []).isEmpty)
        for n in Self.fixture.count + 1 ..< two.count {
            let cut = Array(two[..<n])
            #expect(try MemoryRecords.batches(in: cut, allowPartialTail: true).map(\.range) == [0 ..< Self.fixture.count])
            guard case .truncated = batchError({ _ = try MemoryRecords.batches(in: cut) }) else {
                Issue.record("cut at \(n): expected truncated run"); continue
            }
        }
    }

    /// The records section cut at every byte, with batchLength and CRC made consistent again
    /// (as a buggy producer could send): the record parser must refuse it.
    @Test func resealedTruncationOfTheRecords() throws {
        let boundaries: Set<Int> = [61, 71, 82]
        for n in 61 ..< Self.valid.count {
            let b = resealed(Array(Self.valid[..<n]))
            let batch = try RecordBatch(bytes: b)
            try batch.validate(records: false)
            let e = batchError { try batch.validate() }
            if boundaries.contains(n) {
                #expect(e == .invalidRecordCount(2), "cut at \(n)")
            } else {
                #expect(e != nil, "cut at \(n)")
            }
            #expect(batchError { try batch.forEachRecord { _ in } } != nil, "cut at \(n)")
            #expect(batchError { _ = try batch.records() } != nil, "cut at \(n)")
        }
    }

    // MARK: varints and negative sizes

    /// `valid` with the 1-byte field at `record0 + offset` replaced by `bytes`. Record 0 is
    /// 9 bytes after its length varint; unless the length itself is replaced, it is adjusted so
    /// the replacement stays inside the record.
    static func withRecord0Field(_ offset: Int, replacedBy bytes: [UInt8]) throws -> RecordBatch {
        var b = Self.valid
        b.replaceSubrange(Self.record0 + offset ..< Self.record0 + offset + 1, with: bytes)
        if offset > 0 {
            let length = Int64(9 + bytes.count - 1)
            b[Self.record0] = UInt8(Varint.zigzag(length))
        }
        return try RecordBatch(bytes: resealed(b))
    }

    @Test func varintOverflowInARecord() throws {
        let overlong: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        // record length, offsetDelta, keyLength, valueLength, headers count (varints)
        for field in [0, 3, 4, 6, 9] {
            let batch = try Self.withRecord0Field(field, replacedBy: overlong)
            #expect(batchError { try batch.validate() } == .varintOverflow, "field at +\(field)")
            #expect(batchError { _ = try batch.records() } == .varintOverflow, "field at +\(field)")
        }
        // timestampDelta is a varlong: 10 bytes allowed, 11 overflow.
        let batch = try Self.withRecord0Field(2, replacedBy: [UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(batchError { try batch.validate() } == .varintOverflow)
    }

    @Test func negativeSizes() throws {
        // record length -1
        var batch = try Self.withRecord0Field(0, replacedBy: [0x01])
        #expect(batchError { try batch.validate() } == .invalidLength(field: "record", value: -1))
        // key length -2 (only -1 means null)
        batch = try Self.withRecord0Field(4, replacedBy: [0x03])
        #expect(batchError { try batch.validate() } == .invalidLength(field: "key", value: -2))
        // value length Int32.min
        batch = try Self.withRecord0Field(6, replacedBy: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(batchError { try batch.validate() } == .invalidLength(field: "value", value: Int64(Int32.min)))
        // headers count -1
        batch = try Self.withRecord0Field(9, replacedBy: [0x01])
        #expect(batchError { try batch.validate() } == .invalidLength(field: "header count", value: -1))

        // Record 1's header: key length -1, then value length -2.
        var b = Self.valid
        b[Self.record1 + 7] = 0x01
        #expect(batchError { try RecordBatch(bytes: resealed(b)).validate() } == .invalidLength(field: "header key", value: -1))
        b = Self.valid
        b[Self.record1 + 9] = 0x03
        #expect(batchError { try RecordBatch(bytes: resealed(b)).validate() } == .invalidLength(field: "header value", value: -2))
    }

    @Test func lengthsRunningPastTheirRecord() throws {
        // key length 100 inside a 9-byte record
        var batch = try Self.withRecord0Field(4, replacedBy: [0xC8, 0x01])
        guard case .truncated = batchError({ try batch.validate() }) else { Issue.record("key"); return }
        // record length claims 1 byte more than the record has: the next record's first byte is eaten
        batch = try Self.withRecord0Field(0, replacedBy: [0x14])
        #expect(batchError { try batch.validate() } != nil)
        // record length 1 byte short: the parsed fields run past it
        batch = try Self.withRecord0Field(0, replacedBy: [0x10])
        #expect(batchError { try batch.validate() } != nil)
    }

    // MARK: counts and offsets

    @Test func recordCountMismatch() throws {
        var b = resealed(patched(Self.valid, Int32(3), at: 57))
        #expect(batchError { try RecordBatch(bytes: b).validate(requireContiguousOffsets: false) } == .invalidRecordCount(3))
        #expect(batchError { _ = try RecordBatch(bytes: b).records() } == .invalidRecordCount(3))
        b = resealed(patched(Self.valid, Int32(1), at: 57))
        #expect(batchError { try RecordBatch(bytes: b).validate(requireContiguousOffsets: false) } == .recordBoundaryMismatch)
        #expect(batchError { _ = try RecordBatch(bytes: b).records() } == .recordBoundaryMismatch)
        // negative: refused when the header is parsed
        b = resealed(patched(Self.valid, Int32(-1), at: 57))
        #expect(batchError { _ = try RecordBatch(bytes: b) } == .invalidRecordCount(-1))
        // huge: no huge allocation, just an error
        b = resealed(patched(Self.valid, Int32.max, at: 57))
        #expect(batchError { _ = try RecordBatch(bytes: b).records() } == .invalidRecordCount(Int32.max))
    }

    @Test func lastOffsetDeltaMismatch() throws {
        let b = resealed(patched(Self.valid, Int32(2), at: 23))
        #expect(batchError { try RecordBatch(bytes: b).validate() } == .invalidOffsetDelta(expected: 1, found: 2))
        let negative = resealed(patched(Self.valid, Int32(-1), at: 23))
        #expect(batchError { _ = try RecordBatch(bytes: negative) } == .invalidOffsetDelta(expected: 1, found: -1))
    }

    @Test func recordOffsetDeltasOutOfOrder() throws {
        var b = Self.valid
        b[Self.record1 + 3] = 0x00 // record 1 claims offsetDelta 0 again
        let batch = try RecordBatch(bytes: resealed(b))
        #expect(batchError { try batch.validate() } == .invalidOffsetDelta(expected: 1, found: 0))
        #expect(batchError { try batch.validate(requireContiguousOffsets: false) } == .invalidOffsetDelta(expected: 1, found: 0))
    }

    // MARK: compacted batches (offset gaps kept by the log cleaner)

    static func compacted(deltas: [Int32], lastOffsetDelta: Int32) -> RecordBatch {
        var b = RecordBatchBuilder(baseOffset: 100)
        for d in deltas { b.append(offsetDelta: d, timestamp: 10 + Int64(d), key: utf8("k\(d)"), value: utf8("v")) }
        return b.build(lastOffsetDelta: lastOffsetDelta)
    }

    @Test func compactedBatchWithGapsIsValidInALog() throws {
        let batch = Self.compacted(deltas: [0, 3, 7], lastOffsetDelta: 9)
        #expect(batch.header.recordCount == 3 && batch.header.lastOffsetDelta == 9)
        #expect(batch.header.nextOffset == 110)
        try batch.validate(requireContiguousOffsets: false)
        #expect(try batch.records().map(\.offset) == [100, 103, 107])
        // A producer's batch must be contiguous.
        #expect(batchError { try batch.validate() } == .invalidOffsetDelta(expected: 2, found: 9))
    }

    @Test func emptyCompactedBatchKeepsItsOffsetRange() throws {
        let batch = Self.compacted(deltas: [], lastOffsetDelta: 4)
        #expect(batch.header.recordCount == 0 && batch.header.lastOffset == 104)
        #expect(batch.header.baseTimestamp == -1 && batch.header.maxTimestamp == -1)
        try batch.validate(requireContiguousOffsets: false)
        #expect(try batch.records().isEmpty)
        // From a producer, an empty batch must not claim offsets.
        #expect(batchError { try batch.validate() } == .invalidOffsetDelta(expected: 0, found: 4))
    }

    @Test func compactedBatchLimits() throws {
        // a record past lastOffsetDelta
        var b = Self.compacted(deltas: [0, 3, 7], lastOffsetDelta: 7).bytes
        b = resealed(patched(b, Int32(5), at: 23))
        #expect(batchError { try RecordBatch(bytes: b).validate(requireContiguousOffsets: false) }
            == .invalidOffsetDelta(expected: 4, found: 7))
        // more records than the offset range holds
        b = resealed(patched(Self.valid, Int32(0), at: 23))
        #expect(batchError { try RecordBatch(bytes: b).validate(requireContiguousOffsets: false) } == .invalidRecordCount(2))
    }

    // MARK: codecs and hand-made headers

    @Test func compressionCodecs() throws {
        // Codec 5..7 is unknown: refused even by a CRC-only walk of the records.
        for codec: Int16 in [5, 6, 7] {
            let batch = try RecordBatch(bytes: resealed(patched(Self.valid, codec, at: 21)))
            #expect(batchError { try batch.validate() } == .unsupportedCompression(UInt8(codec)))
            #expect(batchError { try batch.forEachRecord { _ in } } == .unsupportedCompression(UInt8(codec)))
        }
        // gzip bits over records that are not a gzip stream: the CRC holds, the records do not decode.
        let gzip = try RecordBatch(bytes: resealed(patched(Self.valid, Int16(1), at: 21)))
        try gzip.validate(records: false)
        #expect(gzip.header.attributes.compression == .gzip)
        guard case .compression(.corrupt(codec: .gzip, _)) = batchError({ try gzip.validate() }) else {
            Issue.record("validate decompresses the records")
            return
        }
        guard case .compression(.corrupt(codec: .gzip, _)) = batchError({ try gzip.forEachRecord { _ in } }) else {
            Issue.record("forEachRecord decompresses the records")
            return
        }
    }

    @Test func handMadeHeadersAndOffsetsDoNotTrap() throws {
        var h = try RecordBatch(bytes: Self.valid).header
        h.batchLength = 0
        let header = h
        Self.valid.withUnsafeBytes { buf in
            #expect(batchError { try RecordBatch.validate(buf, header: header, records: true) } == .invalidBatchLength(0))
            #expect(batchError { try RecordBatch.forEachRecord(in: buf, header: header) { _ in } } == .invalidBatchLength(0))
            #expect(batchError { _ = try RecordBatchHeader(parsing: buf, at: -1) } != nil)
            #expect(batchError { _ = try RecordBatchHeader(parsing: buf, at: Int.min) } != nil)
            #expect(batchError { _ = try RecordBatchHeader(parsing: buf, at: 1000) } != nil)
            #expect(RecordBatchHeader.peekSize(buf, at: -1) == nil)
            var r = ByteReader(buf, position: -3)
            #expect(batchError { _ = try r.readInt32() } != nil)
            #expect(batchError { _ = try r.readVarint() } != nil)
            #expect(batchError { _ = try r.readSlice(1) } != nil)
            r.position = buf.count + 5
            #expect(batchError { _ = try r.readInt8() } != nil)
            #expect(batchError { _ = try r.readVarlong() } != nil)
        }
    }

    /// Extreme header values from an untrusted batch wrap instead of trapping.
    @Test func extremeOffsetsAndTimestampsWrap() throws {
        var b = patched(Self.valid, Int64.max, at: 0)
        b = resealed(patched(b, Int64.max, at: 27))
        let batch = try RecordBatch(bytes: b)
        #expect(batch.header.lastOffset == Int64.min)
        #expect(batch.header.nextOffset == Int64.min + 1)
        let records = try batch.records()
        #expect(records.map(\.offset) == [Int64.max, Int64.min])
        #expect(records.map(\.timestamp) == [Int64.max, Int64.min + 2])
    }
}
