import EddyProtocol
import EddyStorage
import Logging
import Synchronization

/// The metadata log (Kafka's `__cluster_metadata-0`, KIP-500) with its snapshots (KIP-630),
/// and the `MetadataImage` it replays to.
///
/// Directory `<data-dir>/__cluster_metadata-0/`:
///
///     00000000000000000000.log / .index / .timeindex   segments, the same format as any partition
///     <endOffset 20 digits>-<epoch 10 digits>.checkpoint  snapshots (see `MetadataSnapshot`)
///     *.checkpoint.part                                   a snapshot being written (removed on open)
///     *.checkpoint.corrupt                                a snapshot that failed validation (kept aside)
///
/// Each operation is one RecordBatch v2 whose records' values are encoded `MetadataRecord`s. A
/// crash keeps a batch whole or drops it whole (recovery truncates a torn batch).
///
/// Two images, as KRaft's controller and brokers have: `latestImage` includes every batch
/// written (`write`), and is what the controller decides from; `image` includes only batches
/// known to be durable (fsynced), and is what brokers apply. `write` does not fsync: the owner
/// fsyncs with `syncWritten` (which may run without the owner's lock, while later batches are
/// written) and then publishes the durable image with `markCommitted`, so that nothing acts on
/// a change a power cut could still undo. `append` does all three at once.
///
/// Invariants: `image.offset <= latestImage.offset`; `image` is `latestImage` as it was after
/// the batch ending at `image.offset`; committed offsets only grow.
///
/// Snapshots: after `maxRecordsBetweenSnapshots` records or `maxRecordBytesBetweenSnapshots`
/// bytes since the last one, the image is written to a new snapshot: `.part` file, fsync,
/// rename, fsync the directory, read back and validated. Only then are older snapshots removed
/// and the log prefix below the snapshot deleted (DeleteRecords), so at every moment the
/// newest snapshot plus the log after it reproduce the image.
///
/// Opening: leftover `.part` files are removed; the newest snapshot that validates is loaded
/// (one that does not is logged and renamed `.corrupt`), and the log records from its end
/// offset on are replayed. Without a valid snapshot the log is replayed from offset 0; if the
/// log no longer starts there, opening fails with `.corruptMetadata` instead of silently
/// producing an image with topics missing.
///
/// Not thread-safe: the owner (the `Cluster`) serialises calls, except `syncWritten`, which
/// touches only the (thread-safe) log.
public final class MetadataLog {
    public static let topicPartition = TopicPartition(TopicName.clusterMetadata, 0)
    public static let directoryName = topicPartition.directoryName

    /// When to snapshot, and how the log is laid out.
    public struct Settings: Sendable, Equatable {
        /// Snapshot once this many records were appended since the last snapshot.
        public var maxRecordsBetweenSnapshots: Int = 10_000
        /// Snapshot once this many bytes of batches were appended since the last snapshot
        /// (Kafka's `metadata.log.max.record.bytes.between.snapshots`, default 20 MiB).
        public var maxRecordBytesBetweenSnapshots: Int = 20 * 1024 * 1024
        /// Segment size of the metadata log (Kafka's `metadata.log.segment.bytes`; eddy
        /// defaults to Kafka's minimum, 8 MiB, so that DeleteRecords after a snapshot frees space).
        public var segmentBytes: Int = 8 * 1024 * 1024
        /// Largest batch, i.e. largest single operation (10,000 partitions fit easily).
        public var maxBatchBytes: Int = 8 * 1024 * 1024
        /// Metadata records per batch inside a snapshot file.
        public var recordsPerSnapshotBatch: Int = 1000

        public init() {}
    }

