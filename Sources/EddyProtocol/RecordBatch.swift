/// One complete RecordBatch v2, owning its bytes exactly as they are stored and sent.
///
/// A batch from a producer can be appended to the log as it came (after the leader stamps
/// `baseOffset` and `partitionLeaderEpoch`) and served back to consumers byte for byte.
public struct RecordBatch: Sendable, Equatable, Hashable {
    public private(set) var bytes: [UInt8]
    public private(set) var header: RecordBatchHeader

    /// Wraps bytes that hold exactly one batch. Parses the header and checks that the byte
    /// count matches batchLength; call `validate()` for the CRC and records.
    public init(bytes: [UInt8]) throws(RecordBatchError) {
        let h: RecordBatchHeader
        do {
            h = try bytes.withBytes { (buf) throws(RecordBatchError) -> RecordBatchHeader in
                try RecordBatchHeader(parsing: buf)
            }
        }
        guard h.totalSize == bytes.count else {
            if h.totalSize > bytes.count { throw .truncated(needed: h.totalSize, available: bytes.count) }
            throw .invalidBatchLength(h.batchLength)
        }
        self.bytes = bytes
        header = h
    }

    /// CRC-32C over attributes..end, as it should be stored in the header.
    public var computedChecksum: UInt32 {
        bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.attributesOffset...])) }
    }

    /// Checks the CRC and, when `records` is true, walks every record: lengths in bounds,
    /// offset deltas 0..<count, count and lastOffsetDelta consistent. Compressed batches are
    /// checked by CRC only unless their codec is supported.
    public func validate(records: Bool = true) throws(RecordBatchError) {
        try bytes.withBytes { (buf) throws(RecordBatchError) in
            try RecordBatch.validate(buf, header: header, records: records)
        }
    }

    /// Validates the batch at the start of `buf` (which must be exactly `header.totalSize` long or longer).
    @inlinable
    public static func validate(_ buf: UnsafeRawBufferPointer, header: RecordBatchHeader, records: Bool) throws(RecordBatchError) {
        guard buf.count >= header.totalSize else { throw .truncated(needed: header.totalSize, available: buf.count) }
        let body = UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.attributesOffset ..< header.totalSize])
        let computed = CRC32C.checksum(body)
        guard computed == header.crc else { throw .checksumMismatch(stored: header.crc, computed: computed) }
        guard records else { return }
        guard header.attributes.compression == CompressionType.none else {
            if header.attributes.compression == nil { throw .unsupportedCompression(header.attributes.compressionCode) }
            return
        }
        guard header.recordCount == 0 || header.lastOffsetDelta == header.recordCount - 1 else {
            throw .invalidOffsetDelta(expected: header.recordCount - 1, found: header.lastOffsetDelta)
        }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize]))
        var i: Int32 = 0
        while r.remaining > 0 {
            guard i < header.recordCount else { throw .invalidRecordCount(header.recordCount) }
            let v = try RecordView.parse(&r)
            guard v.offsetDelta == i else { throw .invalidOffsetDelta(expected: i, found: v.offsetDelta) }
            i += 1
        }
        guard i == header.recordCount else { throw .invalidRecordCount(header.recordCount) }
    }

    /// Calls `body` for each record without allocating. Throws on malformed records.
    public func forEachRecord(_ body: (RecordView) throws -> Void) throws {
        try bytes.withUnsafeBytes { buf in
            try RecordBatch.forEachRecord(in: buf, header: header, body)
        }
    }

    /// Iterates the records of the (uncompressed) batch whose header is `header` at the start of `buf`.
    @inlinable
    public static func forEachRecord(in buf: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                     _ body: (RecordView) throws -> Void) throws {
        guard header.attributes.compression == CompressionType.none else {
            throw RecordBatchError.unsupportedCompression(header.attributes.compressionCode)
        }
        guard buf.count >= header.totalSize else {
            throw RecordBatchError.truncated(needed: header.totalSize, available: buf.count)
        }
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize]))
        var n: Int32 = 0
        while r.remaining > 0, n < header.recordCount {
            try body(try RecordView.parse(&r))
            n += 1
        }
        guard n == header.recordCount, r.remaining == 0 else { throw RecordBatchError.invalidRecordCount(header.recordCount) }
    }

    /// Decodes every record with absolute offsets and timestamps (allocates; for tools and tests).
    public func records() throws -> [Record] {
        var out: [Record] = []
        out.reserveCapacity(Int(header.recordCount))
        let h = header
        try forEachRecord { v in
            let ts = h.attributes.timestampType == .logAppendTime ? h.maxTimestamp : h.baseTimestamp + v.timestampDelta
            out.append(Record(offset: h.baseOffset + Int64(v.offsetDelta), timestamp: ts,
                              key: v.key.map { Array($0) }, value: v.value.map { Array($0) },
                              headers: try v.headers()))
        }
        return out
    }

    /// Sets baseOffset (not covered by the CRC).
    public mutating func setBaseOffset(_ offset: Int64) {
        header.baseOffset = offset
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: offset.bigEndian, toByteOffset: 0, as: Int64.self) }
    }

    /// Sets partitionLeaderEpoch (not covered by the CRC).
    public mutating func setPartitionLeaderEpoch(_ epoch: Int32) {
        header.partitionLeaderEpoch = epoch
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: epoch.bigEndian, toByteOffset: RecordBatchHeader.partitionLeaderEpochOffset, as: Int32.self)
        }
    }

    /// Switches the batch to LogAppendTime with `timestamp` as its maxTimestamp, and re-seals the CRC.
    public mutating func setLogAppendTime(_ timestamp: Int64) {
        header.attributes.timestampType = .logAppendTime
        header.maxTimestamp = timestamp
        let attrs = header.attributes.rawValue
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: attrs.bigEndian, toByteOffset: RecordBatchHeader.attributesOffset, as: Int16.self)
            $0.storeBytes(of: timestamp.bigEndian, toByteOffset: RecordBatchHeader.maxTimestampOffset, as: Int64.self)
        }
        reseal()
    }

    /// Recomputes and stores the CRC after an edit of CRC-covered bytes.
    public mutating func reseal() {
        let crc = computedChecksum
        header.crc = crc
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.bigEndian, toByteOffset: RecordBatchHeader.crcOffset, as: UInt32.self) }
    }
}
