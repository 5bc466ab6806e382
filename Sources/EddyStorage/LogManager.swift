import EddyProtocol
import Foundation
import Logging

/// A broker's log directory: one subdirectory per partition (`<topic>-<partition>/`) plus
/// Kafka's bookkeeping files:
///
/// - `recovery-point-offset-checkpoint`: per partition, the offset below which the log is
///   fsynced (see `OffsetCheckpointFile`); recovery scans only from there on;
/// - `log-start-offset-checkpoint`: per partition, the log start offset (after DeleteRecords
///   or retention);
/// - `replication-offset-checkpoint`: per partition, the high watermark;
/// - `.kafka_cleanshutdown`: present only between a clean shutdown and the next open; while
///   it exists no log needs scanning. It is removed (durably) as soon as the directory opens;
/// - `<topic>-<partition>.<id>-delete/`: a partition being deleted; removed on open.
///
/// Thread-safe.
public final class LogManager: @unchecked Sendable {
    public static let cleanShutdownFile = ".kafka_cleanshutdown"
    public static let recoveryPointFile = "recovery-point-offset-checkpoint"
    public static let logStartOffsetFile = "log-start-offset-checkpoint"
    public static let highWatermarkFile = "replication-offset-checkpoint"

    public let directory: String
    public let hadCleanShutdown: Bool
    let clock: any Clock
    let logger: Logger
    private let lock = NSLock()
    private let checkpointLock = NSLock()
    private var logs: [TopicPartition: PartitionLog] = [:]
    private var recoveryPoints: [TopicPartition: Int64]
    private var logStartOffsets: [TopicPartition: Int64]
    private var highWatermarks: [TopicPartition: Int64]
    private var lastWritten: [String: [UInt8]] = [:]
    private var isShutDown = false
    /// Removes deleted logs' directories (`deleteLog`), in order.
    private let deleter = DispatchQueue(label: "eddy.log-deleter")
    /// Called on `deleter` before a deleted log's files are removed (tests: a slow removal).
    /// Set before any log is deleted.
    var beforeRemovingFiles: (@Sendable () -> Void)?
    private var _producerIdExpirationMs = ProducerState.defaultProducerIdExpirationMs
    /// Compacts logs whose cleanup.policy includes compact, on a background thread.
    public private(set) var cleaner: LogCleaner!

    /// - Parameter startCleaner: run the log cleaner's background thread (tests drive it with
    ///   `cleaner.cleanOnce()` instead).
    public init(directory: String, clock: any Clock, logger: Logger = Logger(label: "eddy.storage"),
                cleanerSettings: LogCleaner.Settings = .init(), startCleaner: Bool = true) throws {
        self.directory = directory
        self.clock = clock
        self.logger = logger
        try FileSystem.createDirectory(directory)
        let marker = directory + "/" + LogManager.cleanShutdownFile
        hadCleanShutdown = FileSystem.exists(marker)
        func load(_ name: String) -> [TopicPartition: Int64] {
            do { return try OffsetCheckpointFile.read(directory + "/" + name) ?? [:] } catch {
                logger.warning("ignoring unreadable checkpoint file", metadata: ["file": "\(name)", "error": "\(error)"])
                return [:]
            }
        }
        recoveryPoints = load(LogManager.recoveryPointFile)
        logStartOffsets = load(LogManager.logStartOffsetFile)
        highWatermarks = load(LogManager.highWatermarkFile)
        for name in try FileSystem.list(directory) where name.hasSuffix("-delete") && FileSystem.isDirectory(directory + "/" + name) {
            try FileSystem.removeTree(directory + "/" + name)
        }
        if hadCleanShutdown {
            try FileSystem.remove(marker)
            try FileSystem.syncDirectory(directory)
        }
        cleaner = LogCleaner(logDirectory: directory, clock: clock, settings: cleanerSettings, logger: logger,
                             logs: { [weak self] in self?.allLogs ?? [] })
        if startCleaner { cleaner.startup() }
    }

    /// Partition directories present on disk (whether or not opened yet).
    public func partitionsOnDisk() throws -> [TopicPartition] {
        try FileSystem.list(directory).filter { FileSystem.isDirectory(directory + "/" + $0) }
            .compactMap { TopicPartition(directoryName: $0) }.sorted()
    }

