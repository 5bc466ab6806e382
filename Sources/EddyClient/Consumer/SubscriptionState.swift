import EddyProtocol

/// What a consumer reads and where it is (Kafka's `SubscriptionState`): the subscription
/// (topics, a pattern, or partitions assigned by the user), the assigned partitions, and per
/// partition its fetch position, pause flag and the log bounds the last fetch reported.
///
/// A plain value: `Consumer` keeps one under its lock. Invariants (`checkInvariants`): every
/// assigned partition has exactly one state; a partition is `fetching` exactly when it has a
/// position. (An assigned partition's topic may have left the subscription: it stays assigned
/// until the next rebalance revokes it, as in Kafka.)
struct SubscriptionState {
    enum Kind: Equatable {
        case none
        /// `subscribe(topics:)`: the group assigns partitions of these topics.
        case topics
        /// `subscribe(pattern:)`: the group assigns partitions of the topics matching it.
        case pattern(TopicPattern)
        /// `assign(_:)`: the user chose the partitions; no group membership.
        case userAssigned
    }

    /// Where a partition's position comes from next (Kafka's `FetchStates`, without validation).
    enum FetchState: Equatable {
        /// Newly assigned: the committed offset decides (auto.offset.reset when there is none).
        case initializing
        /// A reset is pending (auto.offset.reset, seekToBeginning, seekToEnd), resolved by ListOffsets.
        case awaitingReset(AutoOffsetReset)
        /// The position is known; fetches go out from it.
        case fetching
    }

    struct PartitionState: Equatable {
        var fetchState: FetchState = .initializing
        /// The offset of the next record to return; set exactly when `fetchState == .fetching`.
        var position: Int64?
        /// Leader epoch of the last returned record (or of the committed offset), if known.
        var positionEpoch: Int32?
        var paused = false
        /// From the last fetch response.
        var highWatermark: Int64?
        var logStartOffset: Int64?
        var lastStableOffset: Int64?
    }

    private(set) var kind: Kind = .none
    /// The subscribed topics: those given, or those of the metadata matching the pattern.
    private(set) var subscribedTopics: Set<String> = []
    /// Assigned partitions in assignment order (the order fetches are built in).
    private(set) var assigned: [TopicPartition] = []
    private(set) var states: [TopicPartition: PartitionState] = [:]

    var isGroupSubscription: Bool {
        switch kind {
        case .topics, .pattern: true
        case .none, .userAssigned: false
        }
    }

    var pattern: TopicPattern? {
        if case let .pattern(p) = kind { return p }
        return nil
    }

    // MARK: Subscribing

    /// Kafka: "Subscription to topics, partitions and pattern are mutually exclusive".
    private func checkKind(_ wanted: Kind) throws(ClientError) {
        switch (kind, wanted) {
        case (.none, _), (.topics, .topics), (.pattern, .pattern), (.userAssigned, .userAssigned): return
        default:
            throw .illegalState("Subscription to topics, partitions and pattern are mutually exclusive")
        }
    }

    /// Subscribes to exactly `topics`; returns whether the set changed. Assigned partitions of
    /// topics no longer subscribed stay until the next rebalance revokes them.
    mutating func subscribe(topics: Set<String>) throws(ClientError) -> Bool {
        try checkKind(.topics)
        kind = .topics
        defer { subscribedTopics = topics }
        return subscribedTopics != topics
    }

    mutating func subscribe(pattern: TopicPattern) throws(ClientError) {
        switch kind {
        case .none, .pattern: break
        default: throw .illegalState("Subscription to topics, partitions and pattern are mutually exclusive")
        }
        if kind != .pattern(pattern) { subscribedTopics = [] }
        kind = .pattern(pattern)
    }

    /// With a pattern, the topics of `allTopics` that match it become the subscription;
    /// returns whether it changed.
    mutating func matchPattern(allTopics: [String], isInternal: (String) -> Bool, excludeInternal: Bool) -> Bool {
        guard let pattern else { return false }
        let matched = Set(allTopics.filter { pattern.matches($0) && !(excludeInternal && isInternal($0)) })
        defer { subscribedTopics = matched }
        return matched != subscribedTopics
    }

    /// `assign(_:)`: exactly these partitions, keeping the state of those already assigned.
    mutating func assignFromUser(_ partitions: [TopicPartition]) throws(ClientError) {
        try checkKind(.userAssigned)
        kind = partitions.isEmpty ? .none : .userAssigned
        setAssignment(partitions)
    }

    /// The assignment a rebalance gave: kept partitions keep their state, new ones start
    /// `initializing`. Ignored when the subscription is no longer a group one (the consumer
    /// unsubscribed meanwhile).
    mutating func assignFromSubscribed(_ partitions: [TopicPartition]) {
        guard isGroupSubscription else { return }
        setAssignment(partitions.filter { subscribedTopics.contains($0.topic) })
    }

