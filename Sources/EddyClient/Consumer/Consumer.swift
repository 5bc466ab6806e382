import EddyProtocol
import Foundation

/// Reads records from brokers, alone (`assign`) or as a member of a consumer group
/// (`subscribe`), as Kafka's `KafkaConsumer` does with the classic group protocol.
///
/// Everything that talks to the group happens inside `poll`, as in Kafka: joining and
/// rebalancing (with the listener's callbacks), auto-commits, and resolving the position of
/// newly assigned partitions (committed offset, else `auto.offset.reset`). Background tasks
/// only send heartbeats (leaving the group when `poll` is not called for
/// `max.poll.interval.ms`), run the join/sync exchange, and fetch: each broker leading an
/// assigned partition has at most one Fetch in flight, and the next one goes out as soon as
/// `poll` hands the previous data to the application, so fetching overlaps processing.
///
/// Positions: a partition's position is the offset of the next record `poll` returns for it;
/// commits without explicit offsets commit the positions, so a record counts as consumed once
/// a later `poll` (or `commitSync`) happened after it was returned (at-least-once).
///
/// Use: call `poll` from one task at a time (a second concurrent `poll` is `.illegalState`);
/// other calls may come from any task, including the rebalance listener. Call `close()`
/// when done: it commits (with auto-commit), revokes, leaves the group and stops the tasks.
public final class Consumer: @unchecked Sendable {
    public let client: KafkaClient
    public let config: ConsumerConfig
    /// The client id in the registry and logs (`client.id`, or a generated one).
    public let clientId: String
    let coordinator: ConsumerCoordinator?
    let signal = ConsumerSignal()
    private let registry: LiveConsumers

    let lock = NSLock()
    /// Guarded by `lock`.
    var state: State

    /// Mutable state, guarded by `lock`; never held across an await.
    struct State {
        var subscriptions = SubscriptionState()
        var buffer = FetchBuffer()
        var listener: (any ConsumerRebalanceListener)?
        /// Brokers with a Fetch in flight.
        var fetchesInFlight: Set<Int32> = []
        /// Brokers not to fetch from before the given monotonic time (after a failure or an
        /// empty answer from a broker that does not hold fetches).
        var fetchBackoffUntil: [Int32: Int64] = [:]
        var metadataRefreshNeeded = true
        var lastMetadataRefreshMs = Int64.min / 2
        var lastMetadataAttemptMs = Int64.min / 2
        /// No committed-offset lookup / ListOffsets reset before this time (after a failure).
        var nextPositionAttemptMs = Int64.min
        var nextAutoCommitMs: Int64 = 0
        /// Wall clock of the last poll, for the live registry.
        var lastPollWallMs: Int64 = 0
        var polling = false
        var closing = false
        var closed = false
        /// Partitions owned before the last eager revocation, and their generation: what the
        /// sticky assignor is told this member owned (Kafka keeps this in its user data).
        var ownedBeforeRevocation: [TopicPartition] = []
        /// The last asynchronous commit: each new commit waits for it, so commits reach the
        /// coordinator in the order they were made (Kafka sends them in order on one connection).
        var lastAsyncCommit: Task<Void, Never>?
    }

    private static let clientSequence = Counter()

    /// - Throws: `.invalidConfig` when the configuration is invalid (see `ConsumerConfig.validate`).
    public init(client: KafkaClient, config: ConsumerConfig) throws(ClientError) {
        try config.validate()
        self.client = client
        self.config = config
        registry = config.registry
        clientId = config.clientId.isEmpty
            ? "consumer-\(config.groupId.map { $0 + "-" } ?? "")\(Self.clientSequence.next())" : config.clientId
        state = State()
        if let groupId = config.groupId {
            coordinator = ConsumerCoordinator(client: client, groupId: groupId, config: config,
                                              rebalanceProtocol: config.rebalanceProtocol ?? .eager, signal: signal)
        } else {
            coordinator = nil
        }
        state.nextAutoCommitMs = ClientTime.monotonicMs() + config.autoCommitIntervalMs
        registry.register(self)
    }

    /// A consumer configured with Kafka property names (see `ConsumerConfig.init(properties:)`).
    public convenience init(client: KafkaClient, properties: [String: String]) throws(ClientError) {
        try self.init(client: client, config: ConsumerConfig(properties: properties))
    }

    deinit {
        coordinator?.close()
    }

    // MARK: Subscribing and assigning