    public let directory: String
    public let settings: Settings
    /// The leader epoch stamped on batches `write` appends and named in snapshot files (a
    /// single controller's log keeps the one it was opened with; a quorum replica's batches
    /// carry their Raft leader's epoch, see `MetadataLog+Raft`).
    public internal(set) var epoch: Int32
    /// Batches appended through Raft that are not committed yet: the image after each, oldest
    /// first (`MetadataLog+Raft`).
    var uncommitted: [PendingCommit] = []
    /// The committed image: every durable batch applied. Guarded by the owner's lock.
    public private(set) var image: MetadataImage
    /// `image` as last committed (set once opened, and by `markCommitted`), under its own lock.
    private let imageCopy = Mutex(MetadataImage())
    /// `image`, readable from any thread without the owner's lock.
    public var publishedImage: MetadataImage { imageCopy.withLock { $0 } }
    /// Every written batch applied, durable or not (the controller's view).
    public internal(set) var latestImage: MetadataImage
    /// End offset and epoch of the newest valid snapshot, if any.
    public private(set) var latestSnapshot: (endOffset: Int64, epoch: Int32)?
    /// Records and batch bytes appended (or replayed) since the newest snapshot.
    public internal(set) var recordsSinceSnapshot = 0
    public internal(set) var bytesSinceSnapshot = 0

    let log: PartitionLog
    let clock: any Clock
    let logger: Logger
    var lastAppendTimestamp: Int64 = -1
    /// `lastAppendTimestamp` as of the committed image (what a snapshot of it contains).
    var committedTimestamp: Int64 = -1
    /// Set when an append may have reached the log without the image following it (a failed
    /// fsync): the in-memory image can no longer be trusted, so every later call fails until
    /// the log is reopened and replayed.
    public internal(set) var failure: BrokerError?
    private var closed = false
    /// Consulted as `write` appends: an error it returns is thrown as the append's (tests: a
    /// failing disk). Set before the log is used.
    var failWrite: (@Sendable () -> StorageError?)?
    /// Consulted as `syncWritten` starts: an error it returns is thrown as the fsync's (tests: a
    /// failing disk). Set before the log is used.
    var failSync: (@Sendable () -> BrokerError?)?
    /// Called as `writeSnapshot` starts (tests: a slow snapshot). Set before the log is used.
    var beforeWritingSnapshot: (@Sendable () -> Void)?
    /// Between `snapshotJob` and `finishSnapshot`.
    private var snapshotInProgress = false
    /// End offset of the newest snapshot that failed to write.
    private var failedSnapshotEndOffset: Int64 = 0

    public var logStartOffset: Int64 { log.logStartOffset }
    public var logEndOffset: Int64 { log.logEndOffset }

    /// Opens (creating if absent) the metadata log in `directory`, loading the newest valid
    /// snapshot and replaying the log after it. Without `committedEnd` every record on disk is
    /// committed (a single controller fsyncs before it publishes); a quorum replica passes the
    /// offset below which it knows records are committed (`MetadataLog+Raft`): records from
    /// there on are replayed into `latestImage` only, and commit as the quorum's high
    /// watermark passes them.
    public init(directory: String, settings: Settings = Settings(), epoch: Int32 = 0, clock: any Clock,
                logger: Logger = Logger(label: "eddy.metadata"), committedEnd: Int64? = nil) throws(BrokerError) {
        self.directory = directory
        self.settings = settings
        self.epoch = epoch
        self.clock = clock
        self.logger = logger
        try Disk.makeDirectories(directory)
        for name in try Disk.list(directory) where name.hasSuffix(MetadataSnapshot.partialSuffix) {
            logger.info("removing unfinished snapshot", metadata: ["file": "\(name)"])
            try Disk.remove(Disk.join(directory, name))
        }
        let config: LogConfig
        do {
            config = try LogConfig(overrides: [
                "segment.bytes": String(settings.segmentBytes),
                "max.message.bytes": String(settings.maxBatchBytes),
                "retention.ms": "-1",
                "retention.bytes": "-1",
                "cleanup.policy": "delete",
            ])
        } catch { throw .invalidConfig("metadata log settings: \(error)") }
        let dir = directory
        log = try BrokerError.storage {
            try PartitionLog(directory: dir, topicPartition: MetadataLog.topicPartition, config: config, clock: clock, logger: logger)
        }
        image = MetadataImage()
        latestImage = image
        do {
            try load(committedEnd: committedEnd ?? .max)
            imageCopy.withLock { $0 = image }
        } catch {
            log.closeWithoutFlush()
            throw error
        }
    }

