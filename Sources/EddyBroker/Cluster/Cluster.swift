import EddyProtocol
import EddySasl
import EddyStorage
import Foundation
import Logging
import Synchronization

/// An ISR change a leader state proposed (`PartitionLeaderState.Action.proposeIsr`), in the
/// leader epoch it leads in.
struct IsrProposal {
    var replica: Replica
    var leaderEpoch: Int32
    var isr: [Int32]
    var partitionEpoch: Int32
}

/// Settings of an in-process cluster that are not topic configs (Kafka's broker configs).
public struct ClusterOptions: Sendable {
    /// Brokers created when an empty data directory is initialised (`eddy cluster init --brokers N`).
    public var initialBrokerCount: Int = 3
    /// A follower that has not caught up for this long leaves the ISR (replica.lag.time.max.ms).
    public var replicaLagTimeMaxMs: Int64 = 30_000
    /// Bytes a follower fetches per partition per round (replica.fetch.max.bytes).
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    /// A broker that has not heartbeated for this long is fenced (broker.session.timeout.ms).
    public var brokerSessionTimeoutMs: Int64 = 9000
    /// Move leadership back to preferred replicas periodically (auto.leader.rebalance.enable).
    public var autoLeaderRebalanceEnable = true
    /// How often to check for preferred leaders (leader.imbalance.check.interval.seconds, in ms).
    public var leaderImbalanceCheckIntervalMs: Int64 = 300_000
    /// How often a running cluster applies retention and flush.ms (log.retention.check.interval.ms).
    public var logRetentionCheckIntervalMs: Int64 = 300_000
    /// Run each broker's log cleaner on a background thread (log.cleaner.enable). A short-lived
    /// process turns it off and compacts with `runMaintenance(compactNow: true)` instead, so a
    /// round is never cut short by the process ending.
    public var logCleanerThreads = true
    public var defaultPartitions: Int32 = 1
    public var defaultReplicationFactor: Int16 = 1
    /// Kafka's `auto.create.topics.enable`: a Metadata request that names a missing topic (and
    /// allows it, as producers and consumers do) creates it with `num.partitions`
    /// (`defaultPartitions`) and `default.replication.factor`.
    public var autoCreateTopicsEnable = true
    public var metadata = MetadataLog.Settings()
    /// The controller quorum of a new data directory (an existing one keeps the layout its
    /// `meta.properties` records). Defaults to one separate controller.
    public var controllerQuorum = ControllerQuorumOptions.legacy
    /// The group coordinator's broker configs (group.min.session.timeout.ms,
    /// group.initial.rebalance.delay.ms, offsets.topic.num.partitions, ...).
    public var groupCoordinator = GroupCoordinatorConfig()
    /// The transaction coordinator's broker configs (transaction.state.log.num.partitions,
    /// transaction.max.timeout.ms, ...).
    public var transactionCoordinator = TransactionCoordinatorConfig()
    /// Replicas of `__consumer_offsets` (offsets.topic.replication.factor); eddy creates it with
    /// fewer when fewer brokers are active, rather than failing as Kafka does.
    public var offsetsTopicReplicationFactor: Int16 = 3
    /// `segment.bytes` of `__consumer_offsets` (offsets.topic.segment.bytes).
    public var offsetsTopicSegmentBytes: Int = 104_857_600
    /// How long an offset commit or group metadata write waits for its records to be
    /// replicated before it fails with REQUEST_TIMED_OUT (offsets.commit.timeout.ms).
    public var offsetsCommitTimeoutMs: Int64 = 5000
    /// Seed for cluster and topic IDs; nil draws them from the system generator.
    public var randomSeed: UInt64?

    public init() {}
}

