import EddyProtocol
import EddyStorage
import Foundation

/// One broker of the cluster, while it runs: what a transport delivers requests to
/// (`RequestHandler`). It owns its log directory (`logManager`), its replicas (the replica
/// manager: one `Replica` per hosted partition, each with its own writer lock), its share of the
/// group coordinator (the `__consumer_offsets` partitions it leads) and its delayed operations
/// (acks=all produces and consumer fetches waiting in its purgatories).
///
/// The request path: transport → `Cluster.deliver` (finds the running broker) → `handle` →
/// the API's handler, one file per API in `Handlers/` (`Broker+Produce.swift`,
/// `Broker+Fetch.swift`, ...) → the replica → its `PartitionLog`. Produce takes no cluster lock
/// (its replica's `stateLock` and this broker's `purgatoryLock` only), nor does Fetch but to send
/// an ISR change to the controller or to tell an unknown partition from one led elsewhere;
/// ListOffsets and DeleteRecords hold it only to check in-memory state, never while their log is
/// written or read (see `Replica`); the other handlers run under it (a role change waits for its
/// partition's write). The controller's handlers (CreateTopics, DeleteTopics,
/// IncrementalAlterConfigs, InitProducerId) only write the metadata; their answers wait, without
/// the lock, until it is durable and applied (`Cluster.answerAfterCommit`).
///
/// What the brokers share lives in `cluster`: the controller and the metadata log, the lock
/// guarding role changes and coordinators, and the response callbacks queued under that lock
/// (`Cluster.deferred`). A broker is replaced by a new object, with a new
/// `incarnation`, each time it starts.
final class Broker: RequestHandler, @unchecked Sendable {
    unowned let cluster: Cluster
    let id: Int32
    /// Which run of this broker this is (sent as `replicaEpoch` in its fetches).
    let incarnation: Int64
    let logManager: LogManager
    /// The replica manager: the replicas this broker hosts. Changed (`setReplica`) under the
    /// cluster lock and `tableLock`: code under the cluster lock reads it as it is, Produce and
    /// Fetch through `hostedReplica` under `tableLock` alone.
    private(set) var replicas: [TopicPartition: Replica] = [:] {
        didSet { sortedReplicasCache = nil }
    }
    private let tableLock = NSLock()

    /// Hosts `replica` as `tp` (nil: no longer). Caller holds the cluster lock.
    func setReplica(_ tp: TopicPartition, _ replica: Replica?) {
        tableLock.withLock { replicas[tp] = replica }
    }

    /// This broker's replica of `tp`, if it hosts one. Needs no cluster lock.
    func hostedReplica(_ tp: TopicPartition) -> Replica? {
        tableLock.withLock { replicas[tp] }
    }
    private var sortedReplicasCache: [(key: TopicPartition, value: Replica)]?
    /// `replicas` in partition order (replication rounds and ticks visit them so, for runs that
    /// repeat from a seed), sorted once until `replicas` changes: with 10,000 partitions,
    /// sorting them for every round held the cluster lock for milliseconds per produce.
    /// Guarded by the cluster lock.
    var sortedReplicas: [(key: TopicPartition, value: Replica)] {
        if let sortedReplicasCache { return sortedReplicasCache }
        let sorted = replicas.sorted { $0.key < $1.key }
        sortedReplicasCache = sorted
        return sorted
    }
    /// The group coordinator for the `__consumer_offsets` partitions this broker leads.
    let groups: BrokerGroupCoordinator
    /// The transaction coordinator for the `__transaction_state` partitions this broker leads.
    let transactions: BrokerTransactionCoordinator
    /// Producer ids this broker may still hand out (from its last block, see
    /// `Controller.allocateProducerIds`); empty until the first InitProducerId.
    var producerIds: Range<Int64> = 0 ..< 0
    /// Guards what Produce and Fetch share on this broker without the cluster lock: whether it
    /// runs (`running`), its purgatories and its fetch wake-up marks. Held for in-memory work
    /// only; taken after the cluster lock and before any replica's `stateLock`.
    let purgatoryLock = NSLock()
    /// False once the broker stopped (set under the cluster lock as well). Guarded by
    /// `purgatoryLock`.
    private(set) var running = true
    /// acks=all produces (and group writes) waiting for the high watermark (Kafka's produce
    /// purgatory). Guarded by `purgatoryLock`.
    var producePurgatory: [DelayedProduce] = []
    /// Consumer fetches waiting for fetch.min.bytes (Kafka's fetch purgatory). Guarded by
    /// `purgatoryLock`.
    var fetchPurgatory: [DelayedFetch] = []
    /// Per partition, a mark that moves whenever it changes in a way that may complete a
    /// waiting fetch (see `serveFetch`: a fetch read while its partition changed is read again,
    /// not parked): the broker's next `wakeupSequence`, so that a mark forgotten with its topic
    /// (`pruneFetchWakeups`) is never given again. Guarded by `purgatoryLock`.
    var fetchWakeups: [TopicPartition: UInt64] = [:]
    var wakeupSequence: UInt64 = 0

