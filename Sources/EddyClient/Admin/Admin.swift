import EddyProtocol
import Synchronization

/// Kafka's `Admin` client: topics, configurations, consumer groups and their offsets, partition
/// offsets and record deletion, over the request layer (`KafkaClient`). Each call routes its
/// requests as Kafka's admin does (topic and config calls to any broker, partition calls to the
/// partition leaders, group calls to the group coordinator), retries retriable errors after
/// refreshing what moved (metadata, the coordinator) until `default.api.timeout.ms` passes, and
/// fails with the first non-retriable error as a `ClientError` (`.broker(code, message)` carrying
/// Kafka's error name).
///
/// The calls are grouped by area: `Admin+Topics`, `Admin+Configs`, `Admin+Groups`,
/// `Admin+GroupOffsets`, `Admin+Offsets`, plus `GroupPositions` (the four positions and two lags)
/// and `Admin+OffsetReset` (gathering a reset plan's inputs and executing it).
///
/// Thread-safe and stateless beyond its client: any call may be made from any task. The admin
/// does not own the client; closing it is the caller's business.
public final class Admin: Sendable {
    public let client: KafkaClient
    public let config: AdminConfig

    public init(client: KafkaClient, config: AdminConfig = AdminConfig()) {
        self.client = client
        self.config = config
    }

    // MARK: Retries

    /// The monotonic time by which a call started now must finish.
    func deadline() -> Int64 { ClientTime.monotonicMs() + config.defaultApiTimeoutMs }

    /// Runs `attempt` until it succeeds or fails with a non-retriable error; a retriable failure
    /// is retried after retry.backoff.ms while the deadline allows another attempt, then thrown.
    func retrying<T>(until deadline: Int64, _ attempt: () async throws(ClientError) -> T) async throws(ClientError) -> T {
        while true {
            do throws(ClientError) {
                return try await attempt()
            } catch let error {
                guard error.isRetriable, ClientTime.monotonicMs() + client.retryBackoffMs < deadline else { throw error }
                await ClientTime.sleep(ms: client.retryBackoffMs)
            }
        }
    }

    /// Runs `body` against the coordinator of `group`, rediscovering the coordinator after
    /// NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE or a transport failure, and retrying those and
    /// COORDINATOR_LOAD_IN_PROGRESS. `body` throws `.broker(code, ...)` for a response error.
    func coordinatorCall<T>(group: String, deadline: Int64,
                            _ body: (Int32) async throws(ClientError) -> T) async throws(ClientError) -> T {
        try await retrying(until: deadline) { () async throws(ClientError) -> T in
            let node = try await client.coordinator(forGroup: group, timeoutMs: max(0, deadline - ClientTime.monotonicMs()))
            do throws(ClientError) {
                return try await body(node)
            } catch let error {
                if Self.coordinatorMoved(error) { client.coordinatorFailed(forGroup: group) }
                throw error
            }
        }
    }

    static func coordinatorMoved(_ error: ClientError) -> Bool {
        switch error {
        case .transport: true
        case let .broker(code, _): code == .notCoordinator || code == .coordinatorNotAvailable
        default: false
        }
    }

    /// The first error among group-level and partition-level codes, as a `ClientError`.
    static func check(_ code: ErrorCode, _ message: @autoclosure () -> String? = nil) throws(ClientError) {
        if code != .none { throw .broker(code, message: message()) }
    }

    static func unexpected(_ response: KafkaResponse, expected: String) -> ClientError {
        KafkaClient.unexpected(response, expected: expected)
    }

    // MARK: Partition leaders

    /// What one leader answered for one partition.
    enum PartitionOutcome<V: Sendable>: Sendable {
        case success(V)
        case failure(ErrorCode)
    }