/// A Kafka cluster of N brokers living in one process, over one data directory:
///
///     <data-dir>/
///       meta.properties            cluster.id, and the controller quorum's voters and mode
///                                  (see `MetaProperties`)
///       __cluster_metadata-0/      a lone controller's replica of the metadata log, its snapshots
///                                  and quorum-state (see `MetadataLog`, `QuorumStateFile`)
///       controller-<id>/__cluster_metadata-0/   the same, per voter, when there are several
///       broker-<id>/               broker <id>'s log directory (see `LogManager`), one per broker
///       partition-high-watermarks  highest high watermark per partition at the last clean shutdown
///       unclean-election-losses    records lost to unclean leader elections, per partition
///
/// The controller owns topics, replica assignments, leaders, leader epochs, the ISR and which
/// brokers are fenced, all in the metadata log, which a quorum of controllers replicates with
/// Raft (`MetadataQuorum`; the active controller is its leader). Brokers learn every committed
/// change at once (`applyMetadata`). In combined mode a voter runs, stops and crashes with its
/// broker (`ControllerQuorumOptions`). Brokers talk to each other only through the `Transport`: followers
/// replicate with Fetch requests carrying their replica id, exactly as clients fetch.
///
/// Each running broker is a `Broker`: every transport delivers to its `handle` (through
/// `deliver`). It hosts its replicas, coordinates the consumer groups of the `__consumer_offsets`
/// partitions it leads (`BrokerGroupCoordinator`, created on the first FindCoordinator), hands
/// out producer ids from blocks the controller allocates, and parks consumer fetches waiting for
/// fetch.min.bytes (`DelayedFetch`) next to acks=all produces (`DelayedProduce`). The cluster
/// is the wiring: the controller and its metadata log, the brokers, and the transport.
///
/// Time is the injected `Clock`, and replication advances only when driven: `replicationRound()`
/// makes every follower fetch once, `tick()` runs the time-based checks (ISR lag, session
/// timeouts, preferred leaders, produce and fetch timeouts, group timers). `ClusterDriver` does
/// both on a thread for live use (and, over the in-process transport, lets the thread that
/// appended run the followers' fetches at once: `Cluster+ReplicateOnAppend`); tests and the
/// simulation call them directly, so every schedule is reproducible.
///
/// Thread-safe. The cluster lock guards broker and controller state (role changes, group and
/// transaction coordinators, the metadata); it is held for in-memory work. What Produce needs
/// has locks of its own, as in Kafka's `Partition` and purgatories: each replica's leader state
/// its `stateLock`, each broker's purgatories its `purgatoryLock`, each replica's writes its
/// writer lock (which orders a partition's writes with its role changes, see `Replica`), and a
/// log's bounds are read from its published state (see `PartitionLog`). So a produce takes no
/// cluster lock at all, and appends to different partitions share no lock but their broker's
/// brief `purgatoryLock`. Fetch (from consumers and followers alike), ListOffsets and
/// DeleteRecords read and write logs without the cluster lock, taking it only to check and
/// record in-memory state. The group coordinators' writes to `__consumer_offsets` are appended the same way,
/// in order, once the lock is released (`Broker.queueGroupWrite`), and a new coordinator reads
/// its `__consumer_offsets` partition without it (`readCoordinatorPartition`).
///
/// Metadata changes are written to the metadata log under the lock, fsynced without it, and
/// only then applied to the brokers, as KRaft's brokers apply only committed metadata
/// (`commit`, `completeMetadataCommits`); their requesters are answered after that. The broker
/// lifecycle (start, stop, fencing, unfencing and their elections) still commits durably under
/// the lock (`commitDurably`): its next steps need the brokers to have applied it. The logs of
/// new topics are created before the change is applied, without the lock (`prepareLogs`);
/// metadata snapshots are written without it; a deleted log is renamed under it and its files
/// removed in the background (`LogManager.deleteLog`); a stopped or killed broker closes its
/// logs after releasing it.
/// Transport calls are made outside it, and response callbacks run after it is released.
public final class Cluster: @unchecked Sendable {
    public let dataDirectory: String
    public let clusterId: String
    public let options: ClusterOptions
    /// How clients in this process reach the brokers: the transport the cluster was given (a
    /// simulated one), or a new `InProcessTransport` for each caller (see there).
    public var transport: any Transport { givenTransport ?? InProcessTransport(cluster: self) }
    /// The transport the brokers reach each other through when it is not in-process delivery
    /// (`send`).
    let givenTransport: (any Transport)?
    let clock: any Clock
    let logger: Logger
    let lock = NSLock()
    /// The controller quorum and the metadata the brokers applied.
    let metadata: ClusterMetadata
    /// The quorum's layout (from `meta.properties`).
    public let controllerQuorum: ControllerQuorumOptions
    /// Brokers killed with `fenceNow`, or stopped, while no controller could fence them:
    /// fenced once one can (`afterQuorumChange`).
    var fenceWhenElected: Set<Int32> = []
    /// Brokers started while no controller was active (their registrations fenced): running,
    /// and let in once a controller is elected.
    var unfenceWhenElected: Set<Int32> = []
    /// An ISR change failed for want of a controller (`reproposePendingIsrChanges`).
    var isrProposalsToRetry = false
    /// The quorum's leader epoch as last seen by `afterQuorumChange`.
    var lastControllerEpoch: Int32?
    let controller: Controller
    var nodes: [Int32: Broker] = [:] {
        didSet { liveNodes.withLock { $0 = nodes } }
    }
    /// `nodes`, readable without the cluster lock: where `deliver` finds a broker, and how a
    /// fetch checks that a follower is the current run of a running broker.
    let liveNodes = Mutex<[Int32: Broker]>([:])
    var lastHeartbeatMs: [Int32: Int64] = [:]
    var deferred: [@Sendable () -> Void] = []
    /// Answers held until the write they depend on is applied, or lost (`answerAfterCommit`).
    var awaitingCommit: [HeldAnswer] = []
    /// Brokers stopped or killed whose logs are still closing (`stopBroker`, `killBroker`).
    var stoppingBrokers: Set<Int32> = []
    /// Taken (without the lock) by whoever runs a round of `syncAndPublishMetadata`
    /// (`completeMetadataCommits`, `awaitMetadataApplied`, `shutdown`).
    let metadataSync = NSLock()
    var seededRandom: SplitMix64?
    var lastPreferredLeaderCheckMs: Int64
    var isShutDown = false
    /// Records possibly lost by unclean leader elections, per partition.
    public private(set) var uncleanElectionLosses: [TopicPartition: Int64] = [:]
    /// Every (partition, leader epoch) → leader seen, for the one-leader-per-epoch invariant.
    var leadersByEpoch: [TopicPartition: [Int32: Int32]] = [:]
    /// Set by a running `ClusterDriver`: asks it for replication rounds now (after an append
    /// when followers do not replicate on the appending thread, see `replicateOnAppend`).
    var driverWakeup: (@Sendable () -> Void)? {
        get { driverHooks.withLock { $0.wakeup } }
        set { driverHooks.withLock { $0.wakeup = newValue } }
    }
    /// What a running `ClusterDriver` set and what appends leave for replication: their own
    /// lock, since Produce reaches them without the cluster lock.
    struct DriverHooks {
        var wakeup: (@Sendable () -> Void)?
        var deadline: (@Sendable (Int64) -> Void)?
        var replicateOnAppend = false
        var appendedPartitions: Set<TopicPartition> = []
        var replicatingAppended = false
    }
    let driverHooks = Mutex(DriverHooks())
    /// Incremented each time a broker starts; requests and responses of an earlier run of a
    /// broker (still in flight when it was killed) are recognised by it and dropped.
    var nextIncarnation: Int64 = 0
    /// See `partitionHighWatermark`: noted when a leader starts and when a broker stops (a
    /// running leader's counts from its log). Its own lock, so that reading it needs no
    /// cluster lock.
    let knownHighWatermarks = Mutex<[TopicPartition: Int64]>([:])
    /// A publication failed part-way through `applyMetadata`: the next one applies every topic.
    var metadataFullApplyNeeded = false
    /// `prepareLogs` ran since the last publication: its logs may belong to a topic deleted
    /// before it was applied, which only a scan of every log finds.
    var logsPrepared = false
    /// Topics `applyMetadata` has applied, counted (a test reads how much a publication costs).
    var appliedTopicCount = 0
    /// Follower fetches sent and not yet answered (at most one per follower run and leader).
    var fetchesInFlight: Set<FetcherKey> = []
    /// Handle of the next JoinGroup or SyncGroup a coordinator may answer later.
    var nextGroupToken: GroupRequestToken = 1
    /// Set by a running `ClusterDriver`: called with a cluster-clock time at which `tick()`
    /// has work, when that may be earlier than the driver's next planned wake-up.
    var driverDeadline: (@Sendable (Int64) -> Void)? {
        get { driverHooks.withLock { $0.deadline } }
        set { driverHooks.withLock { $0.deadline = newValue } }
    }
    /// Set while a `ClusterDriver` runs over the in-process transport: followers replicate
    /// appended partitions on the appending thread (see `Cluster+ReplicateOnAppend`).
    var replicateOnAppend: Bool {
        get { driverHooks.withLock { $0.replicateOnAppend } }
        set { driverHooks.withLock { $0.replicateOnAppend = newValue } }
    }
    /// Partitions a leader appended to and whose followers have not fetched since.
    var appendedPartitions: Set<TopicPartition> { driverHooks.withLock { $0.appendedPartitions } }
    /// Whether a thread is replicating `appendedPartitions` (at most one at a time).
    var replicatingAppended: Bool { driverHooks.withLock { $0.replicatingAppended } }
    /// Where a live cluster's coordinators read their `__consumer_offsets` partitions
    /// (`loadCoordinatorPartitions`); code running there finds `coordinatorLoaderKey` set.
    let coordinatorLoader: DispatchQueue = {
        let queue = DispatchQueue(label: "eddy.coordinator-load")
        queue.setSpecific(key: Cluster.coordinatorLoaderKey, value: true)
        return queue
    }()
    static let coordinatorLoaderKey = DispatchSpecificKey<Bool>()
    /// Bytes in and out per broker (`Cluster+Traffic`).
    let traffic = BrokerTraffic()
    /// Consumers' latest fetch offsets, per partition and client (`Cluster+FetchPositions`).
    /// Its own lock: consumer fetches record themselves without the cluster lock.
    let consumerFetches = Mutex<[TopicPartition: [FetchClient: FetchMark]]>([:])
    /// See `setFollowerFetchInterval`.
    let followerDelays = Mutex(FollowerDelays())
    /// See `setAdvertisedListeners`.
    var advertisedListeners: [String: [Int32: (host: String, port: Int32)]] = [:]

