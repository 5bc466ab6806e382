import EddyProtocol

/// `acks`: how many replicas must have a batch before the leader answers a Produce request.
public enum ProducerAcks: Sendable, Equatable, CustomStringConvertible {
    /// `all` (or -1): every in-sync replica, and at least min.insync.replicas of them.
    case all
    /// `1`: the leader's own append.
    case leader
    /// `0`: no acknowledgement; the producer does not learn offsets (they are reported as -1).
    case none

    /// ProduceRequest.acks.
    public var value: Int16 {
        switch self {
        case .all: -1
        case .leader: 1
        case .none: 0
        }
    }

    /// Kafka's spellings: `all`, `-1`, `1`, `0`.
    public init?(_ text: String) {
        switch text {
        case "all", "-1": self = .all
        case "1": self = .leader
        case "0": self = .none
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .leader: "1"
        case .none: "0"
        }
    }
}

/// The producer's configuration, with Kafka's property names, meanings and defaults (Kafka 4.0).
///
/// Two settings have a "not set" state because Kafka treats an explicit value differently from
/// its default:
/// - `enableIdempotence` nil: idempotence is on unless another setting conflicts with it
///   (acks other than all, more than 5 requests in flight, retries 0), in which case it is
///   silently off. Set to true explicitly, a conflicting setting is a configuration error.
/// - `deliveryTimeoutMs` nil: 120000, raised to linger.ms + request.timeout.ms when that is
///   larger. Set explicitly below that sum, it is a configuration error.
///
/// `validate()` applies these rules; `Producer` calls it.
public struct ProducerConfig: Sendable, Equatable {
    /// Kafka's defaults.
    public static let defaultBatchSize = 16_384
    public static let defaultLingerMs: Int64 = 5
    public static let defaultBufferMemory = 33_554_432
    public static let defaultMaxBlockMs: Int64 = 60_000
    public static let defaultMaxInFlight = 5
    public static let defaultRetryBackoffMs: Int64 = 100
    public static let defaultDeliveryTimeoutMs: Int64 = 120_000
    public static let defaultRequestTimeoutMs: Int64 = 30_000
    public static let defaultMaxRequestSize = 1_048_576
    /// The most requests per connection an idempotent producer may have in flight: the broker
    /// remembers the last 5 batches of each producer per partition.
    public static let maxInFlightForIdempotence = 5

    /// `acks` (default all).
    public var acks: ProducerAcks = .all
    /// `linger.ms`: how long a batch that is not full may wait for more records before it is
    /// sent. 0 sends as soon as the sender is free; records still batch while requests are in flight.
    public var lingerMs: Int64 = ProducerConfig.defaultLingerMs
    /// `batch.size`: the most bytes of records one batch collects per partition. A record
    /// larger than this travels alone in a batch of its own size. 0 disables batching (one
    /// record per batch).
    public var batchSize: Int = ProducerConfig.defaultBatchSize
    /// `buffer.memory`: bytes the producer may hold in batches not yet acknowledged. Each batch
    /// takes max(batch.size, its first record) from it. When it is exhausted, `send` waits.
    public var bufferMemory: Int = ProducerConfig.defaultBufferMemory
    /// `max.block.ms`: how long `send` may wait for buffer memory or for the topic's metadata
    /// before failing with `ClientError.timeout`.
    public var maxBlockMs: Int64 = ProducerConfig.defaultMaxBlockMs
    /// `max.in.flight.requests.per.connection`: unanswered Produce requests per broker.
    public var maxInFlightRequestsPerConnection: Int = ProducerConfig.defaultMaxInFlight
    /// `retries`: how many times a batch that failed with a retriable error is sent again
    /// (delivery.timeout.ms usually ends retrying first).
    public var retries: Int32 = Int32.max
    /// `retry.backoff.ms`: the pause before a failed batch is retried and between metadata refreshes.
    public var retryBackoffMs: Int64 = ProducerConfig.defaultRetryBackoffMs
    /// `delivery.timeout.ms`: an upper bound on the time between `send` returning and the
    /// record's success or failure being reported, retries included. nil: Kafka's default (see
    /// the type's documentation).
    public var deliveryTimeoutMs: Int64?
    /// `request.timeout.ms`: how long to wait for a response to one request; also the time the
    /// leader may wait for acks=all.
    public var requestTimeoutMs: Int64 = ProducerConfig.defaultRequestTimeoutMs
    /// `enable.idempotence`: number every partition's batches with the producer id and
    /// sequence numbers so retries write each batch exactly once and in order. nil: on unless
    /// it conflicts with other settings (see the type's documentation).
    public var enableIdempotence: Bool?
    /// `transactional.id`: makes the producer transactional (KIP-98): `initTransactions`, then
    /// records are sent inside `beginTransaction` ... `commitTransaction`/`abortTransaction`.
    /// Needs idempotence (on unless explicitly false, which is an error), and so acks=all.
    public var transactionalId: String?
    /// `transaction.timeout.ms`: how long the coordinator lets a transaction stay open before it
    /// aborts it (at most the broker's transaction.max.timeout.ms). Kafka's default, 60 s.
    public var transactionTimeoutMs: Int32 = 60_000
    /// `partitioner.ignore.keys`: place keyed records like keyless ones (sticky partitioning).
    public var partitionerIgnoreKeys = false
    /// `client.id`: names the producer in requests.
    public var clientId = "producer"
    /// `max.request.size`: the largest record, and the most bytes of batches in one request.
    public var maxRequestSize: Int = ProducerConfig.defaultMaxRequestSize
    /// `compression.type`: the codec batches are compressed with, `none` (the default), `gzip`,
    /// `snappy`, `lz4` or `zstd`, run in the system's library for it (see `CompressionCodec`).
    /// Batches fill up to batch.size *uncompressed* (Kafka estimates the compressed size
    /// instead), so a compressed batch is smaller on the wire than batch.size.
    public var compressionType = "none"
    /// KIP-390's `compression.gzip.level`, `compression.lz4.level` and `compression.zstd.level`:
    /// the level batches of that codec are compressed at (defaults -1, i.e. zlib's 6; 9; 3).
    public var compressionLevels: [CompressionType: Int] = [:]

