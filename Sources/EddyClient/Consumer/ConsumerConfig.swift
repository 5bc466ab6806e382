import EddyProtocol

/// Where a consumer starts reading a partition that has no committed offset, or whose position
/// fell outside the log (Kafka's `auto.offset.reset`).
public enum AutoOffsetReset: String, Sendable, CaseIterable {
    /// The log start offset: everything still in the log.
    case earliest
    /// The high watermark: only records written from now on.
    case latest
    /// No automatic reset: `poll` fails with `ClientError.noOffsetForPartition` or
    /// `ClientError.offsetOutOfRange`.
    case none

    /// The ListOffsets timestamp that resolves this strategy; nil for `none`.
    var listOffsetsTimestamp: Int64? {
        switch self {
        case .earliest: ListOffsetsRequest.earliestTimestamp
        case .latest: ListOffsetsRequest.latestTimestamp
        case .none: nil
        }
    }
}

/// A consumer's configuration, with Kafka's property names (as `init(properties:)` keys) and
/// Kafka's defaults. Times are milliseconds.
public struct ConsumerConfig: Sendable {
    /// `group.id`: the consumer group this consumer joins when it `subscribe`s, and under which
    /// it commits offsets. Nil: no group (only `assign`, no commits).
    public var groupId: String?
    /// `group.instance.id`: a static member id (KIP-345). A static member keeps its assignment
    /// across restarts within `session.timeout.ms` and does not send LeaveGroup on close.
    public var groupInstanceId: String?
    /// `client.id`: the name in requests and in the live-consumer registry. Empty: a generated
    /// `consumer-<group>-<n>`, as Kafka does.
    public var clientId: String = ""
    /// `enable.auto.commit`: commit the positions of returned records every
    /// `auto.commit.interval.ms` (from `poll`), before a rebalance and on close. Nil means
    /// Kafka's default: true with a `group.id`, false without one (setting it to true without
    /// a `group.id` is a configuration error).
    public var enableAutoCommit: Bool?
    /// `auto.commit.interval.ms`
    public var autoCommitIntervalMs: Int64 = 5_000
    /// `auto.offset.reset`
    public var autoOffsetReset: AutoOffsetReset = .latest
    /// `max.poll.records`: the most records one `poll` returns.
    public var maxPollRecords: Int = 500
    /// `max.poll.interval.ms`: the longest time between two `poll`s before the consumer is
    /// considered failed. The consumer then leaves its group itself (its partitions go to the
    /// others) and rejoins at its next `poll`. Also the rebalance timeout of its JoinGroup.
    public var maxPollIntervalMs: Int64 = 300_000
    /// `session.timeout.ms`: the coordinator removes a member that sent no heartbeat for this long.
    public var sessionTimeoutMs: Int32 = 45_000
    /// `heartbeat.interval.ms`: the time between heartbeats; must be below `session.timeout.ms`.
    public var heartbeatIntervalMs: Int64 = 3_000
    /// `fetch.min.bytes`: a broker holds a Fetch until this many bytes are readable (or
    /// `fetch.max.wait.ms` passes).
    public var fetchMinBytes: Int32 = 1
    /// `fetch.max.bytes`: the most bytes one Fetch response carries (at least one batch is
    /// always returned, KIP-74).
    public var fetchMaxBytes: Int32 = 52_428_800
    /// `max.partition.fetch.bytes`: the most bytes per partition in one Fetch response.
    public var maxPartitionFetchBytes: Int32 = 1_048_576
    /// `fetch.max.wait.ms`: how long a broker may hold a Fetch waiting for `fetch.min.bytes`.
    public var fetchMaxWaitMs: Int32 = 500
    /// `isolation.level`: `read_uncommitted` reads below the high watermark; `read_committed`
    /// below the last stable offset, without the records of aborted transactions (see
    /// `FetchDecoder`).
    public var isolationLevel: IsolationLevel = .readUncommitted
    /// `partition.assignment.strategy`: the assignors this member supports, preferred first
    /// (names of `PartitionAssignors.all`: range, roundrobin, sticky, cooperative-sticky).
    /// Kafka 3's default, [range, cooperative-sticky], rebalances eagerly with range; list only
    /// cooperative-sticky to rebalance incrementally (KIP-429).
    public var partitionAssignmentStrategy: [String] = ["range", "cooperative-sticky"]
    /// `request.timeout.ms`
    public var requestTimeoutMs: Int64 = 30_000
    /// `retry.backoff.ms`: the pause before retrying a failed request.
    public var retryBackoffMs: Int64 = 100
    /// `default.api.timeout.ms`: the timeout of blocking calls that take none (`commitSync`,
    /// `committed`, `position`, `offsetsForTimes`, ...).
    public var defaultApiTimeoutMs: Int64 = 60_000
    /// `check.crcs`: verify the CRC-32C of every fetched batch.
    public var checkCrcs: Bool = true
    /// `metadata.max.age.ms`: refresh metadata at least this often, so that pattern
    /// subscriptions see new topics and the group rebalances when partitions are added.
    public var metadataMaxAgeMs: Int64 = 300_000
    /// `exclude.internal.topics`: pattern subscriptions never match internal topics
    /// (`__consumer_offsets`).
    public var excludeInternalTopics: Bool = true
    /// Not a Kafka property: the registry the monitoring API reads live positions from.
    public var registry: LiveConsumers = .shared

