/// Kafka's form of a data schema kept or carried on its own (`MessageUtil.toVersionPrefixedBytes`
/// and the readers of the consumer protocol and `__consumer_offsets`): an int16 version, then
/// the struct in that version.
///
/// Data schemas only ever append fields, so a reader meets newer versions by reading the fields
/// of the newest version it knows and leaving whatever follows unread; the writer does the same
/// for a version above the schema's (the prefix keeps the version asked for).
extension WireMessage {
    /// The int16 `version`, then the value in `version` (the newest known when it is newer).
    public func versionPrefixedBytes(version: Int16) throws(ProtocolError) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.writeInt16(version)
        try write(to: &w, version: Swift.min(version, Self.validVersions.upperBound))
        return w.take()
    }

    /// Reads the value after the version prefix of `bytes`, in `version` (the newest known when
    /// it is newer): whatever follows it is left unread.
    public init(versionPrefixed bytes: [UInt8], version: Int16) throws(ProtocolError) {
        self = try bytes.withBytes { (buf) throws(ProtocolError) -> Self in
            var r = ByteReader(buf)
            _ = try r.wireInt16()
            return try Self(from: &r, version: Swift.min(version, Self.validVersions.upperBound))
        }
    }
}

extension Wire {
    /// The int16 version at the start of version-prefixed bytes.
    public static func versionPrefix(of bytes: [UInt8]) throws(ProtocolError) -> Int16 {
        guard bytes.count >= 2 else { throw .truncated(needed: 2, available: bytes.count) }
        return Int16(bitPattern: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
    }
}

extension String {
    /// The longest prefix of whole Unicode scalars whose UTF-8 fits a classic wire string (int16
    /// length: 32,767 bytes); the string itself when it fits. For encoders that cannot fail,
    /// such as those of non-flexible data schemas, which truncate rather than refuse.
    public var fittingClassicWireString: String {
        guard utf8.count > Int(Int16.max) else { return self }
        var n = 0
        var scalars = String.UnicodeScalarView()
        for s in unicodeScalars {
            n += UTF8.width(s)
            if n > Int(Int16.max) { break }
            scalars.append(s)
        }
        return String(scalars)
    }
}
