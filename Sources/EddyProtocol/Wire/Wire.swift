/// Kafka's wire protocol: the request and response messages of every API eddy speaks, as Kafka
/// 3.9's JSON schemas define them, with one value type per message that holds the fields of
/// every version (Kafka's `*Data` classes).
///
/// The types in `Wire/Generated/` are written by `scripts/generate-messages` from the schemas
/// and committed; do not edit them by hand. Their codecs follow these rules (Kafka's protocol
/// guide, KIP-482):
/// - fixed-width integers are big-endian; `bool` is one byte (non-zero reads as true);
/// - non-flexible versions: `string` = int16 length + UTF-8 (-1 for null), `bytes`/`records` =
///   int32 length + bytes (-1 for null), arrays = int32 count (-1 for null);
/// - flexible versions: compact forms, an unsigned varint of length + 1 (0 for null), and every
///   struct ends with a tagged-field section: an unsigned varint count, then for each field in
///   ascending tag order its tag, its size and its bytes. Unknown tags are skipped. A tagged
///   field is written only when it differs from its default;
/// - a field absent from a version is written only if it holds its default, unless the schema
///   marks it ignorable (then it is dropped); decoding leaves absent fields at their defaults.
public enum Wire {}

/// A struct of a message schema (the message itself or one nested in it), readable and
/// writable in the message's versions.
public protocol WireStruct: Sendable, Equatable {
    /// Appends the struct in message version `version`. Throws `.unsupportedField` or
    /// `.nullNotAllowed` when the value cannot be expressed in that version.
    func write(to writer: inout ByteWriter, version: Int16) throws(ProtocolError)
    /// Reads the struct in message version `version`, leaving fields that version lacks at
    /// their defaults.
    init(from reader: inout ByteReader, version: Int16) throws(ProtocolError)
}

/// A message schema's codec: the message in any of its versions.
public protocol WireMessage: WireStruct {
    /// The schema's `validVersions`.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first version that uses compact encodings and tagged fields, nil if none does.
    static var firstFlexibleVersion: Int16? { get }
}

/// A request or response of one API.
public protocol WireApiMessage: WireMessage {
    static var apiKey: Int16 { get }
}

extension WireMessage {
    /// Whether `version` uses compact encodings and tagged fields.
    @inlinable public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }
}

extension WireStruct {
    /// The message in `version`, as bytes.
    public func encoded(version: Int16) throws(ProtocolError) -> [UInt8] {
        var w = ByteWriter()
        try write(to: &w, version: version)
        return w.bytes
    }

    /// Decodes a message that must fill `bytes` exactly.
    public init(decoding bytes: [UInt8], version: Int16) throws(ProtocolError) {
        self = try bytes.withBytes { (buf) throws(ProtocolError) -> Self in
            var r = ByteReader(buf)
            let m = try Self(from: &r, version: version)
            guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
            return m
        }
    }
}
