import EddyProtocol

extension ConsumerConfig {
    /// Every property `init(properties:)` accepts, with Kafka's names.
    public static let propertyNames: [String] = [
        "group.id", "group.instance.id", "client.id", "enable.auto.commit", "auto.commit.interval.ms",
        "auto.offset.reset", "max.poll.records", "max.poll.interval.ms", "session.timeout.ms",
        "heartbeat.interval.ms", "fetch.min.bytes", "fetch.max.bytes", "max.partition.fetch.bytes",
        "fetch.max.wait.ms", "isolation.level", "partition.assignment.strategy", "request.timeout.ms",
        "retry.backoff.ms", "default.api.timeout.ms", "check.crcs", "metadata.max.age.ms",
        "exclude.internal.topics",
    ]

    /// Builds a configuration from Kafka property names and string values, starting from the
    /// defaults, and validates it. An unknown name or a malformed value is `.invalidConfig`.
    ///
    /// `partition.assignment.strategy` is a comma-separated list of assignor names; Kafka's
    /// class names (`org.apache.kafka.clients.consumer.RangeAssignor`, ...) are accepted too.
    public init(properties: [String: String]) throws(ClientError) {
        self.init()
        try apply(properties)
    }

    /// Sets the given properties (Kafka names) on top of the current values and validates.
    public mutating func apply(_ properties: [String: String]) throws(ClientError) {
        for key in properties.keys.sorted() {
            let value = Self.trimmed(properties[key]!)
            func invalid(_ reason: String) -> ClientError { .invalidConfig(key: key, value: value, reason: reason) }
            func int64(min: Int64 = 0) throws(ClientError) -> Int64 {
                guard let n = Int64(value), n >= min else { throw invalid("expected an integer of at least \(min)") }
                return n
            }
            func int32(min: Int32 = 0) throws(ClientError) -> Int32 {
                guard let n = Int32(value), n >= min else { throw invalid("expected an integer of at least \(min) and at most \(Int32.max)") }
                return n
            }
            func bool() throws(ClientError) -> Bool {
                switch value.lowercased() {
                case "true": return true
                case "false": return false
                default: throw invalid("expected true or false")
                }
            }
            switch key {
            case "group.id": groupId = value.isEmpty ? nil : value
            case "group.instance.id": groupInstanceId = value.isEmpty ? nil : value
            case "client.id": clientId = value
            case "enable.auto.commit": enableAutoCommit = try bool()
            case "auto.commit.interval.ms": autoCommitIntervalMs = try int64()
            case "auto.offset.reset":
                guard let r = AutoOffsetReset(rawValue: value.lowercased()) else { throw invalid("expected earliest, latest or none") }
                autoOffsetReset = r
            case "max.poll.records": maxPollRecords = Int(try int32(min: 1))
            case "max.poll.interval.ms": maxPollIntervalMs = Int64(try int32(min: 1))
            case "session.timeout.ms": sessionTimeoutMs = try int32(min: 1)
            case "heartbeat.interval.ms": heartbeatIntervalMs = try int64(min: 1)
            case "fetch.min.bytes": fetchMinBytes = try int32()
            case "fetch.max.bytes": fetchMaxBytes = try int32()
            case "max.partition.fetch.bytes": maxPartitionFetchBytes = try int32()
            case "fetch.max.wait.ms": fetchMaxWaitMs = try int32()
            case "isolation.level":
                switch value.lowercased() {
                case "read_uncommitted": isolationLevel = .readUncommitted
                case "read_committed": isolationLevel = .readCommitted
                default: throw invalid("expected read_uncommitted or read_committed")
                }
            case "partition.assignment.strategy":
                partitionAssignmentStrategy = value.split(separator: ",").map { Self.assignorName(Self.trimmed(String($0))) }
                    .filter { !$0.isEmpty }
            case "request.timeout.ms": requestTimeoutMs = try int64()
            case "retry.backoff.ms": retryBackoffMs = try int64()
            case "default.api.timeout.ms": defaultApiTimeoutMs = try int64()
            case "check.crcs": checkCrcs = try bool()
            case "metadata.max.age.ms": metadataMaxAgeMs = try int64()
            case "exclude.internal.topics": excludeInternalTopics = try bool()
            default:
                throw invalid("unknown consumer configuration (known: \(Self.propertyNames.joined(separator: ", ")))")
            }
        }
        try validate()
    }

    static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let c = t.first, c.isWhitespace { t = t.dropFirst() }
        while let c = t.last, c.isWhitespace { t = t.dropLast() }
        return String(t)
    }

    /// The assignor name for a Kafka assignor class name; other names pass through.
    static func assignorName(_ s: String) -> String {
        switch s {
        case "org.apache.kafka.clients.consumer.RangeAssignor": "range"
        case "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin"
        case "org.apache.kafka.clients.consumer.StickyAssignor": "sticky"
        case "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky"
        default: s
        }
    }
}
