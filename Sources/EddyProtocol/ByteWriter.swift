/// Appends big-endian integers, zigzag varints and raw bytes to a growable byte array.
///
/// Kafka's wire and disk formats are big-endian for fixed-width integers and use zigzag
/// varints (protobuf style) for the per-record fields of RecordBatch v2.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]
    /// File-backed records to put in place of the `records` fields the encoder writes, in the
    /// order it writes them (nil: that field's bytes); see `writeWireRecords`.
    public var fileRecordsToSplice: [FileRecords?] = []
    var nextFileRecords = 0
    /// Where the spliced file records go: each after `bytes[..<at]`, in order.
    public internal(set) var splices: [(at: Int, records: FileRecords)] = []

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inlinable public mutating func writeInt8(_ v: Int8) { bytes.append(UInt8(bitPattern: v)) }
    @inlinable public mutating func writeUInt8(_ v: UInt8) { bytes.append(v) }
    @inlinable public mutating func writeInt16(_ v: Int16) { writeBigEndian(UInt16(bitPattern: v)) }
    @inlinable public mutating func writeInt32(_ v: Int32) { writeBigEndian(UInt32(bitPattern: v)) }
    @inlinable public mutating func writeUInt32(_ v: UInt32) { writeBigEndian(v) }
    @inlinable public mutating func writeInt64(_ v: Int64) { writeBigEndian(UInt64(bitPattern: v)) }

    @inlinable public mutating func writeBigEndian<T: FixedWidthInteger>(_ v: T) {
        var be = v.bigEndian
        Swift.withUnsafeBytes(of: &be) { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    @inlinable public mutating func writeBytes(_ data: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: data)
    }

    /// Unsigned LEB128 varint.
    @inlinable public mutating func writeUnsignedVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Zigzag-encoded signed varint (Kafka's `ByteUtils.writeVarint` / `writeVarlong`).
    @inlinable public mutating func writeVarint(_ v: Int64) {
        writeUnsignedVarint(Varint.zigzag(v))
    }

    /// Overwrites 4 bytes at `offset` with a big-endian value.
    @inlinable public mutating func setInt32(_ v: Int32, at offset: Int) {
        setBigEndian(UInt32(bitPattern: v), at: offset)
    }

    @inlinable public mutating func setBigEndian<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= bytes.count)
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: v.bigEndian, toByteOffset: offset, as: T.self) }
    }

    public mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }

    /// Hands over the bytes and leaves the writer empty.
    public mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }
}
