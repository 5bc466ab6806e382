/// Why bytes are not a valid RecordBatch v2. Decoding never traps on bad input: every
/// malformed length, checksum, varint or count surfaces as one of these cases.
public enum RecordBatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than a field or length needs.
    case truncated(needed: Int, available: Int)
    /// The magic byte is not 2 (only RecordBatch v2 is supported).
    case unsupportedMagic(Int8)
    /// batchLength is smaller than the fixed header or larger than allowed.
    case invalidBatchLength(Int32)
    /// The stored CRC does not match the CRC-32C of attributes..end.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// recordCount is negative or disagrees with the records actually present.
    case invalidRecordCount(Int32)
    /// lastOffsetDelta disagrees with the record count or the records' offset deltas.
    case invalidOffsetDelta(expected: Int32, found: Int32)
    /// A varint ran past its maximum width.
    case varintOverflow
    /// A length field is below -1 (or -1 where null is not allowed), or runs past its record.
    case invalidLength(field: String, value: Int64)
    /// The records section does not end exactly where batchLength says.
    case recordBoundaryMismatch
    /// The compression codec bits name no codec (5, 6 or 7).
    case unsupportedCompression(UInt8)
    /// The records of a compressed batch could not be decompressed (or compressed): the
    /// codec's library is missing, the data is corrupt, or it expands past the size limit.
    case compression(CompressionError)

    public var description: String {
        switch self {
        case let .truncated(needed, available): "truncated: needed \(needed) bytes, \(available) available"
        case let .unsupportedMagic(m): "unsupported magic byte \(m) (only RecordBatch v2 is supported)"
        case let .invalidBatchLength(l): "invalid batch length \(l)"
        case let .checksumMismatch(s, c): "CRC mismatch: stored 0x\(String(s, radix: 16)), computed 0x\(String(c, radix: 16))"
        case let .invalidRecordCount(n): "invalid record count \(n)"
        case let .invalidOffsetDelta(e, f): "invalid offset delta: expected \(e), found \(f)"
        case .varintOverflow: "varint too long"
        case let .invalidLength(field, v): "invalid \(field) length \(v)"
        case .recordBoundaryMismatch: "records do not end at the batch boundary"
        case let .unsupportedCompression(c): "unsupported compression codec \(c)"
        case let .compression(e): e.description
        }
    }
}
