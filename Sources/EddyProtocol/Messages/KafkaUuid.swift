/// A 128-bit identifier, Kafka's `org.apache.kafka.common.Uuid`: topic IDs, the cluster ID and
/// directory IDs; the `uuid` field type of Kafka's message schemas (16 bytes on the wire, most
/// significant first).
///
/// Its text form is Kafka's `Uuid.toString`: the 16 bytes in URL-safe base64 without padding,
/// always 22 characters, e.g. `AAAAAAAAAAAAAAAAAAAAAA` for `zero`.
public struct KafkaUuid: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// All zero bits: Kafka's `ZERO_UUID`, "no ID" (e.g. a topic looked up by name only).
    public static let zero = KafkaUuid(mostSignificantBits: 0, leastSignificantBits: 0)
    /// Kafka's `METADATA_TOPIC_ID` (`ONE_UUID`), reserved; never a user topic's ID.
    public static let metadataTopicId = KafkaUuid(mostSignificantBits: 0, leastSignificantBits: 1)

    /// A random version-4 UUID, as Kafka's `Uuid.randomUuid`: never a reserved ID (`zero`,
    /// `metadataTopicId`) and never one whose text form starts with '-', which a command line
    /// would take for a flag.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> KafkaUuid {
        while true {
            let msb = (generator.next() & ~0xF000 as UInt64) | 0x4000                           // version 4
            let lsb = (generator.next() & 0x3FFF_FFFF_FFFF_FFFF as UInt64) | 0x8000_0000_0000_0000  // IETF variant
            let id = KafkaUuid(mostSignificantBits: msb, leastSignificantBits: lsb)
            if id != .zero, id != .metadataTopicId, Self.alphabet[Int(msb >> 58)] != UInt8(ascii: "-") { return id }
        }
    }

    public static func random() -> KafkaUuid {
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

    /// From exactly 16 bytes, big-endian; nil for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == 16 else { return nil }
        var msb: UInt64 = 0, lsb: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { msb = msb << 8 | UInt64(b) } else { lsb = lsb << 8 | UInt64(b) }
        }
        self.init(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    /// Parses the 22-character text form. Rejects other lengths, characters outside the
    /// URL-safe base64 alphabet, and non-canonical spellings (bits set in the unused low 4 bits
    /// of the last character), so every ID has exactly one text form.
    public init?(_ text: String) {
        let chars = Array(text.utf8)
        guard chars.count == 22 else { return nil }
        var bits: [UInt8] = []
        bits.reserveCapacity(22)
        for c in chars {
            guard let v = Self.value(of: c) else { return nil }
            bits.append(v)
        }
        guard bits[21] & 0x0F == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(18)
        for i in stride(from: 0, to: 24, by: 4) {
            let quad = (0 ..< 4).reduce(UInt32(0)) { acc, j in acc << 6 | UInt32(i + j < 22 ? bits[i + j] : 0) }
            out.append(UInt8(truncatingIfNeeded: quad >> 16))
            out.append(UInt8(truncatingIfNeeded: quad >> 8))
            out.append(UInt8(truncatingIfNeeded: quad))
        }
        self.init(bytes: out[0 ..< 16])
    }

    public var description: String {
        var b = bytes
        b.append(contentsOf: [0, 0])  // pad to 18 bytes = 24 sextets; the last two are dropped
        var out = [UInt8]()
        out.reserveCapacity(24)
        for i in stride(from: 0, to: 18, by: 3) {
            let triple = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { out.append(Self.alphabet[Int(triple >> shift & 0x3F)]) }
        }
        return String(decoding: out[0 ..< 22], as: UTF8.self)
    }

    /// Kafka's `Uuid.compareTo`: most then least significant bits, each compared as a signed
    /// (Java `long`) value, so IDs with the top bit set sort first.
    public static func < (a: KafkaUuid, b: KafkaUuid) -> Bool {
        (Int64(bitPattern: a.mostSignificantBits), Int64(bitPattern: a.leastSignificantBits))
            < (Int64(bitPattern: b.mostSignificantBits), Int64(bitPattern: b.leastSignificantBits))
    }

    /// RFC 4648 section 5, the URL- and filename-safe base64 alphabet.
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    private static func value(of c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A") ... UInt8(ascii: "Z"): c - UInt8(ascii: "A")
        case UInt8(ascii: "a") ... UInt8(ascii: "z"): c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
