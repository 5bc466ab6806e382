/// A record header: a non-null string key and a nullable byte value.
public struct RecordHeader: Sendable, Equatable, Hashable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One record of a RecordBatch v2, with its offset and timestamp resolved against the batch.
///
/// On disk each record is (all varints zigzag-encoded):
///
///     length          varint   bytes after this field
///     attributes      int8     unused, 0
///     timestampDelta  varlong  timestamp - batch baseTimestamp
///     offsetDelta     varint   offset - batch baseOffset
///     keyLength       varint   -1 for a null key
///     key             bytes
///     valueLength     varint   -1 for a null value (a tombstone)
///     value           bytes
///     headerCount     varint
///     headers         headerKeyLength varint, key (UTF-8), headerValueLength varint (-1 null), value
///
/// Decoding is slightly stricter than Kafka's: a key, value or header value length below -1 is
/// an error here, where Kafka reads any negative length as null.
public struct Record: Sendable, Equatable, Hashable {
    public var offset: Int64
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(offset: Int64 = 0, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// A record with a null value: under compaction it deletes its key.
    public var isTombstone: Bool { value == nil }
}

/// A borrowed, non-allocating view of one record inside a batch's bytes. Valid only inside
/// the closure that received it.
public struct RecordView {
    public let offsetDelta: Int32
    public let timestampDelta: Int64
    public let attributes: Int8
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    public let headerCount: Int32
    /// Raw bytes of all headers, as encoded.
    public let rawHeaders: UnsafeRawBufferPointer

    @inlinable
    public init(offsetDelta: Int32, timestampDelta: Int64, attributes: Int8, key: UnsafeRawBufferPointer?,
                value: UnsafeRawBufferPointer?, headerCount: Int32, rawHeaders: UnsafeRawBufferPointer) {
        self.offsetDelta = offsetDelta
        self.timestampDelta = timestampDelta
        self.attributes = attributes
        self.key = key
        self.value = value
        self.headerCount = headerCount
        self.rawHeaders = rawHeaders
    }

    /// Decodes the headers (allocates).
    public func headers() throws(RecordBatchError) -> [RecordHeader] {
        var r = ByteReader(rawHeaders)
        var out: [RecordHeader] = []
        // A header takes at least 2 bytes; don't trust headerCount of a hand-made view.
        out.reserveCapacity(min(Int(max(headerCount, 0)), rawHeaders.count / 2))
        for _ in 0 ..< headerCount {
            let kl = try r.readVarint()
            guard kl >= 0 else { throw .invalidLength(field: "header key", value: Int64(kl)) }
            let k = try r.readSlice(Int(kl))
            let vl = try r.readVarint()
            guard vl >= -1 else { throw .invalidLength(field: "header value", value: Int64(vl)) }
            let v: [UInt8]? = vl < 0 ? nil : Array(try r.readSlice(Int(vl)))
            out.append(RecordHeader(key: String(decoding: k, as: UTF8.self), value: v))
        }
        return out
    }

    /// Parses one record starting at the reader's position; on return the reader is past it.
    @inlinable
    public static func parse(_ r: inout ByteReader) throws(RecordBatchError) -> RecordView {
        let length = try r.readVarint()
        guard length >= 0 else { throw .invalidLength(field: "record", value: Int64(length)) }
        let body = try r.readSlice(Int(length))
        var b = ByteReader(body)
        let attributes = try b.readInt8()
        let timestampDelta = try b.readVarlong()
        let offsetDelta = try b.readVarint()
        let keyLength = try b.readVarint()
        guard keyLength >= -1 else { throw .invalidLength(field: "key", value: Int64(keyLength)) }
        let key: UnsafeRawBufferPointer? = keyLength < 0 ? nil : try b.readSlice(Int(keyLength))
        let valueLength = try b.readVarint()
        guard valueLength >= -1 else { throw .invalidLength(field: "value", value: Int64(valueLength)) }
        let value: UnsafeRawBufferPointer? = valueLength < 0 ? nil : try b.readSlice(Int(valueLength))
        let headerCount = try b.readVarint()
        guard headerCount >= 0 else { throw .invalidLength(field: "header count", value: Int64(headerCount)) }
        let rawHeaders = UnsafeRawBufferPointer(rebasing: body[b.position...])
        // Walk the headers so a bad header length is caught here, not by a later reader.
        for _ in 0 ..< headerCount {
            let kl = try b.readVarint()
            guard kl >= 0 else { throw .invalidLength(field: "header key", value: Int64(kl)) }
            try b.skip(Int(kl))
            let vl = try b.readVarint()
            guard vl >= -1 else { throw .invalidLength(field: "header value", value: Int64(vl)) }
            if vl > 0 { try b.skip(Int(vl)) }
        }
        guard b.remaining == 0 else { throw .invalidLength(field: "record", value: Int64(length)) }
        return RecordView(offsetDelta: offsetDelta, timestampDelta: timestampDelta, attributes: attributes,
                          key: key, value: value, headerCount: headerCount, rawHeaders: rawHeaders)
    }
}