    public func log(for tp: TopicPartition) -> PartitionLog? { lock.withLock { logs[tp] } }

    /// The broker config `producer.id.expiration.ms` (default 1 day): `runMaintenance` forgets
    /// the producers of a partition whose newest batch timestamp is at least this old.
    public var producerIdExpirationMs: Int64 {
        get { lock.withLock { _producerIdExpirationMs } }
        set { lock.withLock { _producerIdExpirationMs = newValue } }
    }

    public var allLogs: [PartitionLog] { lock.withLock { logs.values.sorted { $0.topicPartition < $1.topicPartition } } }

    /// Returns the open log for `tp`, opening (and recovering) it from disk or creating it.
    public func getOrCreateLog(_ tp: TopicPartition, config: LogConfig) throws -> PartitionLog {
        try lock.withLock {
            guard !isShutDown else { throw StorageError.logClosed(tp) }
            if let l = logs[tp] { return l }
            let log = try PartitionLog(directory: directory + "/" + tp.directoryName, topicPartition: tp, config: config,
                                       clock: clock, recoveryPoint: recoveryPoints[tp] ?? 0,
                                       logStartOffset: logStartOffsets[tp], highWatermark: highWatermarks[tp],
                                       hadCleanShutdown: hadCleanShutdown, logger: logger)
            log.onCheckpointNeeded = { [weak self] in try? self?.checkpoint() }
            log.cleaner = cleaner
            logs[tp] = log
            return log
        }
    }

    /// Closes the log and removes its directory: renamed to `<dir>.<id>-delete` first (one
    /// atomic step that takes it out of the live set), then its files are removed on a
    /// background queue (`deleter`), as Kafka deletes logs asynchronously: a caller holding a
    /// lock does not hold it while a large log's files go. A crash before they are gone leaves
    /// the `-delete` directory, removed on the next open.
    public func deleteLog(_ tp: TopicPartition) throws {
        try deleteLogs([tp])
    }

    /// `deleteLog` for several logs at once, with one fsync of the directory for all the
    /// renames and one checkpoint (a deleted topic's partitions go together).
    public func deleteLogs(_ tps: [TopicPartition]) throws {
        guard !tps.isEmpty else { return }
        var doomed: [String] = []
        for tp in tps {
            cleaner.abortAndPause(tp)
            let log = lock.withLock { () -> PartitionLog? in
                recoveryPoints[tp] = nil
                logStartOffsets[tp] = nil
                highWatermarks[tp] = nil
                return logs.removeValue(forKey: tp)
            }
            log?.closeWithoutFlush()
            cleaner.logDeleted(tp)
            let dir = directory + "/" + tp.directoryName
            guard FileSystem.exists(dir) else { continue }
            let aside = dir + "." + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() + "-delete"
            try FileSystem.rename(dir, aside)
            doomed.append(aside)
        }
        if !doomed.isEmpty {
            // The renames are durable before any file goes.
            try FileSystem.syncDirectory(directory)
            deleter.async { [logger, beforeRemovingFiles, doomed] in
                beforeRemovingFiles?()
                for dir in doomed {
                    do { try FileSystem.removeTree(dir) } catch {
                        logger.error("could not remove a deleted log's files; the next open removes them",
                                     metadata: ["dir": "\(dir)", "error": "\(error)"])
                    }
                }
            }
        }
        try checkpoint()
    }

    /// Waits until the files of every log deleted so far are removed.
    public func awaitDeletions() {
        deleter.sync {}
    }