    // MARK: Opening

    private func load(committedEnd: Int64) throws(BrokerError) {
        var snapshot: MetadataSnapshot?
        for (endOffset, epoch) in try snapshotFiles().reversed() {
            let path = Disk.join(directory, MetadataSnapshot.fileName(endOffset: endOffset, epoch: epoch))
            do {
                snapshot = try MetadataSnapshot(decoding: try Disk.readAll(path), endOffset: endOffset, epoch: epoch)
                image = try snapshot!.image()
                break
            } catch {
                snapshot = nil
                logger.error("ignoring invalid metadata snapshot", metadata: ["file": "\(path)", "error": "\(error)"])
                try Disk.rename(path, path.dropLast(MetadataSnapshot.fileSuffix.count) + MetadataSnapshot.corruptSuffix)
                try Disk.syncDirectory(directory)
            }
        }
        let start = snapshot?.endOffset ?? 0
        let logStart = log.logStartOffset
        guard logStart <= start else {
            throw .corruptMetadata("the metadata log starts at offset \(logStart) but \(snapshot == nil ? "no valid snapshot exists" : "the newest valid snapshot ends at \(start)"); records below \(logStart) are lost")
        }
        if let snapshot {
            latestSnapshot = (snapshot.endOffset, snapshot.epoch)
            lastAppendTimestamp = snapshot.lastContainedLogTimestamp
            if snapshot.endOffset > log.logEndOffset {
                // The log lost records the snapshot covers (possible only if the disk lost
                // fsynced data). The snapshot is the truth; restart the log at its end.
                logger.warning("metadata log ends before the newest snapshot; restarting it at the snapshot",
                               metadata: ["logEndOffset": "\(log.logEndOffset)", "snapshotEndOffset": "\(snapshot.endOffset)"])
                try BrokerError.storage { try log.truncateFully(startingAt: snapshot.endOffset) }
            }
            try removeSnapshots(before: snapshot.endOffset)
        }
        if image.offset < start - 1 { image.offset = start - 1 }
        latestImage = image
        committedTimestamp = lastAppendTimestamp
        try replay(from: start, committedEnd: committedEnd)
        log.maybeIncrementHighWatermark(image.offset + 1)
    }

    /// Applies every record at or after `start` to `latestImage`, and those of batches that end
    /// below `committedEnd` to `image` too; each later batch leaves its image in `uncommitted`.
    private func replay(from start: Int64, committedEnd: Int64) throws(BrokerError) {
        var offset = start
        while offset < log.logEndOffset {
            let data = try BrokerError.storage { try log.read(from: offset, maxBytes: 1 << 20) }
            let locations: [MemoryRecords.BatchLocation]
            do { locations = try MemoryRecords.batches(in: data.bytes) } catch {
                throw .corruptMetadata("metadata log at offset \(offset): \(error)")
            }
            guard let last = locations.last else { break }
            for location in locations {
                let batch: RecordBatch
                let records: [Record]
                do {
                    batch = try RecordBatch(bytes: Array(data.bytes[location.range]))
                    records = try batch.records()
                } catch { throw .corruptMetadata("metadata log batch at offset \(location.header.baseOffset): \(error)") }
                if batch.header.attributes.isControl { continue }
                var applied = 0
                for record in records where record.offset >= offset {
                    try latestImage.apply(MetadataLog.metadataRecord(record), offset: record.offset)
                    applied += 1
                }
                if applied > 0 {
                    recordsSinceSnapshot += applied
                    bytesSinceSnapshot += location.header.totalSize
                    lastAppendTimestamp = batch.header.maxTimestamp
                    if location.header.nextOffset <= committedEnd {
                        image = latestImage
                        committedTimestamp = lastAppendTimestamp
                    } else {
                        uncommitted.append(PendingCommit(image: latestImage, timestamp: lastAppendTimestamp))
                    }
                }
            }
            offset = max(offset + 1, last.header.nextOffset)
        }
    }

