/// A run of RecordBatches laid end to end, as in a Produce request's `records` field, a Fetch
/// response, or a slice of a segment file.
public enum MemoryRecords {
    /// Location of one batch inside a buffer.
    public struct BatchLocation: Sendable, Equatable {
        public var position: Int
        public var header: RecordBatchHeader
        public var range: Range<Int> { position ..< position + header.totalSize }
    }

    /// Splits `buf` into batches, parsing each header (no CRC check).
    ///
    /// - Parameter allowPartialTail: when true, an incomplete last batch (as a Fetch may
    ///   return) ends the iteration silently; when false it throws `.truncated`.
    public static func batches(in buf: UnsafeRawBufferPointer, allowPartialTail: Bool = false) throws(RecordBatchError) -> [BatchLocation] {
        var out: [BatchLocation] = []
        var pos = 0
        while pos < buf.count {
            guard let (_, len) = RecordBatchHeader.peekSize(buf, at: pos) else {
                if allowPartialTail { break }
                throw .truncated(needed: RecordBatchHeader.logOverhead, available: buf.count - pos)
            }
            let total = RecordBatchHeader.logOverhead + Int(len)
            guard len >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else { throw .invalidBatchLength(len) }
            if total > buf.count - pos {
                if allowPartialTail { break }
                throw .truncated(needed: total, available: buf.count - pos)
            }
            let h = try RecordBatchHeader(parsing: buf, at: pos)
            out.append(BatchLocation(position: pos, header: h))
            pos += total
        }
        return out
    }

    public static func batches(in bytes: [UInt8], allowPartialTail: Bool = false) throws(RecordBatchError) -> [BatchLocation] {
        try bytes.withBytes { (b) throws(RecordBatchError) in try batches(in: b, allowPartialTail: allowPartialTail) }
    }

    /// Decodes every record of every batch (allocates; for tools and tests).
    public static func records(in bytes: [UInt8], allowPartialTail: Bool = true) throws -> [Record] {
        var out: [Record] = []
        for loc in try batches(in: bytes, allowPartialTail: allowPartialTail) {
            out += try RecordBatch(bytes: Array(bytes[loc.range])).records()
        }
        return out
    }
}