    /// Sends `request(leader, partitions)` to the leader of each partition (one request per
    /// leader, all at once) and gathers the answers. Partitions whose leader is unknown, moved
    /// (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, FENCED/UNKNOWN_LEADER_EPOCH, other
    /// retriable errors) or unreachable are retried after a metadata refresh until `deadline`.
    /// A topic the metadata does not know, or a partition beyond its partition count, fails at
    /// once with UNKNOWN_TOPIC_OR_PARTITION, as Kafka's admin does.
    func leaderCall<V: Sendable>(
        _ partitions: [TopicPartition], deadline: Int64,
        _ request: @escaping @Sendable (Int32, [TopicPartition]) async throws(ClientError) -> [TopicPartition: PartitionOutcome<V>]
    ) async throws(ClientError) -> [TopicPartition: V] {
        try await leaderRounds(partitions, deadline: deadline, bestEffort: false, request).values
    }

    /// What a best-effort leader call got: the values of the partitions whose leaders answered,
    /// and for every other partition why it has none.
    struct LeaderAnswers<V: Sendable>: Sendable {
        var values: [TopicPartition: V] = [:]
        var failures: [TopicPartition: ClientError] = [:]
    }

    /// `leaderCall` for monitoring, where each partition stands alone (Kafka's per-partition
    /// futures): a leader that does not answer fails only its own partitions, without waiting
    /// for it, as does a leader the metadata no longer lists among the live brokers (it is not
    /// asked); a partition without a leader fails with LEADER_NOT_AVAILABLE, an unknown one
    /// with UNKNOWN_TOPIC_OR_PARTITION. Such a verdict is final only on metadata refreshed
    /// during the call (a cached leader may have been replaced since: those partitions are
    /// tried again at once after one refresh). Partitions whose leader moved are retried after
    /// a metadata refresh until `deadline`, then fail with their last error. Throws only when
    /// the metadata cannot be read at all.
    func leaderCallBestEffort<V: Sendable>(
        _ partitions: [TopicPartition], deadline: Int64,
        _ request: @escaping @Sendable (Int32, [TopicPartition]) async throws(ClientError) -> [TopicPartition: PartitionOutcome<V>]
    ) async throws(ClientError) -> LeaderAnswers<V> {
        try await leaderRounds(partitions, deadline: deadline, bestEffort: true, request)
    }