    /// `node.id` in `meta.properties`.
    static let metaNodeId: Int32 = 0

    /// Opens the data directory as a cluster, initialising it with `options.initialBrokerCount`
    /// brokers if it is empty, and starts every broker that is not fenced (stopped).
    ///
    /// - Parameter transport: how brokers reach each other; defaults to in-process delivery.
    ///   A simulated transport must deliver to `deliver(_:to:context:completion:)`.
    public init(dataDirectory: String, clock: any Clock = SystemClock(), options: ClusterOptions = ClusterOptions(),
                transport: (any Transport)? = nil, logger: Logger = Logger(label: "eddy.cluster")) throws(BrokerError) {
        self.dataDirectory = dataDirectory
        self.options = options
        self.clock = clock
        self.logger = logger
        seededRandom = options.randomSeed.map { SplitMix64(seed: $0) }
        givenTransport = transport
        lastPreferredLeaderCheckMs = clock.nowMs()
        try Disk.makeDirectories(dataDirectory)
        var quorumLayout: ControllerQuorumOptions
        if let meta = try MetaProperties.read(directory: dataDirectory) {
            clusterId = meta.clusterId
            // The layout is the directory's; the timing is this process's configuration.
            quorumLayout = meta.quorum
            quorumLayout.settings = options.controllerQuorum.settings
            let logs = quorumLayout.voterIds.map { quorumLayout.directory(of: $0, in: dataDirectory) }
            if !logs.contains(where: Disk.exists), try Disk.list(dataDirectory).contains(where: { $0.hasPrefix("broker-") }) {
                throw .invalidDataDirectory("\(dataDirectory) has broker directories but no metadata log (\(MetadataLog.directoryName)); refusing to open, as every partition would look unknown")
            }
        } else {
            for name in try Disk.list(dataDirectory) where name == MetadataLog.directoryName || name.hasPrefix("broker-") || name.hasPrefix("controller-") {
                throw .invalidDataDirectory("\(dataDirectory) has \(name) but no \(MetaProperties.fileName); refusing to initialise over existing data")
            }
            quorumLayout = options.controllerQuorum
            if quorumLayout.combined, quorumLayout.voterIds.contains(where: { $0 >= Int32(max(1, options.initialBrokerCount)) }) {
                throw .invalidRequest("combined mode needs a broker per controller: \(quorumLayout.voterIds.count) controllers, \(options.initialBrokerCount) brokers")
            }
            var rng = seededRandom
            clusterId = Broker.newUuid(&rng).description
            seededRandom = rng
            try MetaProperties(clusterId: clusterId, nodeId: Cluster.metaNodeId, voters: quorumLayout.voterIds,
                               combined: quorumLayout.combined).write(directory: dataDirectory)
        }
        controllerQuorum = quorumLayout
        uncleanElectionLosses = ((try? OffsetCheckpointFile.read(Disk.join(dataDirectory, Cluster.uncleanLossesFile))) ?? nil) ?? [:]
        let quorum = try MetadataQuorum(voters: quorumLayout.voterIds, directory: { quorumLayout.directory(of: $0, in: dataDirectory) },
                                        settings: options.controllerQuorum.settings, metadataSettings: options.metadata, clock: clock,
                                        seed: options.randomSeed ?? UInt64.random(in: 0 ... UInt64.max), logger: logger)
        metadata = ClusterMetadata(quorum: quorum)
        metadata.publish(quorum.committedImage)
        controller = Controller(brokerIds: [], defaultPartitions: options.defaultPartitions,
                                defaultReplicationFactor: options.defaultReplicationFactor)
        do throws(BrokerError) {
            try lock.withLock { () throws(BrokerError) in
                if metadata.image.brokers.isEmpty {
                    try commitDurably(controller.registerBrokers(Array(0 ..< Int32(max(1, options.initialBrokerCount))),
                                                          image: metadata.latestImage))
                }
                // Brokers the previous process left running but did not shut down cleanly crashed
                // with it: what they had not fsynced is gone, so they must not come back as the
                // same incarnation (leading the same epoch, or counted in an ISR, with less data).
                // Fence all of them first, as the controller would after their sessions expired,
                // then start every broker, and unfence the crashed ones as new incarnations.
                // The partition high watermarks every broker persisted (replication-offset-checkpoint),
                // so that a leader elected before the broker that knew the highest one has started
                // still carries it forward.
                // A broker's entry counts only if its partition directory belongs to the topic as it
                // is now (a topic deleted and re-created while the broker was down must not inherit
                // the old topic's high watermark).
                let image = metadata.image
                func load(_ file: String, directory: String?) {
                    for (tp, hw) in ((try? OffsetCheckpointFile.read(file)) ?? nil) ?? [:] {
                        guard let topic = image.topic(named: tp.topic), topic.partitions[tp.partition] != nil else { continue }
                        if let directory, PartitionMetadataFile.read(directory: Disk.join(directory, tp.directoryName)) != topic.id { continue }
                        noteHighWatermark(tp, hw)
                    }
                }
                load(Disk.join(dataDirectory, Cluster.highWatermarksFile), directory: nil)
                for id in image.brokers.keys {
                    let dir = Disk.join(dataDirectory, Broker.logDirectoryName(nodeId: id))
                    load(Disk.join(dir, LogManager.highWatermarkFile), directory: dir)
                }
                let unfenced = metadata.image.brokers.sorted(by: { $0.key < $1.key }).filter { !$0.value.fenced }.map(\.key)
                // In combined mode a stopped broker's controller is stopped too, as long as a
                // majority of voters still runs (else the cluster could not open: its brokers'
                // crash fencing below needs the quorum).
                if quorumLayout.combined {
                    let stopped = quorumLayout.voterIds.filter { !unfenced.contains($0) }
                    if !stopped.isEmpty, quorumLayout.voterIds.count - stopped.count >= quorumLayout.voterIds.count / 2 + 1 {
                        // The others start again without them, and elect at once.
                        try metadata.quorum.reopen(only: Set(quorumLayout.voterIds).subtracting(stopped))
                    }
                }
                // Brokers killed while no controller could fence them (`unfencedKillMarker`) lost
                // their unflushed data while the others ran: fenced first, so that an ISR
                // member whose log is whole is the one left to lead.
                let killedUnfenced = Set(unfenced.filter { Disk.exists(Cluster.unfencedKillMarker(dataDirectory: dataDirectory, id: $0)) })
                fenceWhenElected = killedUnfenced
                let crashed = unfenced.filter { killedUnfenced.contains($0) }
                    + unfenced.filter { !killedUnfenced.contains($0) && Cluster.brokerCrashed(dataDirectory: dataDirectory, id: $0) }
                for id in crashed { try fenceLocked(id) }
                for id in unfenced { try startNodeLocked(id) }
                for id in crashed { try commitElection(controller.unfenceBroker(id, image: metadata.latestImage)) }
                for id in killedUnfenced { clearUnfencedKill(id) }
            }
        } catch {
            try? shutdown()
            throw error
        }
        flushDeferred()
    }