    /// The level batches are compressed at: the configured one for the codec, else its default.
    public var compressionLevel: Int? { compressionLevels[compression] ?? compression.levels?.default }

    /// The codec `compressionType` names (`.none` when it names none, which `validate()` refuses).
    public var compression: CompressionType { CompressionType(name: compressionType) ?? .none }

    public init() {}

    /// The configuration from Kafka property names and string values, as a properties file or
    /// `--producer-property key=value` gives them. Unknown names and malformed values are
    /// `ClientError.invalidConfig`. (Also runs `validate()`.)
    public init(properties: [String: String]) throws(ClientError) {
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            try set(key, value)
        }
        try validate()
    }

    /// The property names `init(properties:)` and `set(_:_:)` accept.
    public static let propertyNames: [String] = [
        "acks", "batch.size", "buffer.memory", "client.id", "compression.gzip.level", "compression.lz4.level",
        "compression.type", "compression.zstd.level", "delivery.timeout.ms",
        "enable.idempotence", "linger.ms", "max.block.ms", "max.in.flight.requests.per.connection",
        "max.request.size", "partitioner.class", "partitioner.ignore.keys", "request.timeout.ms", "retries",
        "retry.backoff.ms", "transaction.timeout.ms", "transactional.id",
    ]

    /// Sets one property by its Kafka name (no cross-setting validation: call `validate()`).
    public mutating func set(_ key: String, _ value: String) throws(ClientError) {
        let v = value.trimmingSpaces
        switch key {
        case "acks":
            guard let a = ProducerAcks(v) else { throw .invalidConfig(key: key, value: value, reason: "must be one of all, -1, 0, 1") }
            acks = a
        case "batch.size": batchSize = try Self.int(key, v, min: 0)
        case "buffer.memory": bufferMemory = try Self.int(key, v, min: 0)
        case "client.id": clientId = value
        case "compression.type":
            guard CompressionType.producerNames.contains(v) else {
                throw .invalidConfig(key: key, value: value,
                                     reason: "must be one of \(CompressionType.producerNames.joined(separator: ", "))")
            }
            compressionType = v
        case "compression.gzip.level", "compression.lz4.level", "compression.zstd.level":
            let codec = CompressionType.byLevelConfigKey[key]!
            guard let n = Int(v), codec.accepts(level: n) else {
                throw .invalidConfig(key: key, value: value, reason: "must be \(codec.levelRangeDescription)")
            }
            compressionLevels[codec] = n
        case "delivery.timeout.ms": deliveryTimeoutMs = Int64(try Self.int(key, v, min: 0))
        case "enable.idempotence": enableIdempotence = try Self.bool(key, v)
        case "transactional.id": transactionalId = v.isEmpty ? nil : v
        case "transaction.timeout.ms": transactionTimeoutMs = Int32(try Self.int(key, v, min: 1, max: Int(Int32.max)))
        case "linger.ms": lingerMs = Int64(try Self.int(key, v, min: 0))
        case "max.block.ms": maxBlockMs = Int64(try Self.int(key, v, min: 0))
        case "max.in.flight.requests.per.connection": maxInFlightRequestsPerConnection = try Self.int(key, v, min: 1)
        case "max.request.size": maxRequestSize = try Self.int(key, v, min: 0)
        case "partitioner.class":
            // Only Kafka's built-in partitioner (the default, no class) exists in eddy.
            guard v.isEmpty else {
                throw .invalidConfig(key: key, value: value, reason: "custom partitioners are not supported; eddy uses Kafka's built-in partitioner")
            }
        case "partitioner.ignore.keys": partitionerIgnoreKeys = try Self.bool(key, v)
        case "request.timeout.ms": requestTimeoutMs = Int64(try Self.int(key, v, min: 0))
        case "retries": retries = Int32(try Self.int(key, v, min: 0, max: Int(Int32.max)))
        case "retry.backoff.ms": retryBackoffMs = Int64(try Self.int(key, v, min: 0))
        default:
            throw .invalidConfig(key: key, value: value, reason: "unknown producer configuration")
        }
    }

    /// Checks the settings against each other as Kafka's `KafkaProducer` constructor does.
    public func validate() throws(ClientError) {
        if batchSize < 0 { throw .invalidConfig(key: "batch.size", value: "\(batchSize)", reason: "must be at least 0") }
        if bufferMemory < 0 { throw .invalidConfig(key: "buffer.memory", value: "\(bufferMemory)", reason: "must be at least 0") }
        if lingerMs < 0 { throw .invalidConfig(key: "linger.ms", value: "\(lingerMs)", reason: "must be at least 0") }
        if maxBlockMs < 0 { throw .invalidConfig(key: "max.block.ms", value: "\(maxBlockMs)", reason: "must be at least 0") }
        if requestTimeoutMs < 0 {
            throw .invalidConfig(key: "request.timeout.ms", value: "\(requestTimeoutMs)", reason: "must be at least 0")
        }
        if retryBackoffMs < 0 { throw .invalidConfig(key: "retry.backoff.ms", value: "\(retryBackoffMs)", reason: "must be at least 0") }
        if retries < 0 { throw .invalidConfig(key: "retries", value: "\(retries)", reason: "must be at least 0") }
        if maxRequestSize < 0 { throw .invalidConfig(key: "max.request.size", value: "\(maxRequestSize)", reason: "must be at least 0") }
        if maxInFlightRequestsPerConnection < 1 {
            throw .invalidConfig(key: "max.in.flight.requests.per.connection", value: "\(maxInFlightRequestsPerConnection)",
                                 reason: "must be at least 1")
        }
        guard CompressionType.producerNames.contains(compressionType), let codec = CompressionType(name: compressionType) else {
            throw .invalidConfig(key: "compression.type", value: compressionType,
                                 reason: "must be one of \(CompressionType.producerNames.joined(separator: ", "))")
        }
        // The codec's library must load (a missing one names the package to install).
        do throws(CompressionError) {
            _ = try CompressionCodec.system(codec)
        } catch {
            throw .invalidConfig(key: "compression.type", value: compressionType, reason: error.description)
        }
        if let d = deliveryTimeoutMs {
            if d < 0 { throw .invalidConfig(key: "delivery.timeout.ms", value: "\(d)", reason: "must be at least 0") }
            if d < lingerMs + requestTimeoutMs {
                throw .invalidConfig(key: "delivery.timeout.ms", value: "\(d)",
                                     reason: "should be equal to or larger than linger.ms + request.timeout.ms (\(lingerMs + requestTimeoutMs))")
            }
        }
        if transactionalId != nil, enableIdempotence == false {
            throw .invalidConfig(key: "enable.idempotence", value: "false",
                                 reason: "cannot set a transactional.id without also enabling idempotence")
        }
        if enableIdempotence == true || transactionalId != nil {
            if maxInFlightRequestsPerConnection > Self.maxInFlightForIdempotence {
                throw .invalidConfig(key: "max.in.flight.requests.per.connection", value: "\(maxInFlightRequestsPerConnection)",
                                     reason: "must be at most \(Self.maxInFlightForIdempotence) to use the idempotent producer")
            }
            if retries == 0 {
                throw .invalidConfig(key: "retries", value: "0", reason: "must be greater than 0 to use the idempotent producer")
            }
            if acks != .all {
                throw .invalidConfig(key: "acks", value: acks.description,
                                     reason: "must be all in order to use the idempotent producer; otherwise idempotence cannot be guaranteed")
            }
        }
    }

    /// Whether the producer numbers its batches: explicitly enabled, or defaulted and not in
    /// conflict with acks, retries or max.in.flight.requests.per.connection.
    public var idempotenceEnabled: Bool {
        if let explicit = enableIdempotence { return explicit }
        if transactionalId != nil { return true }
        return acks == .all && retries > 0 && maxInFlightRequestsPerConnection <= Self.maxInFlightForIdempotence
    }

    /// delivery.timeout.ms as the producer applies it.
    public var effectiveDeliveryTimeoutMs: Int64 {
        deliveryTimeoutMs ?? max(Self.defaultDeliveryTimeoutMs, lingerMs + requestTimeoutMs)
    }

    private static func int(_ key: String, _ v: String, min: Int, max: Int = Int.max) throws(ClientError) -> Int {
        guard let n = Int(v) else { throw .invalidConfig(key: key, value: v, reason: "expected an integer") }
        guard n >= min, n <= max else {
            throw .invalidConfig(key: key, value: v, reason: max == Int.max ? "must be at least \(min)" : "must be between \(min) and \(max)")
        }
        return n
    }

    private static func bool(_ key: String, _ v: String) throws(ClientError) -> Bool {
        switch v.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .invalidConfig(key: key, value: v, reason: "expected true or false")
        }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
