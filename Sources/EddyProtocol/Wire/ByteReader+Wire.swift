/// The wire protocol's field primitives on the reader (Kafka's `Readable`): strings, bytes,
/// arrays, UUIDs and tagged fields in their classic and compact (flexible-version) forms. Every
/// length is checked against the bytes that remain before anything is allocated for it.
extension ByteReader {
    @inlinable mutating func wire<T>(_ read: (inout ByteReader) throws(RecordBatchError) -> T) throws(ProtocolError) -> T {
        do { return try read(&self) } catch { throw ProtocolError(error) }
    }

    @inlinable public mutating func wireInt8() throws(ProtocolError) -> Int8 { try wire { (r) throws(RecordBatchError) in try r.readInt8() } }
    @inlinable public mutating func wireInt16() throws(ProtocolError) -> Int16 { try wire { (r) throws(RecordBatchError) in try r.readInt16() } }
    @inlinable public mutating func wireInt32() throws(ProtocolError) -> Int32 { try wire { (r) throws(RecordBatchError) in try r.readInt32() } }
    @inlinable public mutating func wireInt64() throws(ProtocolError) -> Int64 { try wire { (r) throws(RecordBatchError) in try r.readInt64() } }
    @inlinable public mutating func wireUInt16() throws(ProtocolError) -> UInt16 { try wire { (r) throws(RecordBatchError) in try r.readBigEndian(UInt16.self) } }
    @inlinable public mutating func wireUInt32() throws(ProtocolError) -> UInt32 { try wire { (r) throws(RecordBatchError) in try r.readUInt32() } }
    @inlinable public mutating func wireBool() throws(ProtocolError) -> Bool { try wireInt8() != 0 }

    @inlinable public mutating func wireFloat64() throws(ProtocolError) -> Double {
        Double(bitPattern: try wire { (r) throws(RecordBatchError) in try r.readBigEndian(UInt64.self) })
    }

    @inlinable public mutating func wireUuid() throws(ProtocolError) -> KafkaUuid {
        let msb: UInt64 = try wire { (r) throws(RecordBatchError) in try r.readBigEndian() }
        let lsb: UInt64 = try wire { (r) throws(RecordBatchError) in try r.readBigEndian() }
        return KafkaUuid(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    /// An unsigned varint that must fit in 32 bits (Kafka's `readUnsignedVarint`).
    @inlinable public mutating func wireUnsignedVarint() throws(ProtocolError) -> UInt32 {
        let v = try wire { (r) throws(RecordBatchError) in try r.readUnsignedVarint(maxBytes: 5) }
        guard v <= UInt64(UInt32.max) else { throw .varintOverflow }
        return UInt32(v)
    }

    /// A length prefix: int16 (strings) or int32 (bytes, arrays) in classic versions, an
    /// unsigned varint of length + 1 in compact ones. nil for null (-1, or 0 when compact). A
    /// length beyond the remaining bytes is rejected, so no caller allocates for it.
    @inlinable mutating func wireLength(_ field: StaticString, compact: Bool, short: Bool) throws(ProtocolError) -> Int? {
        let n: Int
        if compact {
            n = Int(try wireUnsignedVarint()) - 1
        } else {
            n = short ? Int(try wireInt16()) : Int(try wireInt32())
        }
        if n == -1 { return nil }
        guard n >= 0, n <= remaining else { throw .invalidLength(field: "\(field)", value: Int64(n)) }
        return n
    }

    /// A string; invalid UTF-8 is replaced, as Kafka's readers do, or rejected with
    /// `validatingUTF8` (eddy's own formats).
    @inlinable public mutating func wireNullableString(_ field: StaticString, compact: Bool,
                                                       validatingUTF8: Bool = false) throws(ProtocolError) -> String? {
        guard let n = try wireLength(field, compact: compact, short: true) else { return nil }
        let slice = try wire { (r) throws(RecordBatchError) in try r.readSlice(n) }
        guard validatingUTF8 else { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: "\(field)") }
        return s
    }

    @inlinable public mutating func wireString(_ field: StaticString, compact: Bool, version: Int16,
                                               validatingUTF8: Bool = false) throws(ProtocolError) -> String {
        guard let s = try wireNullableString(field, compact: compact, validatingUTF8: validatingUTF8) else {
            throw .nullNotAllowed(field: "\(field)", version: version)
        }
        return s
    }

    @inlinable public mutating func wireNullableBytes(_ field: StaticString, compact: Bool) throws(ProtocolError) -> [UInt8]? {
        guard let n = try wireLength(field, compact: compact, short: false) else { return nil }
        return Array(try wire { (r) throws(RecordBatchError) in try r.readSlice(n) })
    }

    @inlinable public mutating func wireBytes(_ field: StaticString, compact: Bool, version: Int16) throws(ProtocolError) -> [UInt8] {
        guard let b = try wireNullableBytes(field, compact: compact) else { throw .nullNotAllowed(field: "\(field)", version: version) }
        return b
    }

    /// An array's element count, nil for a null array. Every element takes at least one byte
    /// except empty structs, so a count above the remaining bytes is rejected up front.
    @inlinable public mutating func wireNullableArrayCount(_ field: StaticString, compact: Bool) throws(ProtocolError) -> Int? {
        try wireLength(field, compact: compact, short: false)
    }

    @inlinable public mutating func wireArrayCount(_ field: StaticString, compact: Bool, version: Int16) throws(ProtocolError) -> Int {
        guard let n = try wireNullableArrayCount(field, compact: compact) else { throw .nullNotAllowed(field: "\(field)", version: version) }
        return n
    }

    /// Reads a tagged-field section, handing each field's tag and a reader bounded to its bytes
    /// to `body`, which returns false for a tag it does not know (skipped). A known field must
    /// consume exactly its size. Kafka writes tags in ascending order but does not check it when
    /// reading; `strictlyAscending` does (eddy's own formats).
    @inlinable public mutating func wireTaggedFields(strictlyAscending: Bool = false,
                                                     _ body: (UInt32, inout ByteReader) throws(ProtocolError) -> Bool) throws(ProtocolError) {
        let count = try wireUnsignedVarint()
        guard count <= remaining else { throw .invalidLength(field: "tagged fields", value: Int64(count)) }
        var previous: UInt32?
        for _ in 0 ..< count {
            let tag = try wireUnsignedVarint()
            if strictlyAscending, let previous, tag <= previous { throw .taggedFieldsOutOfOrder(tag: tag, previous: previous) }
            previous = tag
            let size = Int(try wireUnsignedVarint())
            guard size <= remaining else { throw .invalidLength(field: "tagged field", value: Int64(size)) }
            let slice = try wire { (r) throws(RecordBatchError) in try r.readSlice(size) }
            var sub = ByteReader(slice)
            if try body(tag, &sub), sub.remaining != 0 { throw .invalidTaggedField(tag: tag) }
        }
    }
}