    /// Joins the group (on the next `poll`) to consume `topics`; replaces an earlier topic
    /// subscription. An empty list is `unsubscribe`. Topics that do not exist yet are assigned
    /// once they do (after a metadata refresh and rebalance).
    /// - Throws: `.invalidConfig` without a `group.id`; `.illegalState` after `assign` or a
    ///   pattern subscription.
    public func subscribe(topics: [String], listener: (any ConsumerRebalanceListener)? = nil) async throws(ClientError) {
        guard !topics.isEmpty else { return await unsubscribe() }
        guard let coordinator else { throw Self.noGroupId }
        if let blank = topics.first(where: { Self.trimmedIsEmpty($0) }) {
            throw .illegalState("Topic collection to subscribe to cannot contain null or empty topic (got '\(blank)')")
        }
        let changed = try withState { (s) throws(ClientError) -> Bool in
            try s.checkOpen()
            let changed = try s.subscriptions.subscribe(topics: Set(topics))
            s.listener = listener
            s.metadataRefreshNeeded = s.metadataRefreshNeeded || changed
            return changed
        }
        if changed { coordinator.requestRejoin("the subscription changed") }
        coordinator.start()
    }

    /// Joins the group to consume every topic whose whole name matches `pattern` (a regular
    /// expression); the match is re-evaluated at each metadata refresh (metadata.max.age.ms),
    /// and the group rebalances when the set of matching topics changes.
    public func subscribe(pattern: String, listener: (any ConsumerRebalanceListener)? = nil) async throws(ClientError) {
        guard let coordinator else { throw Self.noGroupId }
        let compiled = try TopicPattern(pattern)
        try withState { (s) throws(ClientError) in
            try s.checkOpen()
            try s.subscriptions.subscribe(pattern: compiled)
            s.listener = listener
            s.metadataRefreshNeeded = true
        }
        coordinator.requestRejoin("the subscription changed")
        coordinator.start()
    }

    /// Consumes exactly `partitions`, without group membership (commits still go to `group.id`
    /// if set). An empty list is `unsubscribe`.
    /// - Throws: `.illegalState` after `subscribe`.
    public func assign(_ partitions: [TopicPartition]) async throws(ClientError) {
        guard !partitions.isEmpty else { return await unsubscribe() }
        if let blank = partitions.first(where: { Self.trimmedIsEmpty($0.topic) }) {
            throw .illegalState("Topic partitions to assign to cannot have null or empty topic (got \(blank))")
        }
        try withState { (s) throws(ClientError) in
            try s.checkOpen()
            try s.subscriptions.assignFromUser(partitions)
            s.buffer.retain(assigned: { [subscriptions = s.subscriptions] in subscriptions.isAssigned($0) })
            s.metadataRefreshNeeded = true
        }
    }

    /// Stops consuming: a group member revokes its partitions (listener), leaves the group and
    /// forgets its membership; assigned partitions are dropped.
    public func unsubscribe() async {
        let (wasGroup, owned, listener) = lock.withLock {
            (state.subscriptions.isGroupSubscription, state.subscriptions.assigned, state.listener)
        }
        if wasGroup, let coordinator {
            await invokeLeavePrepare(owned: owned, listener: listener)
            coordinator.abortJoin()
            await coordinator.leaveGroup(reason: "the consumer unsubscribed from all topics")
        }
        lock.withLock {
            state.subscriptions.unsubscribe()
            state.buffer.retain(assigned: { _ in false })
            state.listener = nil
        }
    }

    /// The topics subscribed to (for a pattern: those currently matching it).
    public func subscription() -> Set<String> { lock.withLock { state.subscriptions.subscribedTopics } }

    /// The partitions currently assigned.
    public func assignment() -> Set<TopicPartition> { lock.withLock { Set(state.subscriptions.assigned) } }

    // MARK: Pausing

    /// Stops returning records of `partitions` (and fetching them) until `resume`; positions
    /// and group membership are unaffected.
    /// - Throws: `.illegalState` for a partition not assigned.
    public func pause(_ partitions: [TopicPartition]) throws(ClientError) {
        try withState { (s) throws(ClientError) in
            for tp in partitions where !s.subscriptions.isAssigned(tp) { throw Self.notAssigned(tp) }
            for tp in partitions { s.subscriptions.pause(tp) }
        }
    }

    public func resume(_ partitions: [TopicPartition]) throws(ClientError) {
        try withState { (s) throws(ClientError) in
            for tp in partitions where !s.subscriptions.isAssigned(tp) { throw Self.notAssigned(tp) }
            for tp in partitions { s.subscriptions.resume(tp) }
        }
        signal.notify()
    }

    public func paused() -> Set<TopicPartition> { lock.withLock { state.subscriptions.paused } }