    /// The committed metadata (a value).
    public var metadataImage: MetadataImage { lock.withLock { metadata.image } }

    /// A user's SCRAM credentials in the committed metadata (empty for an unknown user): what
    /// SASL listeners authenticate against.
    public func scramCredentials(of user: String) -> [ScramMechanism: ScramCredential] {
        lock.withLock { metadata.image.scramCredentials[user] ?? [:] }
    }

    /// IDs of the brokers whose process is running, ascending.
    public var runningBrokers: [Int32] { lock.withLock { nodes.keys.sorted() } }

    // MARK: Metadata

    /// Brings every running broker in line with the image: opens logs of partitions it
    /// hosts, deletes logs of partitions it no longer hosts, and changes roles where the leader
    /// or leader epoch changed. Caller holds the lock.
    ///
    /// - Parameters:
    ///   - replacing: topics whose name now belongs to a new topic ID: their replicas are
    ///     removed (and logs deleted) first, as a deleted topic's are.
    ///   - only: the topics whose registrations or configuration changed (nil: every topic). A
    ///     publication applies only those: with 10,000 partitions, visiting every one (and taking
    ///     every replica's writer lock) for one ISR change held the cluster lock for milliseconds.
    ///     Replicas of topics no longer in the image go either way.
    ///   - scanLogs: also delete logs no replica owns (those `prepareLogs` opened for a topic
    ///     deleted before it was applied): needed when topics came or went.
    func applyMetadata(replacing: Set<String> = [], only: Set<String>? = nil, scanLogs: Bool = true) throws(BrokerError) {
        let image = metadata.image
        let names = only.map { only in image.topicNames.filter { only.contains($0) } } ?? image.topicNames
        let topics = names.map { name in (name, image.topic(named: name)!, topicLogConfig(name, image: image)) }
        appliedTopicCount += topics.count
        let running = nodes.values.sorted(by: { $0.id < $1.id })
        for node in running {
            // Deleted before the loops below, which create the new topic's logs.
            let replaced = replacing.isEmpty ? [] : node.sortedReplicas.map(\.key).filter { replacing.contains($0.topic) }
            for tp in replaced { removeReplica(tp, from: node) }
            try BrokerError.storage { try node.logManager.deleteLogs(replaced) }
        }
        // Every broker's registrations it does not lead first, then those it leads: an old leader
        // stops (and its high watermark stops moving, see `leaderEvent`) before a new leader
        // reads the partition's high watermark (`becomeLeader`).
        var hosted: [Int32: Set<TopicPartition>] = [:]
        for leading in [false, true] {
            for node in running {
                for (name, topic, config) in topics {
                    for p in topic.partitionIds {
                        let reg = topic.partitions[p]!
                        guard reg.replicas.contains(node.id), (reg.leader == node.id) == leading else { continue }
                        let tp = TopicPartition(name, p)
                        hosted[node.id, default: []].insert(tp)
                        try applyRegistration(reg, topicId: topic.id, to: tp, on: node, config: config)
                    }
                }
            }
        }
        for node in running {
            let hosted = hosted[node.id] ?? []
            let removed = node.sortedReplicas.map(\.key).filter { tp in
                !hosted.contains(tp) && (only == nil || only!.contains(tp.topic) || image.topic(named: tp.topic) == nil)
            }
            for tp in removed { removeReplica(tp, from: node) }
            var doomed = Set(removed)
            if scanLogs {
                // With the logs `prepareLogs` opened for a topic deleted before it was applied.
                let id = node.id
                doomed.formUnion(node.logManager.allLogs.map(\.topicPartition).filter { image.partition($0)?.replicas.contains(id) != true })
            }
            try BrokerError.storage { try node.logManager.deleteLogs(doomed.sorted()) }
        }
        for node in nodes.values.sorted(by: { $0.id < $1.id }) {
            loadCoordinatorPartitions(on: node)
            loadTransactionPartitions(on: node)
        }
    }

    /// A partition `node` no longer hosts: waiting requests fail or are answered and writes
    /// stop; the caller deletes its log. Caller holds the lock.
    private func removeReplica(_ tp: TopicPartition, from node: Broker) {
        if tp.topic == OffsetsTopic.name { node.groups.unload(partition: tp.partition, into: &deferred) }
        if tp.topic == Cluster.transactionStateTopic { unloadTransactionPartition(tp.partition, on: node) }
        node.replicas[tp]?.setWriter(.none)
        // Gone before its produces fail: one parking meanwhile finds no replica when it checks
        // again (`answerOrPark`).
        node.setReplica(tp, nil)
        node.failDelayedProduces(tp, error: .notLeaderOrFollower, into: &deferred)
        node.completeDelayedFetches(tp, into: &deferred)
    }

    private func applyRegistration(_ reg: PartitionRegistration, topicId: Uuid, to tp: TopicPartition,
                                   on node: Broker, config: LogConfig) throws(BrokerError) {
        let replica: Replica
        if let existing = node.replicas[tp] {
            replica = existing
            if existing.log.config != config { existing.log.updateConfig(config) }
        } else {
            let directory = Disk.join(node.logManager.directory, tp.directoryName)
            if let recorded = PartitionMetadataFile.read(directory: directory), recorded != topicId {
                try BrokerError.storage { try node.logManager.deleteLog(tp) }
            }
            let log = try BrokerError.storage { try node.logManager.getOrCreateLog(tp, config: config) }
            if PartitionMetadataFile.read(directory: log.directory) != topicId {
                try PartitionMetadataFile.write(directory: log.directory, topicId: topicId)
            }
            replica = Replica(topicPartition: tp, log: log, role: .offline, leaderEpoch: -1, partitionEpoch: -1)
            node.setReplica(tp, replica)
        }
        let now = clock.nowMs()
        if reg.leader == node.id {
            if replica.isLeader, replica.leaderEpoch == reg.leaderEpoch {
                // Same leadership: only the ISR (and partition epoch) changed.
                if replica.partitionEpoch != reg.partitionEpoch {
                    let actions = replica.leaderEvent { $0.onIsrCommitted(isr: reg.isr, partitionEpoch: reg.partitionEpoch) } ?? []
                    replica.setPartitionEpoch(reg.partitionEpoch)
                    perform(actions, replica: replica, node: node)
                }
            } else {
                replica.setWriter(.leader(epoch: reg.leaderEpoch))
                becomeLeader(replica, reg: reg, node: node, now: now)
                coordinatorRoleChanged(replica, on: node)
                transactionCoordinatorRoleChanged(replica, on: node)
                node.completeDelayedFetches(tp, into: &deferred)
            }
        } else {
            let wasLeader = replica.isLeader
            replica.becomeFollower(of: reg.hasLeader ? reg.leader : nil, epoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch)
            // After the role changed: a produce checked in the old epoch that parks meanwhile
            // finds the new role when it checks again (`answerOrPark`).
            if wasLeader { node.failDelayedProduces(tp, error: .notLeaderOrFollower, into: &deferred) }
            replica.setWriter(reg.hasLeader ? .follower(leaderId: reg.leader, epoch: reg.leaderEpoch) : .none)
            if wasLeader {
                coordinatorRoleChanged(replica, on: node)
                transactionCoordinatorRoleChanged(replica, on: node)
                node.completeDelayedFetches(tp, into: &deferred)
            }
        }
    }

