import Foundation

/// A 128-bit identifier, Kafka's `Uuid`: topic IDs and the cluster ID.
///
/// Stored as 16 bytes, most significant first. Its text form is Kafka's: the 16 bytes in
/// URL-safe base64 without padding (22 characters), e.g. `AAAAAAAAAAAAAAAAAAAAAA` for zero.
public struct Uuid: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// All zero bits: Kafka's "no topic ID" (`Uuid.ZERO_UUID`).
    public static let zero = Uuid(mostSignificantBits: 0, leastSignificantBits: 0)
    /// Reserved by Kafka for the metadata topic (`Uuid.METADATA_TOPIC_ID`); never a user topic's ID.
    public static let metadataTopicId = Uuid(mostSignificantBits: 0, leastSignificantBits: 1)

    /// A random version-4 UUID, never `zero` or `metadataTopicId`, and (as Kafka requires)
    /// never one whose text form starts with '-', which would look like a command-line flag.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> Uuid {
        while true {
            var msb = generator.next() as UInt64
            var lsb = generator.next() as UInt64
            msb = (msb & ~0xF000) | 0x4000                       // version 4
            lsb = (lsb & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // IETF variant
            let id = Uuid(mostSignificantBits: msb, leastSignificantBits: lsb)
            if id != .zero, id != .metadataTopicId, !id.description.hasPrefix("-") { return id }
        }
    }

    public static func random() -> Uuid {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    /// The 16 bytes, big-endian.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: mostSignificantBits >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: leastSignificantBits >> UInt64(shift))) }
        return out
    }

    /// From exactly 16 bytes, big-endian.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 16 else { return nil }
        var msb: UInt64 = 0, lsb: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { msb = msb << 8 | UInt64(b) } else { lsb = lsb << 8 | UInt64(b) }
        }
        self.init(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    /// Parses Kafka's 22-character URL-safe base64 form.
    public init?(_ text: String) {
        guard text.utf8.count == 22 else { return nil }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += "=="
        guard let data = Data(base64Encoded: b64), data.count == 16 else { return nil }
        self.init(bytes: Array(data))
        // Reject non-canonical spellings (set bits in the unused tail of the last character).
        guard description == text else { return nil }
    }

    public var description: String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func < (a: Uuid, b: Uuid) -> Bool {
        (a.mostSignificantBits, a.leastSignificantBits) < (b.mostSignificantBits, b.leastSignificantBits)
    }
}