    /// Whether this broker still runs, for code without the cluster lock.
    var isServing: Bool { purgatoryLock.withLock { running } }

    /// This broker stops: nothing parks in its purgatories any more. Caller holds the cluster
    /// lock, not `purgatoryLock`.
    func markStopped() { purgatoryLock.withLock { running = false } }
    /// The group coordinator's writes waiting to be appended, oldest first, and whether a thread
    /// is appending them (`queueGroupWrite`). Guarded by the cluster lock.
    var groupWrites: [GroupWrite] = []
    var drainingGroupWrites = false

    init(cluster: Cluster, id: Int32, incarnation: Int64, logManager: LogManager, groups: BrokerGroupCoordinator,
         transactions: BrokerTransactionCoordinator) {
        self.cluster = cluster
        self.id = id
        self.incarnation = incarnation
        self.logManager = logManager
        self.groups = groups
        self.transactions = transactions
    }

    /// Whether this object is the running broker `id` (not a stopped or earlier run). Caller
    /// holds the cluster lock.
    var isRunning: Bool { !cluster.isShutDown && cluster.nodes[id] === self }

    /// Serves `request`: every API but the eddy broker control (which the cluster serves, since
    /// it starts stopped brokers). A broker that stopped meanwhile fails it with
    /// `brokerUnavailable`, as a closed connection would. Produce (acks=all), Fetch (long
    /// polling), JoinGroup, SyncGroup and the requests that write to `__consumer_offsets` may be
    /// answered later, from another call's stack (the one that moved the high watermark, ran the
    /// timer, ...).
    func handle(_ request: KafkaRequest, context: RequestContext,
                completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        let respond: @Sendable (KafkaResponse) -> Void = { completion(.success($0)) }
        // Produce, Fetch, ListOffsets, DeleteRecords and WriteTxnMarkers take the locks they
        // need themselves, and none while they write or read a log. Produce takes no cluster
        // lock (nor leaves callbacks for `flushDeferred`): it only hands its appends to the
        // followers.
        switch request {
        case let .produce(r):
            handleProduce(r, respond: respond)
            return cluster.replicateAppended()
        case let .listOffsets(r): handleListOffsets(r, respond: respond)
        case let .deleteRecords(r): handleDeleteRecords(r, respond: respond)
        case let .writeTxnMarkers(r): handleWriteTxnMarkers(r, respond: respond)
        case let .fetch(r):
            // Like Produce, leaves nothing for `flushDeferred` (an ISR change it causes is
            // proposed, and flushed, by `readFetch`).
            return handleFetchRequest(r, context: context, respond: cluster.countingFetchBytes(on: id, respond))
        default:
            let handled: Bool = cluster.lock.withLock {
                guard isRunning else { return false }
                handleLocked(request, context: context, respond: respond)
                return true
            }
            if !handled { completion(.failure(.brokerUnavailable(id))) }
        }
        cluster.flushDeferred()
    }