    private func becomeLeader(_ replica: Replica, reg: PartitionRegistration, node: Broker, now: Int64) {
        let log = replica.log
        // A leader elected from the ISR holds every committed record, so it may carry the
        // partition's high watermark forward at once (the HW never goes backwards).
        let knownHW = partitionHighWatermark(replica.topicPartition)
        log.maybeIncrementHighWatermark(min(knownHW, log.logEndOffset))
        // The new epoch starts at the log end (Kafka's maybeAssignEpochStartOffset), so
        // followers that diverged in an older epoch are told where to truncate.
        do { _ = try log.maybeAssignEpochStartOffset(leaderEpoch: reg.leaderEpoch) } catch {
            logger.error("could not record the leader epoch start", metadata: ["partition": "\(replica.topicPartition)", "error": "\(error)"])
        }
        let state = PartitionLeaderState(leaderId: node.id, leaderEpoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch,
                                         replicas: reg.replicas, isr: reg.isr, logEndOffset: log.logEndOffset,
                                         highWatermark: log.highWatermark, leaderEpochStartOffset: log.logEndOffset, now: now)
        log.maybeIncrementHighWatermark(state.highWatermark)
        noteHighWatermark(replica.topicPartition, log.highWatermark)
        replica.becomeLeader(state, epoch: reg.leaderEpoch, partitionEpoch: reg.partitionEpoch)
        leadersByEpoch[replica.topicPartition, default: [:]][reg.leaderEpoch] = node.id
    }

    /// The highest high watermark any leader of `tp` has reached since the cluster opened, or
    /// any running replica has (after a restart). Every replica elected from the ISR holds at
    /// least this much, so a new leader starts from it and the HW never goes backwards.
    func partitionHighWatermark(_ tp: TopicPartition) -> Int64 {
        max(knownHighWatermarks.withLock { $0[tp] } ?? 0, nodes.values.compactMap { $0.replicas[tp]?.log.highWatermark }.max() ?? 0)
    }

    func noteHighWatermark(_ tp: TopicPartition, _ hw: Int64) {
        knownHighWatermarks.withLock { known in
            if hw > known[tp] ?? -1 { known[tp] = hw }
        }
    }

    /// A leader's high watermark advanced (its leader state's action, already published in the
    /// log by `Replica.leaderEvent`): the produces and fetches waiting on the partition are
    /// completed (into `responses`). Needs no cluster lock; the replica's `stateLock` must not
    /// be held. (A running leader's high watermark counts in `partitionHighWatermark` from its
    /// log; a stopping broker's are remembered when it stops, `takeOutOfService`.)
    func highWatermarkAdvanced(replica: Replica, node: Broker, into responses: inout Deferred) {
        node.completeDelayedProduces(replica.topicPartition, into: &responses)
        node.completeDelayedFetches(replica.topicPartition, into: &responses)
    }

    /// Carries out a leader state's actions. Caller holds the lock (an ISR proposal goes to
    /// the controller), not the replica's `stateLock`.
    func perform(_ actions: [PartitionLeaderState.Action], replica: Replica, node: Broker) {
        for action in actions {
            switch action {
            case .highWatermarkAdvanced:
                highWatermarkAdvanced(replica: replica, node: node, into: &deferred)
            case let .proposeIsr(isr, partitionEpoch):
                proposeIsr(replica, node: node, isr: isr, partitionEpoch: partitionEpoch)
            }
        }
    }

    /// ISR changes a leader state proposed outside the cluster lock (a follower's fetch), made
    /// under it: each only if its leadership still holds it as its pending change (a role
    /// change or a newer proposal since makes it moot). Called without the lock.
    func propose(_ proposals: [IsrProposal], from node: Broker) {
        lock.withLock {
            guard !isShutDown, nodes[node.id] === node else { return }
            for p in proposals {
                let tp = p.replica.topicPartition
                guard node.replicas[tp] === p.replica, p.replica.withLeaderState(epoch: p.leaderEpoch, { state in
                    state.pendingIsrChange.map { $0.isr == p.isr && $0.partitionEpoch == p.partitionEpoch } ?? false
                }) == true else { continue }
                proposeIsr(p.replica, node: node, isr: p.isr, partitionEpoch: p.partitionEpoch)
            }
        }
        flushDeferred()
    }

    /// AlterPartition from a leader to the controller (in process: a direct call). An accepted
    /// change reaches the leader through `applyMetadata` (`onIsrCommitted`).
    func proposeIsr(_ replica: Replica, node: Broker, isr: [Int32], partitionEpoch: Int32) {
        let tp = replica.topicPartition
        do throws(BrokerError) {
            let records = try controller.alterPartition(tp, leaderId: node.id, leaderEpoch: replica.leaderEpoch,
                                                        partitionEpoch: partitionEpoch, newIsr: isr, image: metadata.latestImage)
            if records.isEmpty, let reg = metadata.image.partition(tp),
               let actions = replica.leaderEvent({ $0.onIsrCommitted(isr: reg.isr, partitionEpoch: reg.partitionEpoch) }) {
                // Nothing to change: answer with the current registration.
                perform(actions, replica: replica, node: node)
            } else {
                try commit(records)
            }
        } catch {
            logger.info("ISR change rejected", metadata: ["partition": "\(tp)", "isr": "\(isr)", "error": "\(error)"])
            switch error.errorCode {
            case .notController, .requestTimedOut, .kafkaStorageError:
                // No controller to take it: proposed again once there is one
                // (`reproposePendingIsrChanges`), not here (that would recurse).
                isrProposalsToRetry = true
            case .ineligibleReplica, .operationNotAttempted:
                // This proposal's answer: back to the committed ISR; the next fetch or tick may
                // propose again.
                if let actions = replica.leaderEvent({ $0.onIsrChangeFailed(isr: isr, partitionEpoch: partitionEpoch, error: error.errorCode) }) {
                    perform(actions, replica: replica, node: node)
                }
            default:
                if let reg = metadata.image.partition(tp),
                   let actions = replica.leaderEvent({ $0.onIsrChangeFailed(isr: reg.isr, partitionEpoch: reg.partitionEpoch, error: error.errorCode) }) {
                    perform(actions, replica: replica, node: node)
                }
            }
        }
    }