    public init(groupId: String? = nil) {
        self.groupId = groupId
    }

    /// Whether offsets are committed automatically: `enable.auto.commit` with its default resolved.
    public var autoCommitEnabled: Bool { groupId != nil && (enableAutoCommit ?? true) }

    /// The rebalance protocol of this member: the newest one every configured assignor
    /// supports (Kafka's `ConsumerCoordinator` rule). Nil when they share none.
    public var rebalanceProtocol: RebalanceProtocol? {
        let assignors = partitionAssignmentStrategy.compactMap { PartitionAssignors.named($0) }
        guard !assignors.isEmpty else { return nil }
        var common = Set(RebalanceProtocol.allCases)
        for a in assignors { common.formIntersection(a.supportedProtocols) }
        if common.contains(.cooperative) { return .cooperative }
        return common.contains(.eager) ? .eager : nil
    }

    /// Checks values and combinations as Kafka's `ConsumerConfig` and `KafkaConsumer` do.
    public func validate() throws(ClientError) {
        func invalid(_ key: String, _ value: Any, _ reason: String) -> ClientError {
            .invalidConfig(key: key, value: "\(value)", reason: reason)
        }
        if let groupId, groupId.isEmpty { throw invalid("group.id", "", "must not be empty (leave it unset for no group)") }
        if groupInstanceId != nil, groupId == nil {
            throw invalid("group.instance.id", groupInstanceId ?? "", "requires group.id")
        }
        if let g = groupInstanceId, g.isEmpty { throw invalid("group.instance.id", "", "must not be empty") }
        if enableAutoCommit == true, groupId == nil {
            throw invalid("enable.auto.commit", true, "requires group.id (offsets are committed to a group)")
        }
        guard autoCommitIntervalMs >= 0 else { throw invalid("auto.commit.interval.ms", autoCommitIntervalMs, "must be at least 0") }
        guard maxPollRecords >= 1 else { throw invalid("max.poll.records", maxPollRecords, "must be at least 1") }
        guard maxPollIntervalMs >= 1, maxPollIntervalMs <= Int64(Int32.max) else {
            throw invalid("max.poll.interval.ms", maxPollIntervalMs, "must be between 1 and \(Int32.max)")
        }
        guard sessionTimeoutMs >= 1 else { throw invalid("session.timeout.ms", sessionTimeoutMs, "must be positive") }
        guard heartbeatIntervalMs >= 1 else { throw invalid("heartbeat.interval.ms", heartbeatIntervalMs, "must be positive") }
        guard heartbeatIntervalMs < Int64(sessionTimeoutMs) else {
            throw invalid("heartbeat.interval.ms", heartbeatIntervalMs, "must be lower than session.timeout.ms (\(sessionTimeoutMs))")
        }
        guard fetchMinBytes >= 0 else { throw invalid("fetch.min.bytes", fetchMinBytes, "must be at least 0") }
        guard fetchMaxBytes >= 0 else { throw invalid("fetch.max.bytes", fetchMaxBytes, "must be at least 0") }
        guard maxPartitionFetchBytes >= 0 else { throw invalid("max.partition.fetch.bytes", maxPartitionFetchBytes, "must be at least 0") }
        guard fetchMaxWaitMs >= 0 else { throw invalid("fetch.max.wait.ms", fetchMaxWaitMs, "must be at least 0") }
        guard requestTimeoutMs >= 0 else { throw invalid("request.timeout.ms", requestTimeoutMs, "must be at least 0") }
        guard retryBackoffMs >= 0 else { throw invalid("retry.backoff.ms", retryBackoffMs, "must be at least 0") }
        guard defaultApiTimeoutMs >= 0 else { throw invalid("default.api.timeout.ms", defaultApiTimeoutMs, "must be at least 0") }
        guard metadataMaxAgeMs >= 0 else { throw invalid("metadata.max.age.ms", metadataMaxAgeMs, "must be at least 0") }
        let strategies = partitionAssignmentStrategy.joined(separator: ",")
        guard !partitionAssignmentStrategy.isEmpty else {
            throw invalid("partition.assignment.strategy", strategies, "must name at least one assignor")
        }
        for name in partitionAssignmentStrategy where PartitionAssignors.named(name) == nil {
            throw invalid("partition.assignment.strategy", strategies,
                          "unknown assignor \(name) (known: \(PartitionAssignors.all.map(\.name).joined(separator: ", ")))")
        }
        guard Set(partitionAssignmentStrategy).count == partitionAssignmentStrategy.count else {
            throw invalid("partition.assignment.strategy", strategies, "lists an assignor twice")
        }
        guard rebalanceProtocol != nil else {
            throw invalid("partition.assignment.strategy", strategies, "the assignors support no common rebalance protocol")
        }
    }
}