    /// The requests served under the cluster lock. Caller holds the lock.
    private func handleLocked(_ request: KafkaRequest, context: RequestContext, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let queue = { (response: KafkaResponse) in self.cluster.queue(respond, response) }
        // The controller's answers: held while metadata is written but not yet committed, and
        // failed with the error of a write the quorum lost.
        let answer = { (response: KafkaResponse, failure: @escaping @Sendable (BrokerError) -> KafkaResponse) in
            self.cluster.answerAfterCommit({ respond(response) }, failing: { respond(failure($0)) })
        }
        switch request {
        case let .metadata(r): handleMetadata(r, context: context, respond: respond)
        case let .offsetForLeaderEpoch(r): queue(.offsetForLeaderEpoch(handleOffsetForLeaderEpoch(r)))
        case let .initProducerId(r):
            if r.transactionalId != nil {
                handleTransactionalInitProducerId(r, respond: respond)
            } else {
                answer(.initProducerId(handleInitProducerId(r)), { .initProducerId(r.errorResponse($0.errorCode)) })
            }
        case let .addPartitionsToTxn(r): handleAddPartitionsToTxn(r, respond: respond)
        case let .addOffsetsToTxn(r): handleAddOffsetsToTxn(r, respond: respond)
        case let .endTxn(r): handleEndTxn(r, respond: respond)
        case let .describeTransactions(r): queue(.describeTransactions(handleDescribeTransactions(r)))
        case let .listTransactions(r): queue(.listTransactions(handleListTransactions(r)))
        case let .describeProducers(r): queue(.describeProducers(handleDescribeProducers(r)))
        case let .findCoordinator(r): queue(.findCoordinator(handleFindCoordinator(r, listener: context.listenerName)))
        case let .joinGroup(r): handleJoinGroup(r, context: context, respond: respond)
        case let .syncGroup(r): handleSyncGroup(r, respond: respond)
        case let .heartbeat(r): queue(.heartbeat(handleHeartbeat(r)))
        case let .leaveGroup(r): queue(.leaveGroup(handleLeaveGroup(r)))
        case let .offsetCommit(r): handleOffsetCommit(r, respond: respond)
        case let .txnOffsetCommit(r): handleTxnOffsetCommit(r, respond: respond)
        case let .offsetFetch(r): queue(.offsetFetch(handleOffsetFetch(r)))
        case let .offsetDelete(r): handleOffsetDelete(r, respond: respond)
        case let .describeGroups(r): queue(.describeGroups(handleDescribeGroups(r)))
        case let .listGroups(r): queue(.listGroups(handleListGroups(r)))
        case let .deleteGroups(r): handleDeleteGroups(r, respond: respond)
        case let .createTopics(r): answer(.createTopics(handleCreateTopics(r)), { .createTopics(r.errorResponse($0.errorCode, message: $0.description)) })
        case let .deleteTopics(r): answer(.deleteTopics(handleDeleteTopics(r)), { .deleteTopics(r.errorResponse($0.errorCode, message: $0.description)) })
        case let .createPartitions(r):
            answer(.createPartitions(handleCreatePartitions(r)), { .createPartitions(r.errorResponse($0.errorCode, message: $0.description)) })
        case let .electLeaders(r):
            answer(.electLeaders(handleElectLeaders(r)), { .electLeaders(r.errorResponse($0.errorCode, message: $0.description)) })
        case let .describeConfigs(r): queue(.describeConfigs(handleDescribeConfigs(r)))
        case let .incrementalAlterConfigs(r):
            answer(.incrementalAlterConfigs(handleIncrementalAlterConfigs(r)),
                   { .incrementalAlterConfigs(r.errorResponse($0.errorCode, message: $0.description)) })
        case let .describeLogDirs(r): queue(.describeLogDirs(handleDescribeLogDirs(r)))
        case let .describeUserScramCredentials(r): queue(.describeUserScramCredentials(handleDescribeUserScramCredentials(r)))
        case let .describeCluster(r): queue(.describeCluster(handleDescribeCluster(r, listener: context.listenerName)))
        case let .describeQuorum(r): queue(.describeQuorum(handleDescribeQuorum(r)))
        case let .alterUserScramCredentials(r):
            answer(.alterUserScramCredentials(handleAlterUserScramCredentials(r)),
                   { .alterUserScramCredentials(r.errorResponse($0.errorCode, message: $0.description)) })
        case .apiVersions: queue(.apiVersions(ApiVersionsResponse(wire: SupportedApis.apiVersionsResponse(), version: 4)))
        case let .eddyFetchPositions(r): queue(.eddyFetchPositions(cluster.handleFetchPositions(r)))
        case .produce, .fetch, .listOffsets, .deleteRecords, .writeTxnMarkers, .eddyBrokerControl: preconditionFailure("served outside the lock")
        }
    }

    enum LeaderLookup {
        case success(Replica)
        case failure(ErrorCode)
    }

    /// The replica of `tp` here if this broker leads it (in `currentLeaderEpoch`, when the
    /// request names one: see `checkLeaderEpoch`), else the error a client gets. Caller holds
    /// the cluster lock.
    func leaderReplica(_ tp: TopicPartition, currentLeaderEpoch: Int32 = -1) -> LeaderLookup {
        guard cluster.metadata.image.partition(tp) != nil else { return .failure(.unknownTopicOrPartition) }
        guard let replica = replicas[tp], replica.isLeader else { return .failure(.notLeaderOrFollower) }
        if let e = Broker.checkLeaderEpoch(currentLeaderEpoch, replica) { return .failure(e) }
        return .success(replica)
    }

    /// Kafka's leader epoch fencing of a request that names the epoch it expects.
    static func checkLeaderEpoch(_ requested: Int32, _ replica: Replica) -> ErrorCode? {
        checkLeaderEpoch(requested, leaderEpoch: replica.leaderEpoch)
    }

    /// `checkLeaderEpoch` against a leader epoch read under the replica's `stateLock`.
    static func checkLeaderEpoch(_ requested: Int32, leaderEpoch: Int32) -> ErrorCode? {
        guard requested >= 0 else { return nil }
        if requested < leaderEpoch { return .fencedLeaderEpoch }
        if requested > leaderEpoch { return .unknownLeaderEpoch }
        return nil
    }

    /// Lets the writes in progress on this broker's logs finish, and refuses later ones (it is
    /// stopping). Caller holds the cluster lock.
    func stopWrites() {
        for replica in replicas.values { replica.setWriter(.none) }
    }

    /// A broker's log directory inside the data directory: `broker-<id>`.
    static func logDirectoryName(nodeId: Int32) -> String { "broker-\(nodeId)" }

    /// A fresh ID: from the seeded generator when there is one (tests and simulations),
    /// else from the system generator.
    static func newUuid(_ seeded: inout SplitMix64?) -> Uuid {
        guard var generator = seeded else { return Uuid.random() }
        defer { seeded = generator }
        return Uuid.random(using: &generator)
    }
}