    /// Writes the three checkpoint files from the open logs (only those whose content changed).
    public func checkpoint() throws {
        try checkpointLock.withLock {
            let open = allLogs
            var rp: [TopicPartition: Int64] = [:], lso: [TopicPartition: Int64] = [:], hw: [TopicPartition: Int64] = [:]
            lock.withLock {
                rp = recoveryPoints
                lso = logStartOffsets
                hw = highWatermarks
            }
            for l in open {
                rp[l.topicPartition] = l.recoveryPoint
                lso[l.topicPartition] = l.logStartOffset
                hw[l.topicPartition] = l.highWatermark
            }
            lock.withLock {
                recoveryPoints = rp
                logStartOffsets = lso
                highWatermarks = hw
            }
            for (name, values) in [(LogManager.recoveryPointFile, rp), (LogManager.logStartOffsetFile, lso),
                                   (LogManager.highWatermarkFile, hw)] {
                let bytes = OffsetCheckpointFile.encode(values)
                if lastWritten[name] == bytes { continue }
                try FileSystem.writeAtomically(directory + "/" + name, bytes)
                lastWritten[name] = bytes
            }
        }
    }

    /// Periodic work: retention (time, size, log start offset), flush.ms and producer id
    /// expiration (`producerIdExpirationMs`, against the clock) for every log.
    /// Retention runs as a cleaner "retention pass", so it never deletes a segment that a
    /// cleaning round is reading; a log being cleaned right now gets the next pass.
    public func runMaintenance() throws {
        let open = allLogs
        try cleaner.withRetentionPass(open.map { ($0.topicPartition, $0.config) }) { pass in
            let reserved = Set(pass.compacted + pass.nonCompacted)
            for log in open where reserved.contains(log.topicPartition) { try log.enforceRetention() }
        }
        let now = clock.nowMs()
        let expiration = producerIdExpirationMs
        for log in open {
            try log.maybeFlushOnTime()
            log.removeExpiredProducers(nowMs: now, producerIdExpirationMs: expiration)
        }
    }

    /// Flushes and closes every log, writes the checkpoints, then the clean-shutdown marker.
    public func shutdown() throws {
        let open = lock.withLock { () -> [PartitionLog] in
            guard !isShutDown else { return [] }
            isShutDown = true
            return Array(logs.values)
        }
        guard !open.isEmpty || !FileSystem.exists(directory + "/" + LogManager.cleanShutdownFile) else { return }
        cleaner.shutdown()
        for l in open { try l.close() }
        try checkpointClosed(open)
        let marker = directory + "/" + LogManager.cleanShutdownFile
        try FileSystem.writeAtomically(marker, [])
        // The next LogManager on this directory removes leftover `-delete` directories itself.
        awaitDeletions()
    }

    /// A power cut of the whole directory (the broker "kill"): stops the cleaner, then every
    /// open log loses its unflushed data (`PartitionLog.simulatePowerLoss`). Checkpoint files
    /// keep their last written content and no clean-shutdown marker is written, so the next
    /// `LogManager` on this directory recovers every log. Further use fails like after `shutdown`.
    public func simulatePowerLoss() throws {
        for l in stopAbruptly() { try l.simulatePowerLoss() }
    }

    /// Marks the directory shut down, stops the cleaner and finishes deletions; returns the
    /// logs that were open, for the caller to end as an abrupt stop does.
    private func stopAbruptly() -> [PartitionLog] {
        let open = lock.withLock { () -> [PartitionLog] in
            guard !isShutDown else { return [] }
            isShutDown = true
            return Array(logs.values)
        }
        cleaner.shutdown()
        awaitDeletions()
        return open
    }

    /// The process killed (SIGKILL) under this directory (tests): every open log is closed as
    /// it is, written data kept (it is in the page cache), nothing flushed or checkpointed, no
    /// clean-shutdown marker.
    public func simulateProcessKill() {
        for l in stopAbruptly() { l.closeWithoutFlush() }
    }

    private func checkpointClosed(_ closedLogs: [PartitionLog]) throws {
        try checkpointLock.withLock {
            var rp = recoveryPoints, lso = logStartOffsets, hw = highWatermarks
            for l in closedLogs {
                rp[l.topicPartition] = l.recoveryPoint
                lso[l.topicPartition] = l.logStartOffset
                hw[l.topicPartition] = l.highWatermark
            }
            try OffsetCheckpointFile.write(directory + "/" + LogManager.recoveryPointFile, rp)
            try OffsetCheckpointFile.write(directory + "/" + LogManager.logStartOffsetFile, lso)
            try OffsetCheckpointFile.write(directory + "/" + LogManager.highWatermarkFile, hw)
        }
    }
}
