import EddyProtocol
import Foundation

/// Per-topic log configuration with Kafka's names, defaults and validation rules
/// (see Kafka's `TopicConfig` / `LogConfig`). Values arrive as strings, as from
/// `--config K=V` or an AlterConfigs request, and are validated into typed fields.
public struct LogConfig: Sendable, Equatable {
    public enum CleanupPolicy: String, Sendable, CaseIterable { case delete, compact }

    public var cleanupPolicy: Set<CleanupPolicy> = [.delete]
    public var compressionType: String = "producer"
    /// KIP-390: the level the broker compresses with when it recompresses into this codec.
    public var compressionGzipLevel: Int = CompressionType.gzip.levels!.default
    public var compressionLz4Level: Int = CompressionType.lz4.levels!.default
    public var compressionZstdLevel: Int = CompressionType.zstd.levels!.default
    public var deleteRetentionMs: Int64 = 86_400_000
    public var flushMessages: Int64 = Int64.max
    public var flushMs: Int64 = Int64.max
    public var indexIntervalBytes: Int = 4096
    public var maxCompactionLagMs: Int64 = Int64.max
    public var maxMessageBytes: Int = 1_048_588
    public var messageTimestampType: String = "CreateTime"
    public var minCleanableDirtyRatio: Double = 0.5
    public var minCompactionLagMs: Int64 = 0
    public var minInsyncReplicas: Int = 1
    public var retentionBytes: Int64 = -1
    public var retentionMs: Int64 = 604_800_000
    public var segmentBytes: Int = 1_073_741_824
    public var segmentIndexBytes: Int = 10_485_760
    public var segmentJitterMs: Int64 = 0
    public var segmentMs: Int64 = 604_800_000
    public var uncleanLeaderElectionEnable: Bool = false

    /// Only the keys set explicitly (for describe and for the metadata log); defaults are implied.
    public private(set) var overrides: [String: String] = [:]

    public init() {}

    public var compact: Bool { cleanupPolicy.contains(.compact) }
    public var delete: Bool { cleanupPolicy.contains(.delete) }

    /// Every key eddy understands, in Kafka's spelling, sorted.
    public static let knownKeys: [String] = Key.allCases.map(\.rawValue).sorted()

    enum Key: String, CaseIterable {
        case cleanupPolicy = "cleanup.policy"
        case compressionGzipLevel = "compression.gzip.level"
        case compressionLz4Level = "compression.lz4.level"
        case compressionType = "compression.type"
        case compressionZstdLevel = "compression.zstd.level"
        case deleteRetentionMs = "delete.retention.ms"
        case flushMessages = "flush.messages"
        case flushMs = "flush.ms"
        case indexIntervalBytes = "index.interval.bytes"
        case maxCompactionLagMs = "max.compaction.lag.ms"
        case maxMessageBytes = "max.message.bytes"
        case messageTimestampType = "message.timestamp.type"
        case minCleanableDirtyRatio = "min.cleanable.dirty.ratio"
        case minCompactionLagMs = "min.compaction.lag.ms"
        case minInsyncReplicas = "min.insync.replicas"
        case retentionBytes = "retention.bytes"
        case retentionMs = "retention.ms"
        case segmentBytes = "segment.bytes"
        case segmentIndexBytes = "segment.index.bytes"
        case segmentJitterMs = "segment.jitter.ms"
        case segmentMs = "segment.ms"
        case uncleanLeaderElectionEnable = "unclean.leader.election.enable"
    }

    /// A rejected key or value; `description` follows Kafka's wording (INVALID_CONFIG).
    public enum ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
        case unknownKey(String)
        case invalidValue(key: String, value: String, reason: String)

