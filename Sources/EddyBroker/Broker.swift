import EddyProtocol
import EddyStorage
import Foundation
import Logging

/// A single-node broker over a data directory: the metadata log, topic management, and the
/// partition logs of node 0. This is the API the `eddy` CLI uses.
///
/// Data directory layout:
///
///     <data-dir>/
///       meta.properties              cluster.id, node.id, version (see `MetaProperties`)
///       __cluster_metadata-0/        the metadata log and its snapshots (see `MetadataLog`)
///       broker-0/                    node 0's log directory, owned by a `LogManager`:
///         <topic>-<partition>/       one partition's segments, plus `partition.metadata`
///                                    naming the topic ID the directory belongs to
///         recovery-point-offset-checkpoint, log-start-offset-checkpoint,
///         replication-offset-checkpoint, .kafka_cleanshutdown
///
/// `meta.properties` is written first when a directory is initialised; a directory that has
/// a metadata log or a broker directory but no `meta.properties` is refused, as is one whose
/// metadata log is missing while partition directories exist (opening it would treat every
/// partition as stray).
///
/// Opening reconciles the partition directories with the metadata image, as a Kafka broker
/// does when it loads its logs: every partition of which this node is a replica is opened or
/// created; a directory whose `partition.metadata` names a topic ID the image does not have
/// (a topic deleted before its directories were removed) is deleted; a directory with no
/// readable `partition.metadata` and no topic in the image is not deleted but renamed
/// `<dir>.<id>-stray` and logged.
///
/// Topic operations write their metadata records (fsynced) first and then act on the logs: a
/// topic exists once its records are durable, and a crash between the two steps is repaired
/// by the reconciliation above on the next open.
///
/// Thread-safe: one internal lock serialises metadata changes; produce and fetch go to the
/// partition logs, which have their own locks. A `Broker` does not lock the data directory
/// against other processes: its user holds a `DataDirectoryLock` while one is open.
public final class Broker: @unchecked Sendable {
    public static let metadataDirectoryName = MetadataLog.directoryName

    /// Broker settings that are not topic configs.
    public struct Options: Sendable {
        public var nodeId: Int32 = 0
        public var metadata = MetadataLog.Settings()
        /// Partitions of a topic created with partitions -1 (Kafka's `num.partitions`).
        public var defaultPartitions: Int32 = 1
        /// Replication factor of a topic created with -1 (Kafka's `default.replication.factor`).
        public var defaultReplicationFactor: Int16 = 1
        /// Seed for topic and cluster IDs; nil draws them from the system generator.
        public var randomSeed: UInt64?

        public init() {}
    }

    public let dataDirectory: String
    public let clusterId: String
    public let nodeId: Int32
    /// `<data-dir>/broker-<nodeId>`.
    public let logDirectory: String

    let options: Options
    let clock: any Clock
    let logger: Logger
    let lock = NSLock()
    let metadataLog: MetadataLog
    let logManager: LogManager
    var controller: Controller
    /// Set when `Options.randomSeed` is; otherwise IDs come from the system generator.
    var seededRandom: SplitMix64?
    var isShutDown = false

    public static func logDirectoryName(nodeId: Int32) -> String { "broker-\(nodeId)" }