    /// Proposes again every pending ISR change the active controller has not taken: those that
    /// failed for want of a controller, and those written by one that lost them in a failover
    /// (no answer ever comes for those). Caller holds the lock.
    func reproposePendingIsrChanges() {
        guard metadata.quorum.activeController != nil else { return }
        isrProposalsToRetry = false
        let latest = metadata.latestImage
        for node in nodes.values.sorted(by: { $0.id < $1.id }) {
            for (tp, replica) in node.sortedReplicas where replica.isLeader {
                guard let pending = replica.withLeaderState(epoch: nil, { $0.pendingIsrChange }) ?? nil,
                      latest.partition(tp)?.partitionEpoch == pending.partitionEpoch else { continue }
                proposeIsr(replica, node: node, isr: pending.isr, partitionEpoch: pending.partitionEpoch)
            }
        }
    }

    func topicLogConfig(_ topic: String, image: MetadataImage) -> LogConfig {
        let (config, rejected) = image.logConfig(forTopic: topic)
        for (key, error) in rejected.sorted(by: { $0.key < $1.key }) {
            logger.warning("ignoring invalid stored topic config", metadata: ["topic": "\(topic)", "key": "\(key)", "error": "\(error)"])
        }
        return config
    }

    // MARK: Broker lifecycle

    /// Starts a stopped or killed broker: its logs are recovered, the controller unfences it,
    /// and it rejoins as follower (truncating by leader epoch as it fetches) or as leader of
    /// partitions that were waiting for it.
    public func startBroker(_ id: Int32) throws(BrokerError) {
        try withLockThenCallbacks { () throws(BrokerError) in
            guard metadata.latestImage.brokers[id] != nil else { throw Cluster.unknownBroker(id) }
            guard nodes[id] == nil else { return }
            try checkNotStopping(id)
            // Its controller first: the fencing and unfencing below may need its vote.
            if controllerQuorum.combined, controllerQuorum.voterIds.contains(id) { try startVoterLocked(id) }
            guard metadata.quorum.activeController != nil else {
                // No controller to register with: a broker whose registration is fenced starts
                // and waits until one is elected and lets it in (`afterQuorumChange`), as a
                // Kafka broker waits. Fenced as the brokers applied it: a fence only written
                // may still be lost.
                if metadata.image.brokers[id]?.fenced == true {
                    try startNodeLocked(id)
                    unfenceWhenElected.insert(id)
                    return
                }
                // One whose old registration is not fenced comes back in it, as the leader it
                // was, in the same leader epoch: only if its last run lost nothing. A stop
                // that found no controller (`fenceWhenElected`) closed its logs cleanly; a
                // kill, or a stop whose logs did not close, did not: refused.
                guard metadata.latestImage.brokers[id]?.fenced == false, stoppedCleanly(id) else {
                    throw .notController("no active controller to fence broker \(id)'s previous run first (the controller quorum has no majority); start a controller first")
                }
                fenceWhenElected.remove(id)
                try startNodeLocked(id)
                return
            }
            // A broker that crashed and comes back before its session timed out is a new
            // incarnation: what it had not fsynced is gone, so it must not stay in any ISR. As
            // KRaft does on re-registration (KIP-903), fence the old registration first, and
            // start it only once the brokers applied that: with a fence only written (by an
            // earlier attempt, waiting for a majority) it would come back as the leader it was,
            // in the same leader epoch, with what it lost (stress-serve seed 7800015).
            if metadata.image.brokers[id]?.fenced == false {
                if metadata.latestImage.brokers[id]?.fenced == false {
                    try fenceLocked(id)
                } else {
                    metadata.quorum.sync(snapshotting: false)
                    try publishCommitted(metadata.committedImage)
                }
                guard metadata.image.brokers[id]?.fenced == true else { throw notCommitted() }
            }
            try startNodeLocked(id)
            // Fenced and started as a new incarnation: nothing is left to fence.
            clearUnfencedKill(id)
            do { try commitElection(controller.unfenceBroker(id, image: metadata.latestImage)) } catch {
                // It runs, fenced; the next controller lets it in.
                logger.warning("a started broker could not be unfenced yet", metadata: ["broker": "\(id)", "error": "\(error)"])
                unfenceWhenElected.insert(id)
            }
        }
    }

    func startNodeLocked(_ id: Int32) throws(BrokerError) {
        let dir = Disk.join(dataDirectory, Broker.logDirectoryName(nodeId: id))
        let logManager = try BrokerError.storage {
            try LogManager(directory: dir, clock: clock, logger: logger, startCleaner: options.logCleanerThreads)
        }
        try reconcileDirectories(of: id, logManager: logManager)
        nextIncarnation += 1
        nodes[id] = Broker(cluster: self, id: id, incarnation: nextIncarnation, logManager: logManager,
                               groups: makeGroupCoordinator(brokerId: id, incarnation: nextIncarnation),
                               transactions: BrokerTransactionCoordinator(config: options.transactionCoordinator, now: clock.nowMs()))
        lastHeartbeatMs[id] = clock.nowMs()
        try applyMetadata()
    }

    /// Brings a starting broker's partition directories in line with the metadata, as a Kafka
    /// broker does when it loads its logs. A directory is kept when the image has its topic,
    /// under the topic ID its `partition.metadata` names (or none yet), with this broker as a
    /// replica. One whose topic ID the image does not know (a topic deleted, perhaps re-created,
    /// while this broker was down), or that this broker no longer hosts, is deleted. One with no
    /// readable `partition.metadata` and no topic in the image is not ours to judge: it is
    /// renamed `<dir>.<id>-stray` and logged, never deleted.
    private func reconcileDirectories(of id: Int32, logManager: LogManager) throws(BrokerError) {
        let image = metadata.image
        for tp in try BrokerError.storage({ try logManager.partitionsOnDisk() }) {
            let directory = Disk.join(logManager.directory, tp.directoryName)
            let recorded = PartitionMetadataFile.read(directory: directory)
            let topic = image.topic(named: tp.topic)
            let hosted = topic?.partitions[tp.partition]?.replicas.contains(id) ?? false
            if let topic, hosted, recorded == nil || recorded == topic.id { continue }
            if recorded != nil || topic != nil {
                logger.warning("deleting partition directory the metadata no longer assigns here",
                               metadata: ["dir": "\(directory)", "topicId": "\(recorded.map(\.description) ?? "none")"])
                try BrokerError.storage { try logManager.deleteLog(tp) }
            } else {
                var rng = seededRandom
                let aside = directory + "." + Broker.newUuid(&rng).description.replacingOccurrences(of: "-", with: "") + "-stray"
                seededRandom = rng
                logger.warning("moving unknown partition directory aside", metadata: ["dir": "\(directory)", "to": "\(aside)"])
                try Disk.rename(directory, aside)
                try Disk.syncDirectory(logManager.directory)
            }
        }
    }