        public var description: String {
            switch self {
            case let .unknownKey(k):
                "unknown topic config '\(k)' (known: \(LogConfig.knownKeys.joined(separator: ", ")))"
            case let .invalidValue(k, v, reason):
                "invalid value '\(v)' for configuration \(k): \(reason)"
            }
        }
    }

    /// Builds a config from overrides on top of the defaults.
    public init(overrides: [String: String]) throws(ValidationError) {
        self.init()
        try apply(overrides)
    }

    /// Applies overrides (validating all before changing anything).
    public mutating func apply(_ changes: [String: String]) throws(ValidationError) {
        var copy = self
        for (k, v) in changes.sorted(by: { $0.key < $1.key }) { try copy.set(k, v) }
        self = copy
    }

    /// Removes overrides, returning those keys to their defaults.
    public mutating func reset(_ keys: [String]) throws(ValidationError) {
        var remaining = overrides
        for k in keys {
            guard Key(rawValue: k) != nil else { throw .unknownKey(k) }
            remaining[k] = nil
        }
        self = try LogConfig(overrides: remaining)
    }

    /// Every key with its effective value (override or default), for describe output.
    public var effectiveValues: [(key: String, value: String, isDefault: Bool)] {
        let d = LogConfig()
        return LogConfig.knownKeys.map { k in
            if let v = overrides[k] { return (k, v, false) }
            return (k, d.value(of: Key(rawValue: k)!), true)
        }
    }

    func value(of key: Key) -> String {
        switch key {
        case .cleanupPolicy: CleanupPolicy.allCases.filter { cleanupPolicy.contains($0) }.map(\.rawValue).joined(separator: ",")
        case .compressionType: compressionType
        case .compressionGzipLevel: String(compressionGzipLevel)
        case .compressionLz4Level: String(compressionLz4Level)
        case .compressionZstdLevel: String(compressionZstdLevel)
        case .deleteRetentionMs: String(deleteRetentionMs)
        case .flushMessages: String(flushMessages)
        case .flushMs: String(flushMs)
        case .indexIntervalBytes: String(indexIntervalBytes)
        case .maxCompactionLagMs: String(maxCompactionLagMs)
        case .maxMessageBytes: String(maxMessageBytes)
        case .messageTimestampType: messageTimestampType
        case .minCleanableDirtyRatio: String(minCleanableDirtyRatio)
        case .minCompactionLagMs: String(minCompactionLagMs)
        case .minInsyncReplicas: String(minInsyncReplicas)
        case .retentionBytes: String(retentionBytes)
        case .retentionMs: String(retentionMs)
        case .segmentBytes: String(segmentBytes)
        case .segmentIndexBytes: String(segmentIndexBytes)
        case .segmentJitterMs: String(segmentJitterMs)
        case .segmentMs: String(segmentMs)
        case .uncleanLeaderElectionEnable: String(uncleanLeaderElectionEnable)
        }
    }

    private mutating func set(_ key: String, _ raw: String) throws(ValidationError) {
        guard let k = Key(rawValue: key) else { throw .unknownKey(key) }
        let v = raw.trimmingCharacters(in: .whitespaces)
        func long(min: Int64, max: Int64 = .max) throws(ValidationError) -> Int64 {
            guard let n = Int64(v) else { throw .invalidValue(key: key, value: raw, reason: "Expected value to be a 64-bit integer") }
            guard n >= min else { throw .invalidValue(key: key, value: raw, reason: "Value must be at least \(min)") }
            guard n <= max else { throw .invalidValue(key: key, value: raw, reason: "Value must be no more than \(max)") }
            return n
        }
        func int(min: Int64, max: Int64 = Int64(Int32.max)) throws(ValidationError) -> Int {
            guard let n = Int32(v) else { throw .invalidValue(key: key, value: raw, reason: "Expected value to be a 32-bit integer") }
            guard Int64(n) >= min else { throw .invalidValue(key: key, value: raw, reason: "Value must be at least \(min)") }
            guard Int64(n) <= max else { throw .invalidValue(key: key, value: raw, reason: "Value must be no more than \(max)") }
            return Int(n)
        }
        func level(_ codec: CompressionType) throws(ValidationError) -> Int {
            guard let n = Int32(v) else { throw .invalidValue(key: key, value: raw, reason: "Expected value to be a 32-bit integer") }
            guard codec.accepts(level: Int(n)) else {
                throw .invalidValue(key: key, value: raw, reason: "Value must be \(codec.levelRangeDescription)")
            }
            return Int(n)
        }
        func bool() throws(ValidationError) -> Bool {
            switch v.lowercased() {
            case "true": return true
            case "false": return false
            default: throw .invalidValue(key: key, value: raw, reason: "Expected value to be either true or false")
            }
        }
        switch k {
        case .cleanupPolicy:
            let parts = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var set = Set<CleanupPolicy>()
            for p in parts {
                guard let c = CleanupPolicy(rawValue: p) else {
                    throw .invalidValue(key: key, value: raw, reason: "String must be one of: delete, compact")
                }
                set.insert(c)
            }
            guard !set.isEmpty else { throw .invalidValue(key: key, value: raw, reason: "String must be one of: delete, compact") }
            cleanupPolicy = set
        case .compressionType:
            let kafka = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]
            guard kafka.contains(v) else {
                throw .invalidValue(key: key, value: raw, reason: "String must be one of: \(kafka.joined(separator: ", "))")
            }
            compressionType = v
        case .compressionGzipLevel: compressionGzipLevel = try level(.gzip)
        case .compressionLz4Level: compressionLz4Level = try level(.lz4)
        case .compressionZstdLevel: compressionZstdLevel = try level(.zstd)
        case .deleteRetentionMs: deleteRetentionMs = try long(min: 0)
        case .flushMessages: flushMessages = try long(min: 1)
        case .flushMs: flushMs = try long(min: 0)
        case .indexIntervalBytes: indexIntervalBytes = try int(min: 0)
        case .maxCompactionLagMs: maxCompactionLagMs = try long(min: 1)
        case .maxMessageBytes: maxMessageBytes = try int(min: 0)
        case .messageTimestampType:
            guard v == "CreateTime" || v == "LogAppendTime" else {
                throw .invalidValue(key: key, value: raw, reason: "String must be one of: CreateTime, LogAppendTime")
            }
            messageTimestampType = v
        case .minCleanableDirtyRatio:
            guard let d = Double(v), d.isFinite else { throw .invalidValue(key: key, value: raw, reason: "Expected value to be a number") }
            guard d >= 0, d <= 1 else { throw .invalidValue(key: key, value: raw, reason: "Value must be between 0 and 1") }
            minCleanableDirtyRatio = d
        case .minCompactionLagMs: minCompactionLagMs = try long(min: 0)
        case .minInsyncReplicas: minInsyncReplicas = try int(min: 1)
        case .retentionBytes: retentionBytes = try long(min: .min)
        case .retentionMs: retentionMs = try long(min: -1)
        case .segmentBytes: segmentBytes = try int(min: 14)
        case .segmentIndexBytes: segmentIndexBytes = try int(min: 4)
        case .segmentJitterMs: segmentJitterMs = try long(min: 0)
        case .segmentMs: segmentMs = try long(min: 1)
        case .uncleanLeaderElectionEnable: uncleanLeaderElectionEnable = try bool()
        }
        overrides[key] = v
    }

    /// The codec a batch sent with `source` is stored with (Kafka's `BrokerCompressionType`):
    /// the producer's own under `producer` (the default), else the topic's (`uncompressed` is
    /// none). The leader recompresses a batch whose codec differs (see `LogValidator`).
    public func storedCompression(for source: CompressionType) -> CompressionType {
        compressionType == "producer" ? source : CompressionType(name: compressionType) ?? source
    }

    /// The level the broker compresses `codec` with (KIP-390), nil for codecs without levels.
    public func compressionLevel(for codec: CompressionType) -> Int? {
        switch codec {
        case .gzip: compressionGzipLevel
        case .lz4: compressionLz4Level
        case .zstd: compressionZstdLevel
        case .none, .snappy: nil
        }
    }

    /// Whether CreateTime is replaced by the broker's append time.
    public var usesLogAppendTime: Bool { messageTimestampType == "LogAppendTime" }
}