    /// Opens the data directory, creating and initialising it if it does not exist or is empty.
    ///
    /// - Throws: `.invalidDataDirectory` if the directory belongs to another node or is
    ///   missing pieces; `.corruptMetadata` if the metadata cannot be replayed; `.storage` for I/O.
    public init(dataDirectory: String, clock: any Clock = SystemClock(), options: Options = Options(),
                logger: Logger = Logger(label: "eddy.broker")) throws(BrokerError) {
        self.dataDirectory = dataDirectory
        self.options = options
        self.clock = clock
        self.logger = logger
        nodeId = options.nodeId
        seededRandom = options.randomSeed.map { SplitMix64(seed: $0) }
        controller = Controller(brokerIds: [options.nodeId], defaultPartitions: options.defaultPartitions,
                                defaultReplicationFactor: options.defaultReplicationFactor)
        let metadataDirectory = Disk.join(dataDirectory, Broker.metadataDirectoryName)
        logDirectory = Disk.join(dataDirectory, Broker.logDirectoryName(nodeId: options.nodeId))

        try Disk.makeDirectories(dataDirectory)
        if let meta = try MetaProperties.read(directory: dataDirectory) {
            guard meta.nodeId == options.nodeId else {
                throw .invalidDataDirectory("\(dataDirectory) belongs to node \(meta.nodeId), not node \(options.nodeId)")
            }
            clusterId = meta.clusterId
        } else {
            for name in [Broker.metadataDirectoryName, Broker.logDirectoryName(nodeId: options.nodeId)]
                where Disk.exists(Disk.join(dataDirectory, name)) {
                throw .invalidDataDirectory("\(dataDirectory) has \(name) but no \(MetaProperties.fileName); refusing to initialise over existing data")
            }
            clusterId = Broker.newUuid(&seededRandom).description
            try MetaProperties(clusterId: clusterId, nodeId: options.nodeId).write(directory: dataDirectory)
            logger.info("initialised data directory", metadata: ["dir": "\(dataDirectory)", "cluster.id": "\(clusterId)"])
        }
        if !Disk.exists(metadataDirectory), Disk.isDirectory(logDirectory),
           try Disk.list(logDirectory).contains(where: { TopicPartition(directoryName: $0) != nil }) {
            throw .invalidDataDirectory("\(dataDirectory) has partition directories in \(Broker.logDirectoryName(nodeId: options.nodeId)) but no metadata log (\(Broker.metadataDirectoryName)); refusing to open")
        }
        metadataLog = try MetadataLog(directory: metadataDirectory, settings: options.metadata, clock: clock, logger: logger)
        let dir = logDirectory
        do throws(BrokerError) {
            logManager = try BrokerError.storage { try LogManager(directory: dir, clock: clock, logger: logger) }
        } catch {
            try? metadataLog.close()
            throw error
        }
        do throws(BrokerError) {
            try reconcileLogs()
        } catch {
            try? logManager.shutdown()
            try? metadataLog.close()
            throw error
        }
    }

    /// The current metadata image (a value: later changes do not affect it).
    public var metadataImage: MetadataImage { lock.withLock { metadataLog.image } }

    /// A fresh ID: from the seeded generator when there is one.
    func newUuid() -> Uuid { Broker.newUuid(&seededRandom) }

    static func newUuid(_ seeded: inout SplitMix64?) -> Uuid {
        guard var generator = seeded else { return Uuid.random() }
        defer { seeded = generator }
        return Uuid.random(using: &generator)
    }

    // MARK: Reconciliation

    /// Brings the log directory in line with the image (see the type's documentation).
    private func reconcileLogs() throws(BrokerError) {
        let image = metadataLog.image
        let onDisk = try BrokerError.storage { try logManager.partitionsOnDisk() }
        for tp in onDisk {
            let directory = Disk.join(logDirectory, tp.directoryName)
            let recorded = PartitionMetadataFile.read(directory: directory)
            let topic = image.topic(named: tp.topic)
            let wanted = topic.map { $0.partitions[tp.partition]?.replicas.contains(nodeId) == true } ?? false
            if let topic, wanted, recorded == nil || recorded == topic.id { continue }
            if recorded != nil || topic != nil {
                // Either a stale incarnation (another topic ID) or a partition this node no
                // longer hosts: the metadata log says it is gone.
                logger.warning("deleting stray partition directory",
                               metadata: ["dir": "\(directory)", "topicId": "\(recorded.map(\.description) ?? "none")"])
                try BrokerError.storage { try logManager.deleteLog(tp) }
            } else {
                let aside = directory + "." + newUuid().description.replacingOccurrences(of: "-", with: "") + "-stray"
                logger.warning("moving unknown partition directory aside", metadata: ["dir": "\(directory)", "to": "\(aside)"])
                try Disk.rename(directory, aside)
                try Disk.syncDirectory(logDirectory)
            }
        }
        for name in image.topicNames {
            let topic = image.topic(named: name)!
            let config = topicLogConfig(name, image: image)
            for p in topic.partitionIds where topic.partitions[p]!.replicas.contains(nodeId) {
                try openLocalReplica(TopicPartition(name, p), topicId: topic.id, config: config)
            }
        }
    }