    /// The metadata record a log record's value encodes.
    /// - Throws: `.corruptMetadata` for a null value or one that does not decode.
    static func metadataRecord(_ record: Record) throws(BrokerError) -> MetadataRecord {
        guard let value = record.value else {
            throw .corruptMetadata("metadata log record at offset \(record.offset) has a null value")
        }
        do { return try MetadataRecord(decoding: value) } catch {
            throw .corruptMetadata("metadata log record at offset \(record.offset): \(error)")
        }
    }

    // MARK: Appending

    /// A written image not yet known to be durable: publish it with `markCommitted` once
    /// `syncWritten` has returned after it was taken.
    public struct PendingCommit {
        public let image: MetadataImage
        /// The timestamp of the newest batch it contains.
        let timestamp: Int64
        public var offset: Int64 { image.offset }
    }

    /// Appends `records` as one batch, fsyncs it, then applies them to both images (`write`,
    /// `syncWritten` and `markCommitted` at once). Either all of them take effect or (on a
    /// thrown error) none do. May take a snapshot afterwards.
    /// - Returns: the offsets the records got.
    @discardableResult
    public func append(_ records: [MetadataRecord]) throws(BrokerError) -> ClosedRange<Int64> {
        let offsets = try write(records)
        do { try syncWritten() } catch {
            markFailed(error)
            throw error
        }
        if let pending = pendingCommit { markCommitted(pending) }
        maybeSnapshot()
        return offsets
    }

    /// Appends `records` as one batch without fsyncing it, and applies them to `latestImage`
    /// only. Either all of them are written or (on a thrown error) none are.
    @discardableResult
    public func write(_ records: [MetadataRecord]) throws(BrokerError) -> ClosedRange<Int64> {
        try checkUsable()
        guard !records.isEmpty else { throw .invalidRequest("an empty metadata batch") }
        var next = latestImage
        for record in records { try next.apply(record) }
        let now = clock.nowMs()
        var builder = RecordBatchBuilder(partitionLeaderEpoch: epoch, capacity: 64 * records.count + 128)
        for record in records { builder.append(timestamp: now, key: nil, value: record.encoded()) }
        let bytes = builder.build().bytes
        let info = try appending { try log.append(bytes, leaderEpoch: epoch) }
        next.offset = info.lastOffset
        latestImage = next
        lastAppendTimestamp = now
        recordsSinceSnapshot += records.count
        bytesSinceSnapshot += info.validBytes
        return info.firstOffset ... info.lastOffset
    }

    /// Runs an append to the log (after the tests' injected failure, if any). A validation
    /// failure leaves the log untouched; an I/O error may not have, so it makes the log unusable.
    func appending<T>(_ body: () throws -> T) throws(BrokerError) -> T {
        do {
            if let injected = failWrite?() { throw injected }
            return try body()
        } catch let error as StorageError {
            if case .io = error { failure = .storage(error) }
            throw .storage(error)
        } catch {
            failure = .unexpected("metadata log append: \(error)")
            throw failure!
        }
    }

    /// The written image, if it is ahead of the committed one. Take it before `syncWritten`.
    /// nil after a failure: an fsync that failed once may have dropped data that a later one
    /// would not report, so nothing written before it is ever published.
    public var pendingCommit: PendingCommit? {
        failure == nil && latestImage.offset > image.offset ? PendingCommit(image: latestImage, timestamp: lastAppendTimestamp) : nil
    }

    /// fsyncs every batch written so far. Safe to call from any thread without the owner's
    /// serialisation, while later batches are written: it holds the log's lock only to list
    /// its segments, not across the fsync.
    public func syncWritten() throws(BrokerError) {
        try syncer.sync()
    }

    /// `syncWritten`, as a value another thread can call without the owner's lock.
    public var syncer: Syncer { Syncer(log: log, failSync: failSync) }

    /// fsyncs what a metadata log wrote (`syncWritten`).
    public struct Syncer: Sendable {
        let log: PartitionLog
        let failSync: (@Sendable () -> BrokerError?)?

        public func sync() throws(BrokerError) {
            if let failure = failSync?() { throw failure }
            do { try log.syncWritten() } catch {
                throw (error as? StorageError).map { .storage($0) } ?? .unexpected("metadata log fsync: \(error)")
            }
        }
    }

