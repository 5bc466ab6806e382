/// Compression codec of a RecordBatch, in attribute bits 0-2 (Kafka's `CompressionType`).
///
/// A compressed batch keeps its 61-byte header in the clear; everything after it (the
/// records, laid out exactly as in an uncompressed batch) is one compressed stream:
///
/// - gzip: a gzip stream (RFC 1952: deflate with the gzip header and CRC-32 trailer), as Java's
///   `GZIPOutputStream` writes it.
/// - snappy: either a raw snappy block (librdkafka and most non-Java clients) or snappy-java's
///   "xerial" framing (Java clients, and Kafka's broker when it recompresses): the 8-byte magic
///   `82 53 4E 41 50 50 59 00` (`\x82SNAPPY\0`), int32 version, int32 compatible version,
///   then blocks of int32 length + a raw snappy block. Both decode; eddy writes the framing.
/// - lz4: the LZ4 frame format (magic `04 22 4D 18`) with independent blocks, which Kafka's
///   `KafkaLZ4BlockInputStream` requires (it refuses linked blocks).
/// - zstd: one or more zstd frames (the frame header may omit the content size).
///
/// All integers in the framings are big-endian. The codecs run in the system's libraries,
/// loaded when first used (see `CompressionCodec`).
public enum CompressionType: UInt8, Sendable, CaseIterable {
    case none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4

    /// Kafka's `compression.type` names (a topic's `producer` and `uncompressed` are not codecs:
    /// see `init(name:)`).
    public var name: String {
        switch self {
        case .none: "none"
        case .gzip: "gzip"
        case .snappy: "snappy"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }

    /// The codec a producer's `compression.type` names (`none`, `gzip`, `snappy`, `lz4`,
    /// `zstd`); a topic's `uncompressed` is accepted as `none`. Nil for anything else.
    public init?(name: String) {
        switch name {
        case "none", "uncompressed": self = .none
        case "gzip": self = .gzip
        case "snappy": self = .snappy
        case "lz4": self = .lz4
        case "zstd": self = .zstd
        default: return nil
        }
    }

    /// The producer's `compression.type` values, in Kafka's order.
    public static let producerNames = ["none", "gzip", "snappy", "lz4", "zstd"]

    /// KIP-390's level config for this codec (`compression.gzip.level`, `compression.lz4.level`,
    /// `compression.zstd.level`), for topics and producers alike; nil for codecs without levels.
    public var levelConfigKey: String? {
        switch self {
        case .gzip: "compression.gzip.level"
        case .lz4: "compression.lz4.level"
        case .zstd: "compression.zstd.level"
        case .none, .snappy: nil
        }
    }

    /// The levels Kafka accepts for the codec, and its default: gzip 1–9 or -1 (zlib's default,
    /// which is 6), lz4 1–17 (default 9), zstd -131072–22 (default 3). Nil without levels.
    public var levels: (range: ClosedRange<Int>, default: Int)? {
        switch self {
        case .gzip: (1 ... 9, -1)
        case .lz4: (1 ... 17, 9)
        case .zstd: (-131_072 ... 22, 3)
        case .none, .snappy: nil
        }
    }

    /// Whether `level` is one Kafka accepts for the codec (its range, or its default).
    public func accepts(level: Int) -> Bool {
        guard let levels else { return false }
        return levels.range.contains(level) || level == levels.default
    }

    /// The accepted levels in words, "between 1 and 9 or -1" (empty for codecs without levels).
    public var levelRangeDescription: String {
        guard let levels else { return "" }
        let also = levels.range.contains(levels.default) ? "" : " or \(levels.default)"
        return "between \(levels.range.lowerBound) and \(levels.range.upperBound)\(also)"
    }

    /// The codecs with a level config, keyed by it.
    public static let byLevelConfigKey: [String: CompressionType] = Dictionary(uniqueKeysWithValues:
        allCases.compactMap { c in c.levelConfigKey.map { ($0, c) } })
}