    // MARK: Group

    /// The group membership as of now (nil without `group.id`).
    public func groupMetadata() -> ConsumerGroupMetadata? {
        guard let coordinator else { return nil }
        let g = coordinator.currentGeneration
        return ConsumerGroupMetadata(groupId: coordinator.groupId, generationId: g.generationId, memberId: g.memberId,
                                     groupInstanceId: config.groupInstanceId)
    }

    /// Kafka's `currentLag`: the high watermark (the last stable offset with read_committed) of
    /// the last fetch response minus the position; nil until both are known.
    public func currentLag(_ tp: TopicPartition) -> Int64? {
        lock.withLock { state.subscriptions.lag(tp, isolationLevel: config.isolationLevel) }
    }

    // MARK: Closing

    /// Commits the positions (with auto-commit), revokes the partitions (listener), leaves the
    /// group unless this is a static member, waits for pending asynchronous commits, and stops
    /// every background task, all within `timeoutMs` (default 30 s, as Kafka). Idempotent.
    public func close(timeoutMs: Int64 = 30_000) async {
        let proceed: Bool = lock.withLock {
            guard !state.closing else { return false }
            state.closing = true
            return true
        }
        guard proceed else { return }
        let deadline = ClientTime.monotonicMs() + max(0, timeoutMs)
        let (isGroup, owned, listener, consumed) = lock.withLock {
            (state.subscriptions.isGroupSubscription, state.subscriptions.assigned, state.listener, state.subscriptions.allConsumed)
        }
        if let coordinator {
            if config.autoCommitEnabled, !consumed.isEmpty, !isGroup || coordinator.generationIfStable() != nil {
                try? await coordinator.commit(consumed, groupManaged: isGroup, deadlineMs: deadline)
            }
            if isGroup {
                await invokeLeavePrepare(owned: owned, listener: listener)
                coordinator.abortJoin()
                await coordinator.leaveGroup(reason: "the consumer is being closed")
            }
        }
        await lock.withLock { state.lastAsyncCommit }?.value
        coordinator?.close()
        lock.withLock {
            state.closed = true
            state.buffer.retain(assigned: { _ in false })
        }
        registry.unregister(self)
        signal.notify()
    }

    /// Revokes `owned` on leaving (Kafka's `onLeavePrepare`): revoked while the generation is
    /// valid, lost otherwise.
    private func invokeLeavePrepare(owned: [TopicPartition], listener: (any ConsumerRebalanceListener)?) async {
        guard !owned.isEmpty, let listener else { return }
        if coordinator?.currentGeneration.hasGeneration == true {
            await listener.onPartitionsRevoked(owned)
        } else {
            await listener.onPartitionsLost(owned)
        }
    }

    /// Test hook: the process "crashes": background tasks stop, nothing is committed and no
    /// LeaveGroup is sent, so the coordinator learns of it only by the session timeout.
    func simulateCrash() {
        coordinator?.close()
        lock.withLock {
            state.closing = true
            state.closed = true
        }
        registry.unregister(self)
        signal.notify()
    }

    // MARK: Helpers

    /// Runs `body` on the state under the lock.
    func withState<R>(_ body: (inout State) throws(ClientError) -> R) throws(ClientError) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }

    static let noGroupId = ClientError.invalidConfig(
        key: "group.id", value: "null",
        reason: "To use the group management or offset commit APIs, you must provide a valid group.id in the consumer configuration.")

    static func notAssigned(_ tp: TopicPartition) -> ClientError {
        .illegalState("No current assignment for partition \(tp)")
    }

    private static func trimmedIsEmpty(_ s: String) -> Bool { s.allSatisfy(\.isWhitespace) }
}

extension Consumer.State {
    func checkOpen() throws(ClientError) {
        if closing || closed { throw .closed("This consumer has already been closed.") }
    }
}

extension Consumer: LiveConsumerSource {
    func liveState() -> LiveConsumerState {
        let generation = coordinator?.currentGeneration
        return lock.withLock {
            var positions: [TopicPartition: Int64] = [:]
            for tp in state.subscriptions.assigned {
                if let p = state.subscriptions.position(tp) { positions[tp] = p }
            }
            return LiveConsumerState(groupId: config.groupId, memberId: generation?.memberId ?? "", clientId: clientId,
                                     groupInstanceId: config.groupInstanceId, assignment: state.subscriptions.assigned,
                                     positions: positions, lastPollMs: state.lastPollWallMs)
        }
    }
}

/// A process-wide counter for generated client ids.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}