    /// Publishes `pending` as the committed image (ignored if not newer, or after a failure):
    /// call it after a `syncWritten` that began after `pending` was taken. A snapshot may then
    /// be due (`snapshotDue`).
    public func markCommitted(_ pending: PendingCommit) {
        guard pending.offset > image.offset, failure == nil else { return }
        image = pending.image
        imageCopy.withLock { $0 = image }
        committedTimestamp = pending.timestamp
        log.maybeIncrementHighWatermark(pending.offset + 1)
    }

    /// A failed fsync: what was written may or may not survive, so the images can no longer be
    /// trusted; every later call fails until the log is reopened and replayed.
    public func markFailed(_ error: BrokerError) {
        if failure == nil { failure = error }
    }

    // MARK: Snapshots

    /// A snapshot of the committed image to write (`snapshotDue`, `snapshotJob`).
    public struct SnapshotJob: Sendable {
        let snapshot: MetadataSnapshot
        public var endOffset: Int64 { snapshot.endOffset }
    }

    /// Whether the thresholds in `settings` are reached, no snapshot is being written, and the
    /// committed image is newer than the newest snapshot and than one that failed to write (so a
    /// failing disk is not retried before more is committed).
    public var snapshotDue: Bool {
        let endOffset = image.offset + 1
        return !snapshotInProgress && failure == nil && !closed
            && endOffset > max(latestSnapshot?.endOffset ?? 0, failedSnapshotEndOffset)
            && (recordsSinceSnapshot >= settings.maxRecordsBetweenSnapshots || bytesSinceSnapshot >= settings.maxRecordBytesBetweenSnapshots)
    }

    /// Takes a snapshot if the thresholds in `settings` are reached. A failure is logged, not
    /// thrown: the appended records are already durable, and a later call retries.
    public func maybeSnapshot() {
        guard snapshotDue else { return }
        do { try snapshot() } catch {
            logger.error("metadata snapshot failed", metadata: ["error": "\(error)"])
        }
    }

    /// Writes a snapshot of the committed image now (no-op if the newest snapshot already
    /// covers it), then removes older snapshots and the log prefix it covers.
    public func snapshot() throws(BrokerError) {
        guard let job = try snapshotJob() else { return }
        do throws(BrokerError) { try writeSnapshot(job) } catch {
            finishSnapshot(job, written: false)
            throw error
        }
        finishSnapshot(job, written: true)
    }

    /// A snapshot of the committed image, unless the newest snapshot already covers it; marks
    /// one in progress until `finishSnapshot`. The three steps let the owner write the file
    /// (`writeSnapshot`) without its lock.
    public func snapshotJob() throws(BrokerError) -> SnapshotJob? {
        try checkUsable()
        let endOffset = image.offset + 1
        guard !snapshotInProgress, endOffset > 0, latestSnapshot?.endOffset != endOffset else { return nil }
        snapshotInProgress = true
        // A snapshot's id names the epoch of its last record (Kafka's snapshot ids).
        return SnapshotJob(snapshot: MetadataSnapshot(image: image, endOffset: endOffset, epoch: recordEpoch(at: endOffset - 1) ?? epoch,
                                                      lastContainedLogTimestamp: committedTimestamp))
    }

    /// Writes `job`'s file (`.part` file, fsync, rename, fsync the directory), reads it back
    /// and validates it; only then removes older snapshots and the log prefix it covers. Safe
    /// to call without the owner's serialisation: it touches only snapshot files and the
    /// (thread-safe) log, and one job is in progress at a time.
    public func writeSnapshot(_ job: SnapshotJob) throws(BrokerError) {
        try snapshotWriter.write(job)
        try pruneBelow(job)
    }

    /// Writes a snapshot job's file (`writeSnapshot` without the pruning), as a value another
    /// thread can call without the owner's lock: a Raft replica writes the file without the
    /// quorum's lock, and prunes under it (`pruneBelow`), where its Raft state learns the new
    /// log start at the same time.
    public struct SnapshotWriter: Sendable {
        let directory: String
        let recordsPerBatch: Int
        let beforeWriting: (@Sendable () -> Void)?
        let logger: Logger

