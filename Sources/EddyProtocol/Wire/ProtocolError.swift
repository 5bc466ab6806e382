/// Why bytes are not a valid Kafka protocol message, or why a message cannot be written in the
/// version asked for. The one error type of the wire codec: every primitive, every generated
/// message codec and the frame decoder throw it, and decoding never traps on bad input.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than a field or length needs.
    case truncated(needed: Int, available: Int)
    /// A varint ran past its maximum width.
    case varintOverflow
    /// A length or count field is negative (other than -1 for null), or larger than the bytes
    /// that remain: rejected before anything is allocated for it.
    case invalidLength(field: String, value: Int64)
    /// A field that is not nullable in this version was null (on the wire or in the value).
    case nullNotAllowed(field: String, version: Int16)
    /// The value sets a field that this version cannot carry, and the field is not ignorable
    /// (Kafka's `UnsupportedVersionException` when writing).
    case unsupportedField(field: String, version: Int16)
    /// The message or header version is outside the schema's valid versions.
    case unsupportedVersion(api: Int16, version: Int16)
    /// The request header names an API key this codec has no schema for.
    case unknownApiKey(Int16)
    /// A tagged field's bytes do not hold exactly one value of its type.
    case invalidTaggedField(tag: UInt32)
    /// A tag not above the one before it, where tags must be strictly ascending.
    case taggedFieldsOutOfOrder(tag: UInt32, previous: UInt32)
    /// A string that is not valid UTF-8, where it must be.
    case invalidUTF8(field: String)
    /// A frame's size prefix is negative or above the limit (`socket.request.max.bytes`).
    case frameTooLarge(size: Int64, limit: Int)
    /// Bytes were left over after a message that should fill its frame exactly.
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case let .truncated(needed, available): "truncated: needed \(needed) bytes, \(available) available"
        case .varintOverflow: "varint too long"
        case let .invalidLength(field, value): "invalid \(field) length \(value)"
        case let .nullNotAllowed(field, version): "\(field) may not be null in version \(version)"
        case let .unsupportedField(field, version): "\(field) cannot be sent in version \(version)"
        case let .unsupportedVersion(api, version): "API \(api) has no version \(version)"
        case let .unknownApiKey(key): "unknown API key \(key)"
        case let .invalidTaggedField(tag): "tagged field \(tag) does not match its size"
        case let .taggedFieldsOutOfOrder(tag, previous): "tagged fields out of order (\(tag) after \(previous))"
        case let .invalidUTF8(field): "\(field) is not valid UTF-8"
        case let .frameTooLarge(size, limit): "frame of \(size) bytes exceeds the limit of \(limit) bytes"
        case let .trailingBytes(n): "\(n) bytes left after the message"
        }
    }

    /// The reader's bounds errors, which are the only ones its primitives raise.
    @usableFromInline init(_ error: RecordBatchError) {
        switch error {
        case let .truncated(needed, available): self = .truncated(needed: needed, available: available)
        case .varintOverflow: self = .varintOverflow
        case let .invalidLength(field, value): self = .invalidLength(field: field, value: value)
        default: self = .invalidLength(field: "\(error)", value: -1)
        }
    }
}