    /// Controlled shutdown (`eddy broker stop`): leadership moves to other in-sync replicas
    /// first, the broker leaves every ISR, is fenced, then closes its logs cleanly. Without an
    /// active controller it closes its logs all the same, and the next controller fences it.
    /// Its logs are flushed and closed after the lock is released: the other brokers do not
    /// wait for that I/O.
    public func stopBroker(_ id: Int32) throws(BrokerError) {
        let stopped = try withLockThenCallbacks(awaitingMetadata: false) { () throws(BrokerError) -> Broker? in
            guard metadata.latestImage.brokers[id] != nil else { throw Cluster.unknownBroker(id) }
            try checkNotStopping(id)
            do throws(BrokerError) {
                try commitDurably(controller.controlledShutdown(id, image: metadata.latestImage).records)
            } catch {
                guard error.errorCode == .notController || error.errorCode == .requestTimedOut else { throw error }
                // No controller to hand its leaderships to (the quorum has no majority): it
                // shuts down anyway, its logs closed cleanly, and the next controller fences it.
                logger.warning("controlled shutdown without an active controller; the next one fences the broker", metadata: ["broker": "\(id)"])
                fenceWhenElected.insert(id)
            }
            let node = retireLocked(id)
            if controllerQuorum.combined, controllerQuorum.voterIds.contains(id) { stopVoterLocked(id) }
            return node
        }
        guard let stopped else { return }
        defer { lock.withLock { _ = stoppingBrokers.remove(id) } }
        try BrokerError.storage { try stopped.logManager.shutdown() }
    }

    /// Takes running broker `id` out of the cluster for a stop or kill, marked as stopping until
    /// the caller has closed its logs (`checkNotStopping`). Caller holds the lock.
    private func retireLocked(_ id: Int32) -> Broker? {
        guard let node = nodes.removeValue(forKey: id) else { return nil }
        takeOutOfService(node)
        stoppingBrokers.insert(id)
        return node
    }

    /// A broker that stops running: its writes end, and whatever waits on it is answered.
    /// Caller holds the lock.
    private func takeOutOfService(_ node: Broker) {
        node.markStopped()
        // Its leaders' high watermarks, published without the cluster lock, leave `nodes` with
        // it: remembered, so that the next leaders start from them. Each is read once its
        // replica leads no more (`retire`): every acknowledgement this broker gave came from a
        // leader state whose high watermark was published before, and none comes after.
        for (tp, replica) in node.sortedReplicas {
            replica.retire()
            noteHighWatermark(tp, replica.log.highWatermark)
        }
        node.stopWrites()
        node.failAllDelayedProduces(into: &deferred)
        node.failAllDelayedFetches(into: &deferred)
        node.groups.unloadAll(into: &deferred)
        for p in node.transactions.partitions.keys.sorted() {
            node.transactions.partitions[p] = nil
            carryOutTransactions(node.transactions.coordinator.unload(partition: p), on: node)
        }
        node.transactions.markerJobs.removeAll()
        for (_, respond) in node.transactions.pendingReplies.sorted(by: { $0.key < $1.key }) {
            deferred.append { respond(TransactionReply(.notCoordinator)) }
        }
        node.transactions.pendingReplies.removeAll()
    }

    /// Refuses to start or stop broker `id` while its logs are still closing after a stop or
    /// kill: its next run would open them meanwhile. Caller holds the lock.
    func checkNotStopping(_ id: Int32) throws(BrokerError) {
        guard !stoppingBrokers.contains(id) else {
            throw .response(.brokerNotAvailable, "Broker \(id) is still closing its logs after a stop or kill; try again once it has.")
        }
    }

    /// A crash (`eddy broker kill`): the broker stops at once and everything it had not
    /// fsynced is lost, as after a power cut. In combined mode its controller crashes with it.
    /// The controller notices after broker.session.timeout.ms (`tick`), or at once with
    /// `fenceNow` (electing a new controller at once if the broker's was the active one).
    /// Its logs lose their unflushed data after the lock is released.
    public func killBroker(_ id: Int32, fenceNow: Bool = false) throws(BrokerError) {
        let (killed, fenceError) = try withLockThenCallbacks(awaitingMetadata: false) { () throws(BrokerError) -> (Broker?, BrokerError?) in
            guard metadata.latestImage.brokers[id] != nil else { throw Cluster.unknownBroker(id) }
            try checkNotStopping(id)
            let node = retireLocked(id)
            // Until a controller fences it, it stays in ISRs with what it is about to lose.
            if node != nil, metadata.image.brokers[id]?.fenced == false { noteUnfencedKill(id, fenceWhenElected: fenceNow) }
            if controllerQuorum.combined, controllerQuorum.voterIds.contains(id) { killVoterLocked(id) }
            // A failed fencing is reported after the power loss, which must happen regardless.
            var fenceError: BrokerError?
            if fenceNow, metadata.latestImage.brokers[id]?.fenced == false {
                // Noticed at once: if its controller was the active one, so is that (the
                // others elect now rather than after their fetch timeout).
                metadata.quorum.electIfLeaderless()
                if metadata.quorum.activeController != nil {
                    do throws(BrokerError) { try fenceLocked(id) } catch { fenceError = error }
                }
                // Fenced: nothing is left to remember. Else the next controller fences it
                // once one is elected (and a restart of the process first of all).
                if metadata.image.brokers[id]?.fenced == true { clearUnfencedKill(id) }
            }
            return (node, fenceError)
        }
        if let killed {
            defer { lock.withLock { _ = stoppingBrokers.remove(id) } }
            do { try killed.logManager.simulatePowerLoss() } catch {
                logger.error("power loss simulation failed", metadata: ["broker": "\(id)", "error": "\(error)"])
            }
        }
        if let fenceError { throw fenceError }
    }

    /// Whether stopped broker `id`'s last run ended with every log flushed and closed
    /// (`.kafka_cleanshutdown` written), and no kill since. Caller holds the lock.
    func stoppedCleanly(_ id: Int32) -> Bool {
        !Cluster.brokerCrashed(dataDirectory: dataDirectory, id: id)
            && !Disk.exists(Cluster.unfencedKillMarker(dataDirectory: dataDirectory, id: id))
    }

    /// Whether broker `id`'s log directory holds partitions but no clean-shutdown marker: the
    /// process that last ran it stopped without shutting it down.
    static func brokerCrashed(dataDirectory: String, id: Int32) -> Bool {
        let dir = Disk.join(dataDirectory, Broker.logDirectoryName(nodeId: id))
        guard Disk.isDirectory(dir), !Disk.exists(Disk.join(dir, LogManager.cleanShutdownFile)),
              let names = try? Disk.list(dir) else { return false }
        return names.contains { TopicPartition(directoryName: $0) != nil && Disk.isDirectory(Disk.join(dir, $0)) }
    }

