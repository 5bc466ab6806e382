import EddyProtocol

/// One running broker's group coordinator: the pure `GroupCoordinator` state machine plus what
/// serving it needs (Kafka's `GroupCoordinator` with its `GroupMetadataManager` bookkeeping).
/// Owned by `Broker`; guarded by the cluster lock.
///
/// - `partitions` holds exactly the `__consumer_offsets` partitions this broker leads: a group is
///   served only once its partition is `.loaded` (before: COORDINATOR_LOAD_IN_PROGRESS; a
///   partition this broker does not lead: NOT_COORDINATOR).
/// - JoinGroup and SyncGroup may be answered later: their reply closures wait in
///   `pendingJoins`/`pendingSyncs` under the token given to the state machine, until it emits
///   the response or the partition is unloaded (then NOT_COORDINATOR).
/// - `timers` holds, per timer, the latest time the state machine asked to be called back;
///   `tick()` runs `expireTimers` once the earliest is due. Timers are never cancelled: a late
///   or superseded one is a no-op in the state machine.
final class BrokerGroupCoordinator {
    enum LoadState: Equatable {
        /// Leadership taken; the groups are not read from the log yet (or reading failed with
        /// `lastError`, and `tick()` retries).
        case loading(lastError: String?)
        /// A thread is reading the partition's log, without the cluster lock
        /// (`Cluster.loadCoordinatorPartitions`). Only the read that finds its partition still
        /// reading, led in the epoch it read, replays what it read; an older read still running
        /// after an unload and a new leadership finds the epoch changed and starts another.
        case reading(lastError: String?)
        case loaded
    }

    /// A JoinGroup or SyncGroup waiting for its response.
    struct Pending {
        var groupId: String
        var respond: @Sendable (KafkaResponse) -> Void
    }

    var coordinator: GroupCoordinator
    var partitions: [Int32: LoadState] = [:]
    var pendingJoins: [GroupRequestToken: Pending] = [:]
    var pendingSyncs: [GroupRequestToken: Pending] = [:]
    var timers: [GroupTimer: Int64] = [:]

    init(config: GroupCoordinatorConfig, seed: UInt64) {
        coordinator = GroupCoordinator(config: config, seed: seed)
    }

    /// The earliest timer, if any.
    var nextTimerMs: Int64? { timers.values.min() }

    var isLoading: Bool { partitions.values.contains { $0 != .loaded } }

    /// The `__consumer_offsets` partition of `groupId` (with the coordinator's partition count).
    func partition(of groupId: String) -> Int32 { coordinator.partitionFor(groupId) }

    /// Drops the groups of partition `p` (leadership lost or the broker stopping): their waiting
    /// JoinGroup/SyncGroup requests are answered with NOT_COORDINATOR and their timers dropped.
    func unload(partition p: Int32, into deferred: inout [@Sendable () -> Void]) {
        guard partitions.removeValue(forKey: p) != nil else { return }
        coordinator.unload(partition: p)
        failPending(into: &deferred) { self.partition(of: $0) == p }
        timers = timers.filter { timer, _ in partition(of: timer.groupId) != p }
    }

    /// Unloads every partition (the broker stops or is killed).
    func unloadAll(into deferred: inout [@Sendable () -> Void]) {
        for p in partitions.keys.sorted() { unload(partition: p, into: &deferred) }
        failPending(into: &deferred) { _ in true }
    }

    private func failPending(into deferred: inout [@Sendable () -> Void], where matches: (String) -> Bool) {
        for (token, pending) in pendingJoins.sorted(by: { $0.key < $1.key }) where matches(pending.groupId) {
            pendingJoins[token] = nil
            let respond = pending.respond
            deferred.append { respond(.joinGroup(JoinGroupResponse(errorCode: .notCoordinator))) }
        }
        for (token, pending) in pendingSyncs.sorted(by: { $0.key < $1.key }) where matches(pending.groupId) {
            pendingSyncs[token] = nil
            let respond = pending.respond
            deferred.append { respond(.syncGroup(SyncGroupResponse(errorCode: .notCoordinator))) }
        }
    }
}

extension GroupTimer {
    var groupId: String {
        switch self {
        case let .heartbeat(group, _), let .join(group), let .sync(group): group
        }
    }
}

/// A broker's coordinators, by the topic they coordinate from.
enum CoordinatorKind: Sendable {
    case groups, transactions
}

extension Broker {
    func shard(_ kind: CoordinatorKind) -> any CoordinatorShard {
        switch kind {
        case .groups: groups
        case .transactions: transactions
        }
    }
}

/// What the group and transaction coordinators of a broker share: the partitions of their
/// topic this broker leads, each loaded from its log before it is served
/// (`Cluster.loadPartitions`). Guarded by the cluster lock.
protocol CoordinatorShard: AnyObject {
    /// `__consumer_offsets` or `__transaction_state`.
    var topicName: String { get }
    var partitions: [Int32: BrokerGroupCoordinator.LoadState] { get set }
    /// The topic has `count` partitions (keys map to partitions by it).
    func partitionCountChanged(_ count: Int32)
    /// Replays partition `p`'s records (led in `epoch`) into the state machine and carries out
    /// what follows. Caller holds the cluster lock.
    func replay(_ p: Int32, epoch: Int32, records: [GroupCoordinator.StoredRecord], cluster: Cluster, node: Broker) throws
}

extension BrokerGroupCoordinator: CoordinatorShard {
    var topicName: String { OffsetsTopic.name }

    func partitionCountChanged(_ count: Int32) { coordinator.config.offsetsTopicNumPartitions = count }

    func replay(_ p: Int32, epoch: Int32, records: [GroupCoordinator.StoredRecord], cluster: Cluster, node: Broker) throws {
        cluster.carryOut(try coordinator.load(records, now: cluster.clock.nowMs()), on: node)
    }
}