    /// Opens or creates this node's log of `tp`, makes sure `partition.metadata` names
    /// `topicId`, and (as the only replica) moves the high watermark to the log end.
    @discardableResult
    func openLocalReplica(_ tp: TopicPartition, topicId: Uuid, config: LogConfig) throws(BrokerError) -> PartitionLog {
        let directory = Disk.join(logDirectory, tp.directoryName)
        if let recorded = PartitionMetadataFile.read(directory: directory), recorded != topicId {
            logger.warning("deleting partition directory of an earlier topic with the same name",
                           metadata: ["dir": "\(directory)", "topicId": "\(recorded)"])
            try BrokerError.storage { try logManager.deleteLog(tp) }
        }
        let log = try BrokerError.storage { try logManager.getOrCreateLog(tp, config: config) }
        if PartitionMetadataFile.read(directory: log.directory) != topicId {
            try PartitionMetadataFile.write(directory: log.directory, topicId: topicId)
        }
        // With this node as the only in-sync replica, everything appended is committed.
        if metadataLog.image.partition(tp)?.isr == [nodeId] {
            log.maybeIncrementHighWatermark(log.logEndOffset)
        }
        return log
    }

    /// The topic's LogConfig, logging overrides that no longer validate.
    func topicLogConfig(_ topic: String, image: MetadataImage) -> LogConfig {
        let (config, rejected) = image.logConfig(forTopic: topic)
        for (key, error) in rejected.sorted(by: { $0.key < $1.key }) {
            logger.warning("ignoring invalid stored topic config", metadata: ["topic": "\(topic)", "key": "\(key)", "error": "\(error)"])
        }
        return config
    }

    // MARK: Maintenance and shutdown

    /// Periodic work: retention, flush.ms and checkpoint files for every partition log.
    public func runMaintenance() throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard !isShutDown else { throw .brokerClosed }
            try BrokerError.storage {
                try logManager.runMaintenance()
                try logManager.checkpoint()
            }
        }
    }

    /// Writes a metadata snapshot now (normally they are taken automatically).
    public func snapshotMetadata() throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard !isShutDown else { throw .brokerClosed }
            try metadataLog.snapshot()
        }
    }

    /// Flushes and closes every log, writes the checkpoints and the clean-shutdown marker, and
    /// closes the metadata log. Calling it again does nothing; every other call then fails with
    /// `.brokerClosed`.
    public func shutdown() throws(BrokerError) {
        try lock.withLock { () throws(BrokerError) in
            guard !isShutDown else { return }
            isShutDown = true
            var first: BrokerError?
            do throws(BrokerError) { try BrokerError.storage { try logManager.shutdown() } } catch { first = error }
            do throws(BrokerError) { try metadataLog.close() } catch { first = first ?? error }
            if let first { throw first }
        }
    }

    /// Stops using the directory as a `kill -9` would: nothing is flushed or checkpointed and
    /// no clean-shutdown marker is written (for crash tests).
    public func simulateCrash() {
        lock.withLock {
            guard !isShutDown else { return }
            isShutDown = true
            for log in logManager.allLogs { log.closeWithoutFlush() }
            metadataLog.closeWithoutFlush()
        }
    }
}

extension NSLock {
    /// `withLock` that keeps a typed error.
    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}