        public func write(_ job: SnapshotJob) throws(BrokerError) {
            beforeWriting?()
            let snapshot = job.snapshot
            let name = MetadataSnapshot.fileName(endOffset: snapshot.endOffset, epoch: snapshot.epoch)
            let path = Disk.join(directory, name)
            try Disk.writeAtomically(path, snapshot.encoded(recordsPerBatch: recordsPerBatch), temporaryPath: path + ".part")
            // Read it back before anything is deleted on its strength.
            let reread = try MetadataSnapshot(decoding: try Disk.readAll(path), endOffset: snapshot.endOffset, epoch: snapshot.epoch)
            guard reread == snapshot else { throw .corruptMetadata("snapshot \(name) does not read back as written") }
            logger.info("wrote metadata snapshot", metadata: ["file": "\(name)", "records": "\(snapshot.records.count)"])
        }
    }

    public var snapshotWriter: SnapshotWriter {
        SnapshotWriter(directory: directory, recordsPerBatch: settings.recordsPerSnapshotBatch, beforeWriting: beforeWritingSnapshot, logger: logger)
    }

    /// Once `job`'s file is written: removes older snapshots and the log prefix it covers.
    public func pruneBelow(_ job: SnapshotJob) throws(BrokerError) {
        try removeSnapshots(before: job.endOffset)
        try BrokerError.storage { _ = try log.deleteRecords(before: job.endOffset) }
    }

    /// Ends `job`: when its file was written, it is the newest snapshot and the counts toward
    /// the next one start over.
    public func finishSnapshot(_ job: SnapshotJob, written: Bool) {
        snapshotInProgress = false
        if !written { failedSnapshotEndOffset = max(failedSnapshotEndOffset, job.endOffset) }
        guard written, job.endOffset > latestSnapshot?.endOffset ?? -1 else { return }
        latestSnapshot = (job.endOffset, job.snapshot.epoch)
        recordsSinceSnapshot = 0
        bytesSinceSnapshot = 0
    }

    /// Makes `snapshot` (just written as a file) the state of this log: the committed and the
    /// latest image, with nothing uncommitted after it (a follower that installed the leader's
    /// snapshot and restarted its log after it).
    func adoptSnapshot(_ snapshot: MetadataSnapshot, image installed: MetadataImage) throws(BrokerError) {
        image = installed
        latestImage = installed
        imageCopy.withLock { $0 = installed }
        uncommitted = []
        latestSnapshot = (snapshot.endOffset, snapshot.epoch)
        committedTimestamp = snapshot.lastContainedLogTimestamp
        lastAppendTimestamp = snapshot.lastContainedLogTimestamp
        recordsSinceSnapshot = 0
        bytesSinceSnapshot = 0
        try removeSnapshots(before: snapshot.endOffset)
    }

    /// (endOffset, epoch) of every snapshot file, oldest first.
    func snapshotFiles() throws(BrokerError) -> [(endOffset: Int64, epoch: Int32)] {
        try Disk.list(directory).compactMap(MetadataSnapshot.parseFileName).sorted { ($0.endOffset, $0.epoch) < ($1.endOffset, $1.epoch) }
    }

    private func removeSnapshots(before endOffset: Int64) throws(BrokerError) {
        var removed = false
        for s in try snapshotFiles() where s.endOffset < endOffset {
            try Disk.remove(Disk.join(directory, MetadataSnapshot.fileName(endOffset: s.endOffset, epoch: s.epoch)))
            removed = true
        }
        if removed { try Disk.syncDirectory(directory) }
    }

    // MARK: Closing

    /// Flushes and closes the log. Further calls fail with `.brokerClosed`.
    public func close() throws(BrokerError) {
        guard !closed else { return }
        closed = true
        try BrokerError.storage { try log.close() }
    }

    /// Closes without flushing, as a crash would (for tests).
    public func closeWithoutFlush() {
        closed = true
        log.closeWithoutFlush()
    }

    func checkUsable() throws(BrokerError) {
        if closed { throw .brokerClosed }
        if let failure { throw failure }
    }
}