    mutating func unsubscribe() {
        kind = .none
        subscribedTopics = []
        setAssignment([])
    }

    private mutating func setAssignment(_ partitions: [TopicPartition]) {
        var seen = Set<TopicPartition>()
        let ordered = partitions.filter { seen.insert($0).inserted }
        var next: [TopicPartition: PartitionState] = [:]
        for tp in ordered { next[tp] = states[tp] ?? PartitionState() }
        assigned = ordered
        states = next
    }

    // MARK: Positions

    func isAssigned(_ tp: TopicPartition) -> Bool { states[tp] != nil }

    func position(_ tp: TopicPartition) -> Int64? { states[tp]?.position }

    /// `seek`: the next fetch starts at `offset`.
    mutating func seek(_ tp: TopicPartition, offset: Int64, epoch: Int32? = nil) {
        guard var s = states[tp] else { return }
        s.fetchState = .fetching
        s.position = offset
        s.positionEpoch = epoch
        states[tp] = s
    }

    /// Records consumed up to `offset` (exclusive).
    mutating func advance(_ tp: TopicPartition, to offset: Int64, epoch: Int32?) {
        guard var s = states[tp], s.fetchState == .fetching else { return }
        s.position = offset
        if let epoch { s.positionEpoch = epoch }
        states[tp] = s
    }

    /// A pending reset: the position is forgotten until ListOffsets resolves `strategy`.
    mutating func requestReset(_ tp: TopicPartition, _ strategy: AutoOffsetReset) {
        guard var s = states[tp] else { return }
        s.fetchState = .awaitingReset(strategy)
        s.position = nil
        states[tp] = s
    }

    mutating func updateBounds(_ tp: TopicPartition, highWatermark: Int64, logStartOffset: Int64, lastStableOffset: Int64) {
        guard var s = states[tp] else { return }
        if highWatermark >= 0 { s.highWatermark = highWatermark }
        if logStartOffset >= 0 { s.logStartOffset = logStartOffset }
        if lastStableOffset >= 0 { s.lastStableOffset = lastStableOffset }
        states[tp] = s
    }

    /// Partitions whose committed offset must be looked up.
    var initializing: [TopicPartition] { assigned.filter { states[$0]?.fetchState == .initializing } }

    /// Partitions with a pending reset and its strategy.
    var awaitingReset: [(TopicPartition, AutoOffsetReset)] {
        assigned.compactMap { tp in
            if case let .awaitingReset(strategy) = states[tp]?.fetchState { return (tp, strategy) }
            return nil
        }
    }

    /// Whether every assigned partition has a position.
    var hasAllPositions: Bool { assigned.allSatisfy { states[$0]?.position != nil } }

    /// Partitions a fetch may be sent for: assigned, with a position, not paused.
    var fetchable: [TopicPartition] {
        assigned.filter { tp in
            guard let s = states[tp] else { return false }
            return s.position != nil && !s.paused
        }
    }

    /// The positions to commit (Kafka's `allConsumed`): every assigned partition with one.
    var allConsumed: [TopicPartition: OffsetAndMetadata] {
        var out: [TopicPartition: OffsetAndMetadata] = [:]
        for tp in assigned {
            if let s = states[tp], let p = s.position { out[tp] = OffsetAndMetadata(p, leaderEpoch: s.positionEpoch) }
        }
        return out
    }

    // MARK: Pausing

    mutating func pause(_ tp: TopicPartition) { states[tp]?.paused = true }
    mutating func resume(_ tp: TopicPartition) { states[tp]?.paused = false }
    func isPaused(_ tp: TopicPartition) -> Bool { states[tp]?.paused ?? false }
    var paused: Set<TopicPartition> { Set(assigned.filter { states[$0]?.paused == true }) }

    /// Kafka's `currentLag`: high watermark minus position, when both are known.
    /// How far the position is behind the end a consumer may read: the high watermark, or the
    /// last stable offset with read_committed (Kafka's `partitionLag`).
    func lag(_ tp: TopicPartition, isolationLevel: IsolationLevel = .readUncommitted) -> Int64? {
        guard let s = states[tp], let p = s.position else { return nil }
        let end = isolationLevel == .readCommitted ? s.lastStableOffset : s.highWatermark
        guard let end else { return nil }
        return max(0, end - p)
    }

    /// Violations of the invariants above (empty when they hold).
    func checkInvariants() -> [String] {
        var problems: [String] = []
        if Set(assigned) != Set(states.keys) || Set(assigned).count != assigned.count {
            problems.append("assigned partitions \(assigned) and states \(states.keys.sorted()) differ")
        }
        for (tp, s) in states where (s.fetchState == .fetching) != (s.position != nil) {
            problems.append("\(tp) is \(s.fetchState) with position \(s.position.map(String.init) ?? "none")")
        }
        return problems
    }
}