    static func unknownBroker(_ id: Int32) -> BrokerError {
        .brokerIdNotRegistered("Broker \(id) is not part of this cluster.")
    }

    func fenceLocked(_ id: Int32) throws(BrokerError) {
        try commitElection(controller.fenceBroker(id, image: metadata.latestImage))
    }

    /// Commits the records of a broker's fencing or unfencing, then counts what its unclean
    /// elections lost against the high watermarks from before the commit. Caller holds the lock.
    func commitElection(_ result: Controller.ElectionResult) throws(BrokerError) {
        let hws = highWatermarksBeforeElection()
        try commitDurably(result.records)
        recordUncleanLosses(result.uncleanElections, highWatermarks: hws)
    }

    /// The partition high watermarks before an election (see `partitionHighWatermark`).
    func highWatermarksBeforeElection() -> [TopicPartition: Int64] {
        var out = knownHighWatermarks.withLock { $0 }
        for node in nodes.values {
            for (tp, r) in node.replicas { out[tp] = max(out[tp] ?? 0, r.log.highWatermark) }
        }
        return out
    }

    /// Counts what an unclean election lost: committed records (below the high watermark the
    /// partition had) beyond the new leader's log end. Kept in `unclean-election-losses` in
    /// the data directory (checkpoint format: topic, partition, records), so later commands
    /// still report them.
    func recordUncleanLosses(_ elections: [TopicPartition], highWatermarks: [TopicPartition: Int64]) {
        guard !elections.isEmpty else { return }
        for tp in elections {
            guard let leader = metadata.image.partition(tp)?.leader, let log = nodes[leader]?.replicas[tp]?.log else { continue }
            let lost = max(0, (highWatermarks[tp] ?? 0) - log.logEndOffset)
            uncleanElectionLosses[tp, default: 0] += lost
            logger.warning("unclean leader election", metadata: ["partition": "\(tp)", "leader": "\(leader)", "recordsLost": "\(lost)"])
        }
        do { try OffsetCheckpointFile.write(Disk.join(dataDirectory, Cluster.uncleanLossesFile), uncleanElectionLosses) } catch {
            logger.error("could not record unclean election losses", metadata: ["error": "\(error)"])
        }
    }

    public static let uncleanLossesFile = "unclean-election-losses"
    /// The highest high watermark the cluster knew per partition when it last shut down
    /// cleanly (checkpoint format). A leader that crashed may have been the only broker to know
    /// its latest high watermark; this keeps it from going backwards across a restart.
    public static let highWatermarksFile = "partition-high-watermarks"

    // MARK: Shutdown

    /// Closes every running broker cleanly and the metadata log.
    public func shutdown() throws {
        // What is written is made durable and applied first (waiting for a thread at it).
        metadataSync.lock()
        syncAndPublishMetadata()
        var held: [HeldAnswer] = []
        let toClose = lock.withLock { () -> [Broker] in
            guard !isShutDown else { return [] }
            isShutDown = true
            // Written since: answered once the log is closed (and so fsynced) below.
            held = awaitingCommit
            awaitingCommit.removeAll()
            for node in nodes.values { takeOutOfService(node) }
            let all = Array(nodes.values)
            nodes.removeAll()
            return all
        }
        flushDeferred()
        var firstError: (any Error)?
        let known = lock.withLock { () -> [TopicPartition: Int64] in
            var hws = knownHighWatermarks.withLock { $0 }
            for node in toClose { for (tp, r) in node.replicas { hws[tp] = max(hws[tp] ?? 0, r.log.highWatermark) } }
            return hws.filter { metadata.image.partition($0.key) != nil }
        }
        if !toClose.isEmpty {
            do { try OffsetCheckpointFile.write(Disk.join(dataDirectory, Cluster.highWatermarksFile), known) } catch { firstError = error }
        }
        for node in toClose {
            do { try node.logManager.shutdown() } catch { firstError = firstError ?? error }
        }
        // Written since: answered if the quorum committed it (a restart publishes it), else failed.
        metadata.quorum.sync()
        for h in held {
            switch metadata.quorum.status(of: h.written) {
            case .committed: h.answer()
            case let .lost(error): h.fail(error)
            case .pending: h.fail(.brokerClosed)
            }
        }
        metadata.quorum.close()
        metadataSync.unlock()
        if let firstError { throw firstError }
    }

    /// Stops everything as SIGKILL of the process would (tests): what was written stays (the
    /// page cache keeps it), nothing is flushed, checkpointed or marked clean.
    func simulateProcessKill() {
        lock.withLock {
            isShutDown = true
            for node in nodes.values {
                node.markStopped()
                node.stopWrites()
                node.logManager.simulateProcessKill()
            }
            nodes.removeAll()
            metadata.quorum.close(flush: false)
        }
    }

    /// Stops everything as a crash of the whole process would (tests).
    public func simulateCrash() {
        lock.withLock {
            isShutDown = true
            for node in nodes.values {
                node.markStopped()
                node.stopWrites()
                try? node.logManager.simulatePowerLoss()
            }
            nodes.removeAll()
            metadata.quorum.close(flush: false)
        }
    }

    // MARK: Locking helpers

    /// Runs `body` under the lock, then the response callbacks it queued, outside the lock.
    /// Returns once the metadata `body` wrote is applied (`awaitMetadataApplied`), unless
    /// `awaitingMetadata` is false (bodies that commit durably themselves and must get their
    /// result back whatever happens next: a stopped or killed broker's logs must be closed).
    func withLockThenCallbacks<R>(awaitingMetadata: Bool = true, _ body: () throws(BrokerError) -> R) throws(BrokerError) -> R {
        let (result, written): (Result<R, BrokerError>, MetadataQuorum.Written?) = lock.withLock {
            guard !isShutDown else { return (.failure(.brokerClosed), nil) }
            let before = metadata.writes
            let result = Result { () throws(BrokerError) -> R in try body() }
            return (result, metadata.writes > before ? metadata.lastWritten : nil)
        }
        flushDeferred()
        let value = try result.get()
        if awaitingMetadata, let written { try awaitMetadataApplied(written) }
        return value
    }

    /// Runs the queued callbacks; then completes pending metadata commits (running the answers
    /// they release; the quorum's voters snapshot when due meanwhile), so that they do not delay
    /// the answers queued before. Called without the lock.
    func flushDeferred() {
        let (callbacks, commitPending) = lock.withLock { (takeDeferred(), metadataCommitPending) }
        for c in callbacks { c() }
        if commitPending {
            completeMetadataCommits()
            for c in lock.withLock({ takeDeferred() }) { c() }
            // Each voter snapshots its committed metadata when due, without `metadataSync`.
            metadata.quorum.snapshotIfDue()
        }
        replicateAppended()
    }

    /// The queued callbacks, leaving none. Caller holds the lock.
    private func takeDeferred() -> [@Sendable () -> Void] {
        defer { deferred.removeAll() }
        return deferred
    }
}