    private func leaderRounds<V: Sendable>(
        _ partitions: [TopicPartition], deadline: Int64, bestEffort: Bool,
        _ request: @escaping @Sendable (Int32, [TopicPartition]) async throws(ClientError) -> [TopicPartition: PartitionOutcome<V>]
    ) async throws(ClientError) -> LeaderAnswers<V> {
        var pending = Set(partitions)
        var answers = LeaderAnswers<V>()
        var refresh = false
        var lastError: [TopicPartition: ClientError] = [:]
        var lastAny = ClientError.broker(.leaderNotAvailable, message: nil)
        /// Retry after retry.backoff.ms (the leader moved, or may have).
        var backoff = false
        func note(_ tp: TopicPartition, _ error: ClientError) {
            lastError[tp] = error
            lastAny = error
            refresh = true
            backoff = true
        }
        /// Strict calls fail with the first non-retriable error; best-effort ones note it.
        func fail(_ tp: TopicPartition, _ error: ClientError) throws(ClientError) {
            guard bestEffort else { throw error }
            answers.failures[tp] = error
            pending.remove(tp)
        }
        /// Best effort: what this round's metadata says is final once it was refreshed in this
        /// call; on cached metadata the partition is tried again at once after a refresh.
        var fresh = false
        func failOrRecheck(_ tp: TopicPartition, _ error: ClientError) throws(ClientError) {
            if fresh { return try fail(tp, error) }
            lastError[tp] = error
            lastAny = error
            refresh = true
        }
        while !pending.isEmpty {
            let topics = Set(pending.map(\.topic)).sorted()
            var metadata = client.metadata
            if refresh || topics.contains(where: { metadata.topics[$0] == nil }) {
                metadata = try await client.refreshMetadata(topics: topics)
                fresh = true
            }
            refresh = false
            backoff = false
            var byLeader: [Int32: [TopicPartition]] = [:]
            for tp in pending.sorted() {
                guard let topic = metadata.topics[tp.topic] else {
                    try fail(tp, .broker(metadata.topicErrors[tp.topic] ?? .unknownTopicOrPartition,
                                         message: "topic \(tp.topic) does not exist"))
                    continue
                }
                guard tp.partition >= 0, Int(tp.partition) < topic.partitions.count else {
                    try fail(tp, .broker(.unknownTopicOrPartition, message: "partition \(tp) does not exist"))
                    continue
                }
                if let leader = metadata.leader(of: tp) {
                    if bestEffort, !metadata.brokers.isEmpty, metadata.brokers[leader] == nil {
                        // The metadata still names it leader, but it is not among the live brokers.
                        try failOrRecheck(tp, .transport(.brokerUnavailable(leader)))
                    } else {
                        byLeader[leader, default: []].append(tp)
                    }
                } else {
                    let error = ClientError.broker(.leaderNotAvailable, message: "partition \(tp) has no leader")
                    if bestEffort { try failOrRecheck(tp, error) } else { note(tp, error) }
                }
            }
            // The children hand their replies over through a box rather than as the group's child
            // results: a child result of this generic tuple type crashed the release build in the
            // task group's copy of it (swift_retain on a bad pointer; debug builds were fine).
            let box = LeaderReplies<V>()
            await withTaskGroup(of: Void.self) { group in
                for (leader, tps) in byLeader {
                    group.addTask {
                        do throws(ClientError) {
                            let outcomes = try await request(leader, tps)
                            box.add(tps, .success(outcomes))
                        } catch {
                            box.add(tps, .failure(error))
                        }
                    }
                }
            }
            let replies = box.all
            for (tps, reply) in replies {
                switch reply {
                case let .failure(error):
                    // A leader that does not answer: only its partitions are affected.
                    if bestEffort, case .transport = error {
                        for tp in tps { try failOrRecheck(tp, error) }
                        continue
                    }
                    guard error.isRetriable else {
                        for tp in tps { try fail(tp, error) }
                        continue
                    }
                    for tp in tps { note(tp, error) }
                case let .success(outcomes):
                    for (tp, outcome) in outcomes where pending.contains(tp) {
                        switch outcome {
                        case let .success(v):
                            answers.values[tp] = v
                            pending.remove(tp)
                        case let .failure(code):
                            let error = ClientError.broker(code, message: "partition \(tp)")
                            guard code.isRetriable else {
                                try fail(tp, error)
                                continue
                            }
                            note(tp, error)
                        }
                    }
                }
            }
            if pending.isEmpty { break }
            refresh = true
            // Only partitions to check again on fresh metadata: no pause.
            if bestEffort, !backoff { continue }
            guard ClientTime.monotonicMs() + client.retryBackoffMs < deadline else {
                guard bestEffort else { throw lastAny }
                for tp in pending { answers.failures[tp] = lastError[tp] ?? lastAny }
                pending.removeAll()
                break
            }
            await ClientTime.sleep(ms: client.retryBackoffMs)
        }
        return answers
    }
}

/// The replies of one round of `Admin.leaderRounds`, per leader, as its children deliver them.
private final class LeaderReplies<V: Sendable>: Sendable {
    private let replies = Mutex<[([TopicPartition], Result<[TopicPartition: Admin.PartitionOutcome<V>], ClientError>)]>([])

    func add(_ partitions: [TopicPartition], _ reply: Result<[TopicPartition: Admin.PartitionOutcome<V>], ClientError>) {
        replies.withLock { $0.append((partitions, reply)) }
    }

    var all: [([TopicPartition], Result<[TopicPartition: Admin.PartitionOutcome<V>], ClientError>)] { replies.withLock { $0 } }
}
