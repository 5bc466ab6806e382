/// A bounds-checked cursor over borrowed bytes. Every read either succeeds or throws
/// `RecordBatchError.truncated` / `.varintOverflow`; it never reads out of bounds.
///
/// The reader borrows the buffer: it must not outlive the `withUnsafeBytes` scope that made it.
public struct ByteReader {
    public let buffer: UnsafeRawBufferPointer
    public var position: Int

    @inlinable public init(_ buffer: UnsafeRawBufferPointer, position: Int = 0) {
        self.buffer = buffer
        self.position = position
    }

    @inlinable public var remaining: Int { buffer.count - position }

    @inlinable mutating func need(_ n: Int) throws(RecordBatchError) {
        // `position` is public and settable, so a negative one must not reach `loadUnaligned`.
        guard n >= 0, position >= 0, n <= buffer.count - position else {
            throw .truncated(needed: n, available: max(0, buffer.count - max(position, 0)))
        }
    }

    @inlinable public mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type = T.self) throws(RecordBatchError) -> T {
        try need(MemoryLayout<T>.size)
        let v = T(bigEndian: buffer.loadUnaligned(fromByteOffset: position, as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    @inlinable public mutating func readInt8() throws(RecordBatchError) -> Int8 { try readBigEndian() }
    @inlinable public mutating func readInt16() throws(RecordBatchError) -> Int16 { try readBigEndian() }
    @inlinable public mutating func readInt32() throws(RecordBatchError) -> Int32 { try readBigEndian() }
    @inlinable public mutating func readUInt32() throws(RecordBatchError) -> UInt32 { try readBigEndian() }
    @inlinable public mutating func readInt64() throws(RecordBatchError) -> Int64 { try readBigEndian() }

    /// Unsigned varint of at most `maxBytes` bytes (5 for 32-bit fields, 10 for 64-bit).
    @inlinable public mutating func readUnsignedVarint(maxBytes: Int = 10) throws(RecordBatchError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = 0
        while true {
            guard position >= 0, position < buffer.count else { throw .truncated(needed: 1, available: 0) }
            let b = buffer[position]
            position += 1
            i += 1
            if i == maxBytes, b & 0x80 != 0 { throw .varintOverflow }
            if i == 10, b > 1 { throw .varintOverflow }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// Zigzag varint that must fit in 32 bits (Kafka's `readVarint`). A 5th byte carrying bits
    /// above bit 31 is an overflow here; Kafka's reader silently drops those bits instead.
    @inlinable public mutating func readVarint() throws(RecordBatchError) -> Int32 {
        let raw = try readUnsignedVarint(maxBytes: 5)
        guard raw <= UInt64(UInt32.max) else { throw .varintOverflow }
        return Int32(truncatingIfNeeded: Varint.unzigzag(raw))
    }

    /// Zigzag varint of up to 64 bits (Kafka's `readVarlong`). A 10th byte above 1 is an overflow.
    @inlinable public mutating func readVarlong() throws(RecordBatchError) -> Int64 {
        Varint.unzigzag(try readUnsignedVarint(maxBytes: 10))
    }

    /// Borrows the next `n` bytes.
    @inlinable public mutating func readSlice(_ n: Int) throws(RecordBatchError) -> UnsafeRawBufferPointer {
        try need(n)
        let s = UnsafeRawBufferPointer(rebasing: buffer[position ..< position + n])
        position += n
        return s
    }

    @inlinable public mutating func skip(_ n: Int) throws(RecordBatchError) {
        try need(n)
        position += n
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps a typed error (the standard one only rethrows `any Error`).
    @inlinable
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { buf in Result { () throws(E) -> R in try body(buf) } }
        return try result.get()
    }
}
