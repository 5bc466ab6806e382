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

    /// Checks the CRC and, when `records` is true, walks every record: lengths in bounds, the
    /// records end exactly at the batch end, `recordCount` records are present, and offset
    /// deltas strictly increase within 0...lastOffsetDelta. The records of a compressed batch
    /// are decompressed first (at most `CompressionCodec.defaultMaxDecompressedBytes`); an
    /// unknown codec, a missing codec library or bad compressed data is an error then.
    ///
    /// - Parameter requireContiguousOffsets: also require what a producer's batch satisfies
    ///   (Kafka's LogValidator for client appends): offset deltas are exactly 0, 1, 2, … and
    ///   lastOffsetDelta == recordCount - 1 (0 for an empty batch). Pass false for batches
    ///   already in a log: the log cleaner keeps each batch's base offset and lastOffsetDelta
    ///   while dropping records, so a compacted batch has gaps between deltas and may even hold
    ///   no record at all.
    public func validate(records: Bool = true, requireContiguousOffsets: Bool = true) throws(RecordBatchError) {
        try bytes.withBytes { (buf) throws(RecordBatchError) in
            try RecordBatch.validate(buf, header: header, records: records, requireContiguousOffsets: requireContiguousOffsets)
        }
    }

    /// Validates the batch at the start of `buf` (which must be exactly `header.totalSize` long or longer).
    /// See `validate(records:requireContiguousOffsets:)`.
    @inlinable
    public static func validate(_ buf: UnsafeRawBufferPointer, header: RecordBatchHeader, records: Bool,
                                requireContiguousOffsets: Bool = true) throws(RecordBatchError) {
        // A parsed header always has batchLength >= 49; a hand-made one might not.
        guard header.totalSize >= RecordBatchHeader.size else { throw .invalidBatchLength(header.batchLength) }
        guard buf.count >= header.totalSize else { throw .truncated(needed: header.totalSize, available: buf.count) }
        let body = UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.attributesOffset ..< header.totalSize])
        let computed = CRC32C.checksum(body)
        guard computed == header.crc else { throw .checksumMismatch(stored: header.crc, computed: computed) }
        guard records else { return }
        guard header.attributes.compression == CompressionType.none else {
            let plain = try decompressedRecords(in: buf, header: header)
            try plain.withBytes { (section) throws(RecordBatchError) in
                try validateRecords(section, header: header, requireContiguousOffsets: requireContiguousOffsets)
            }
            return
        }
        try validateRecords(UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize]), header: header,
                            requireContiguousOffsets: requireContiguousOffsets)
    }

    /// The record checks of `validate` over `section`, the batch's (uncompressed) records.
    @inlinable
    static func validateRecords(_ section: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                requireContiguousOffsets: Bool) throws(RecordBatchError) {
        guard header.recordCount >= 0 else { throw .invalidRecordCount(header.recordCount) }
        guard header.lastOffsetDelta >= 0 else {
            throw .invalidOffsetDelta(expected: max(header.recordCount - 1, 0), found: header.lastOffsetDelta)
        }
        if requireContiguousOffsets {
            // An empty batch may not claim offsets either (Kafka refuses empty client batches outright).
            let expected = max(header.recordCount - 1, 0)
            guard header.lastOffsetDelta == expected else {
                throw .invalidOffsetDelta(expected: expected, found: header.lastOffsetDelta)
            }
        } else {
            // Deltas strictly increase within 0...lastOffsetDelta, so there are at most lastOffsetDelta + 1 records.
            guard Int64(header.recordCount) <= Int64(header.lastOffsetDelta) + 1 else {
                throw .invalidRecordCount(header.recordCount)
            }
        }
        var r = ByteReader(section)
        var i: Int32 = 0
        var previousDelta: Int32 = -1
        while r.remaining > 0 {
            guard i < header.recordCount else { throw .recordBoundaryMismatch }
            let v = try RecordView.parse(&r)
            if requireContiguousOffsets {
                guard v.offsetDelta == i else { throw .invalidOffsetDelta(expected: i, found: v.offsetDelta) }
            } else {
                guard v.offsetDelta > previousDelta, v.offsetDelta <= header.lastOffsetDelta else {
                    throw .invalidOffsetDelta(expected: previousDelta &+ 1, found: v.offsetDelta)
                }
            }
            previousDelta = v.offsetDelta
            i += 1
        }
        guard i == header.recordCount else { throw .invalidRecordCount(header.recordCount) }
    }

    /// The records section (the bytes after the 61-byte header) of the batch at the start of
    /// `buf`, decompressed with the batch's codec; a copy for an uncompressed batch. Throws
    /// `.unsupportedCompression` for codec bits 5-7 and `.compression` when the codec's library
    /// is missing, the data is corrupt or it decompresses to more than `maxBytes`.
    public static func decompressedRecords(in buf: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                           maxBytes: Int = CompressionCodec.defaultMaxDecompressedBytes) throws(RecordBatchError) -> [UInt8] {
        guard header.totalSize >= RecordBatchHeader.size else { throw .invalidBatchLength(header.batchLength) }
        guard buf.count >= header.totalSize else { throw .truncated(needed: header.totalSize, available: buf.count) }
        guard let type = header.attributes.compression else { throw .unsupportedCompression(header.attributes.compressionCode) }
        let section = UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize])
        do {
            return try CompressionCodec.system(type).decompress(section, maxBytes: maxBytes)
        } catch {
            throw .compression(error)
        }
    }

    /// Calls `body` with the records section of the batch at the start of `buf`: the bytes
    /// after its header when uncompressed (no copy), else those bytes decompressed (see
    /// `decompressedRecords`). The buffer is valid only during the call.
    public static func withRecords<R>(in buf: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                      maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes,
                                      _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard header.attributes.compression == CompressionType.none else {
            let plain = try decompressedRecords(in: buf, header: header, maxBytes: maxDecompressedBytes)
            return try plain.withUnsafeBytes { try body($0) }
        }
        guard header.totalSize >= RecordBatchHeader.size else { throw RecordBatchError.invalidBatchLength(header.batchLength) }
        guard buf.count >= header.totalSize else {
            throw RecordBatchError.truncated(needed: header.totalSize, available: buf.count)
        }
        return try body(UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize]))
    }

    /// Calls `body` for each record without allocating (a compressed batch's records are
    /// decompressed into one buffer first). Throws on malformed records.
    public func forEachRecord(_ body: (RecordView) throws -> Void) throws {
        try bytes.withUnsafeBytes { buf in
            try RecordBatch.forEachRecord(in: buf, header: header, body)
        }
    }

    /// Iterates the records of the batch whose header is `header` at the start of `buf`,
    /// decompressing them first when the batch is compressed (see `withRecords`). Throws
    /// `RecordBatchError` for malformed records, for fewer records than `recordCount`
    /// (`.invalidRecordCount`) and for bytes left after them (`.recordBoundaryMismatch`);
    /// rethrows whatever `body` throws. Records before the malformed one have already been
    /// passed to `body`. The CRC is not checked.
    @inlinable
    public static func forEachRecord(in buf: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                     _ body: (RecordView) throws -> Void) throws {
        guard header.attributes.compression == CompressionType.none else {
            try withRecords(in: buf, header: header) { section in try forEachRecord(inSection: section, header: header, body) }
            return
        }
        guard header.totalSize >= RecordBatchHeader.size else {
            throw RecordBatchError.invalidBatchLength(header.batchLength)
        }
        guard buf.count >= header.totalSize else {
            throw RecordBatchError.truncated(needed: header.totalSize, available: buf.count)
        }
        try forEachRecord(inSection: UnsafeRawBufferPointer(rebasing: buf[RecordBatchHeader.size ..< header.totalSize]),
                          header: header, body)
    }

    /// Iterates the `header.recordCount` records in `section`, a batch's uncompressed records
    /// section (see `forEachRecord(in:header:_:)` for the errors).
    @inlinable
    public static func forEachRecord(inSection section: UnsafeRawBufferPointer, header: RecordBatchHeader,
                                     _ body: (RecordView) throws -> Void) throws {
        var r = ByteReader(section)
        var n: Int32 = 0
        while r.remaining > 0, n < header.recordCount {
            try body(try RecordView.parse(&r))
            n += 1
        }
        guard n == header.recordCount else { throw RecordBatchError.invalidRecordCount(header.recordCount) }
        guard r.remaining == 0 else { throw RecordBatchError.recordBoundaryMismatch }
    }

    /// Decodes every record with absolute offsets and timestamps (allocates; for tools and tests).
    public func records() throws -> [Record] {
        var out: [Record] = []
        // recordCount is untrusted here (no CRC check); a record takes at least 7 bytes.
        out.reserveCapacity(min(Int(max(header.recordCount, 0)), (bytes.count - RecordBatchHeader.size) / 7 + 1))
        let h = header
        try forEachRecord { v in
            // Wrapping arithmetic: both fields come from untrusted bytes (as in Kafka, a long sum).
            let ts = h.attributes.timestampType == .logAppendTime ? h.maxTimestamp : h.baseTimestamp &+ v.timestampDelta
            out.append(Record(offset: h.baseOffset &+ Int64(v.offsetDelta), timestamp: ts,
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

    /// Sets maxTimestamp (keeping the timestamp type) and re-seals the CRC.
    public mutating func setMaxTimestamp(_ timestamp: Int64) {
        header.maxTimestamp = timestamp
        bytes.withUnsafeMutableBytes {
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
