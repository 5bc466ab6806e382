import EddyProtocol

/// One running broker's transaction coordinator: the pure `TransactionCoordinator` plus what
/// serving it needs (Kafka's `TransactionCoordinator` with its `TransactionStateManager` and
/// `TransactionMarkerChannelManager`). Owned by `Broker`; guarded by the cluster lock.
///
/// - `partitions` holds exactly the `__transaction_state` partitions this broker leads, as
///   `BrokerGroupCoordinator` does for groups: transactional ids are served once their partition
///   is `.loaded` (before: COORDINATOR_LOAD_IN_PROGRESS; not led here: NOT_COORDINATOR).
/// - Requests wait in `pendingReplies` under their token until the state machine answers them.
/// - `markerJobs` are the transactions whose markers are being written: the partitions still
///   without a marker, whether a WriteTxnMarkers round is in flight, and when to retry.
final class BrokerTransactionCoordinator {
    var coordinator: TransactionCoordinator
    var partitions: [Int32: BrokerGroupCoordinator.LoadState] = [:]
    var pendingReplies: [TransactionRequestToken: @Sendable (TransactionReply) -> Void] = [:]
    var nextToken: TransactionRequestToken = 1
    var markerJobs: [String: MarkerJob] = [:]
    /// When timed-out transactions were last looked for.
    var lastExpirationCheckMs: Int64

    struct MarkerJob {
        var markers: TransactionMarkers
        /// Partitions that do not have their marker yet.
        var remaining: Set<TopicPartition>
        var inFlight = false
        /// Not sent again before this (a failed round backs off).
        var retryAtMs: Int64 = 0
    }

    /// How long a failed marker round waits before the next (Kafka's marker channel retries
    /// after its backoff).
    static let markerRetryBackoffMs: Int64 = 100

    init(config: TransactionCoordinatorConfig, now: Int64) {
        coordinator = TransactionCoordinator(config: config)
        lastExpirationCheckMs = now
    }

    var isLoading: Bool { partitions.values.contains { $0 != .loaded } }

    /// Registers `respond` for a request; the token to hand to the state machine.
    func register(_ respond: @escaping @Sendable (TransactionReply) -> Void) -> TransactionRequestToken {
        let token = nextToken
        nextToken += 1
        pendingReplies[token] = respond
        return token
    }

    /// Whether `transactionalId` can be served now, else the error to answer.
    func availability(of transactionalId: String) -> ErrorCode {
        switch partitions[coordinator.partitionFor(transactionalId)] {
        case .loaded: .none
        case .loading, .reading: .coordinatorLoadInProgress
        case nil: .notCoordinator
        }
    }
}

extension Broker {
    /// Serves a producer's request at `transactionalId`'s coordinator: answered at once with
    /// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve the id now,
    /// else `event` runs the state machine with the request's token (and the time) and its
    /// actions are carried out; `answer` gets the state machine's reply. Caller holds the
    /// cluster lock.
    func coordinateTransaction(_ transactionalId: String, answer: @escaping @Sendable (TransactionReply) -> Void,
                               _ event: (inout TransactionCoordinator, TransactionRequestToken, Int64) -> [TransactionAction]) {
        let availability = transactions.availability(of: transactionalId)
        guard availability == .none else { return cluster.deferred.append { answer(TransactionReply(availability)) } }
        let token = transactions.register(answer)
        cluster.carryOutTransactions(event(&transactions.coordinator, token, cluster.clock.nowMs()), on: self)
    }
}

extension BrokerTransactionCoordinator: CoordinatorShard {
    var topicName: String { Cluster.transactionStateTopic }

    func partitionCountChanged(_ count: Int32) { coordinator.config.numPartitions = count }

    func replay(_ p: Int32, epoch: Int32, records: [GroupCoordinator.StoredRecord], cluster: Cluster, node: Broker) throws {
        let (actions, skipped) = coordinator.load(partition: p, coordinatorEpoch: epoch, records: records.filter { $0.transaction == nil }.map { (key: $0.key, value: $0.value) },
                                                  now: cluster.clock.nowMs())
        for s in skipped {
            cluster.logger.warning("skipping an unreadable __transaction_state record", metadata: ["partition": "\(p)", "error": "\(s)"])
        }
        cluster.carryOutTransactions(actions, on: node)
    }
}
