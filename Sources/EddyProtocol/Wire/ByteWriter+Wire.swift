/// The wire protocol's field primitives on the writer (Kafka's `Writable`), the counterparts of
/// `ByteReader+Wire.swift`.
extension ByteWriter {
    @inlinable public mutating func writeBool(_ v: Bool) { writeUInt8(v ? 1 : 0) }
    @inlinable public mutating func writeUInt16(_ v: UInt16) { writeBigEndian(v) }
    @inlinable public mutating func writeFloat64(_ v: Double) { writeBigEndian(v.bitPattern) }

    @inlinable public mutating func writeUuid(_ v: KafkaUuid) {
        writeBigEndian(v.mostSignificantBits)
        writeBigEndian(v.leastSignificantBits)
    }

    /// A length prefix (see `ByteReader.wireLength`); nil writes null.
    @inlinable mutating func writeWireLength(_ n: Int?, _ field: StaticString, compact: Bool, short: Bool) throws(ProtocolError) {
        if compact {
            writeCompactLength(n)
        } else if short {
            guard let n else { writeInt16(-1); return }
            guard n <= Int(Int16.max) else { throw .invalidLength(field: "\(field)", value: Int64(n)) }
            writeInt16(Int16(n))
        } else {
            guard let n else { writeInt32(-1); return }
            guard n <= Int(Int32.max) else { throw .invalidLength(field: "\(field)", value: Int64(n)) }
            writeInt32(Int32(n))
        }
    }

    @inlinable public mutating func writeWireString(_ s: String?, _ field: StaticString, compact: Bool) throws(ProtocolError) {
        guard let s else { try writeWireLength(nil, field, compact: compact, short: true); return }
        try writeWireLength(s.utf8.count, field, compact: compact, short: true)
        writeBytes(s.utf8)
    }

    @inlinable public mutating func writeWireBytes(_ b: [UInt8]?, _ field: StaticString, compact: Bool) throws(ProtocolError) {
        try writeWireLength(b?.count, field, compact: compact, short: false)
        if let b { writeBytes(b) }
    }

    /// A `records` field: its bytes, or, when the next entry of `fileRecordsToSplice` is file
    /// records, their length prefix and a splice point where their bytes go (`splices`).
    public mutating func writeWireRecords(_ b: [UInt8]?, _ field: StaticString, compact: Bool) throws(ProtocolError) {
        if nextFileRecords < fileRecordsToSplice.count {
            defer { nextFileRecords += 1 }
            if let file = fileRecordsToSplice[nextFileRecords] {
                try writeWireLength(file.count, field, compact: compact, short: false)
                splices.append((bytes.count, file))
                return
            }
        }
        try writeWireBytes(b, field, compact: compact)
    }

    @inlinable public mutating func writeWireArrayCount(_ n: Int?, _ field: StaticString, compact: Bool) throws(ProtocolError) {
        try writeWireLength(n, field, compact: compact, short: false)
    }

    /// A compact length prefix: an unsigned varint of length + 1, 0 for null. Unlike the classic
    /// int16 and int32 ones it fits any length, so the compact writers below cannot fail.
    @inlinable mutating func writeCompactLength(_ n: Int?) {
        writeUnsignedVarint(UInt64((n ?? -1) + 1))
    }

    /// A compact (nullable) string: `writeWireString(s, _, compact: true)` without the throw.
    @inlinable public mutating func writeCompactString(_ s: String?) {
        writeCompactLength(s?.utf8.count)
        if let s { writeBytes(s.utf8) }
    }

    /// Compact bytes: `writeWireBytes(b, _, compact: true)` without the throw.
    @inlinable public mutating func writeCompactBytes(_ b: [UInt8]) {
        writeCompactLength(b.count)
        writeBytes(b)
    }

    /// A compact (nullable) array's count, to be followed by its elements.
    @inlinable public mutating func writeCompactArrayCount(_ n: Int?) {
        writeCompactLength(n)
    }

    /// Writes a tagged-field section: `fields` holds each present field's tag and bytes, in
    /// ascending tag order.
    @inlinable public mutating func writeTaggedFields(_ fields: [(tag: UInt32, bytes: [UInt8])]) {
        writeUnsignedVarint(UInt64(fields.count))
        for f in fields {
            writeUnsignedVarint(UInt64(f.tag))
            writeUnsignedVarint(UInt64(f.bytes.count))
            writeBytes(f.bytes)
        }
    }
}
