import EddyProtocol
import Foundation
import Logging

/// What one append wrote.
public struct LogAppendInfo: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var maxTimestamp: Int64
    /// The broker time stamped on the batches under LogAppendTime, else -1.
    public var logAppendTime: Int64
    public var recordCount: Int
    public var batchCount: Int
    public var validBytes: Int
    /// The request was a retry of idempotent batches already in the log (see
    /// `PartitionLog.append`): nothing was written, firstOffset/lastOffset are the offsets the
    /// original append assigned, maxTimestamp (and logAppendTime under LogAppendTime) the
    /// original batches' maxTimestamp, and recordCount, batchCount and validBytes are 0.
    public var isDuplicate: Bool = false
}

/// Whole record batches returned by a read, plus the log's bounds at that moment.
public struct FetchData: Sendable, Equatable {
    public var bytes: [UInt8]
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64
}

/// A segment as seen from outside the log.
public struct SegmentInfo: Sendable, Equatable {
    public var baseOffset: Int64
    public var nextOffset: Int64
    public var sizeInBytes: Int64
    public var largestTimestamp: Int64
}

/// One partition's log: an append-only sequence of segments in `<logDir>/<topic>-<partition>/`,
/// with the leader-epoch checkpoint and the producer-state snapshots (`<offset>.snapshot`, see
/// `PartitionLog+ProducerState.swift`) beside them.
///
/// Invariants (checked by `checkInvariants()` in tests):
/// - logStartOffset ≤ highWatermark ≤ logEndOffset, and recoveryPoint ≤ logEndOffset;
/// - segments are sorted by base offset, each segment's offsets lie in [baseOffset, next
///   segment's baseOffset), and only the last (active) segment is appended to;
/// - every byte of every segment is a whole, CRC-valid RecordBatch v2 (appends validate
///   first, recovery truncates anything else);
/// - everything below recoveryPoint is fsynced, so after a crash only segments holding
///   offsets ≥ recoveryPoint need to be scanned;
/// - the leader epoch cache is sound (`LeaderEpochCache.checkInvariants`) and its entries
///   start within [logStartOffset, logEndOffset] (see `PartitionLog+LeaderEpochs.swift`);
/// - the producer state is sound (`ProducerState.checkInvariants`) and remembers no batch at
///   or past the log end offset (see `PartitionLog+ProducerState.swift`).
///
/// Thread-safe: public methods take the log's lock (`locked`, or `reading` where they change
/// nothing), except the readers of the published state below and `maybeIncrementHighWatermark`.
/// Batch validation and fsync of rolled segments happen outside it, so appends are not held up
/// by them. The log's bounds,
/// config and epoch history are also published at the end of every locked section
/// (`Published`), and read from there: a caller asking for the log end offset or the high
/// watermark does not wait for an append or fsync in progress (Kafka keeps them in volatile
/// fields for the same reason), so a broker may read them under its own locks.
public final class PartitionLog: @unchecked Sendable {
    public let topicPartition: TopicPartition
    public let directory: String
    let clock: any Clock
    let logger: Logger
    let lock = NSLock()

    /// What readers see without taking `lock`: the state at the end of the last locked section.
    struct Published {
        var config: LogConfig
        var logStartOffset: Int64
        var logEndOffset: Int64
        var highWatermark: Int64
        var epochCache: LeaderEpochCache
        var sizeInBytes: Int64
        /// The first offset of the oldest open transaction (see `lastStableOffset`).
        var firstUnstableOffset: Int64?
        /// Transactions ended by a marker that was not yet below the high watermark when last
        /// published (Kafka's unreplicated transactions; see `lastStableOffset`).
        var unreplicatedTransactions: [CompletedTransaction] = []

        /// The last stable offset (Kafka's LSO): the high watermark, held back by the oldest
        /// open transaction and by any ended one whose marker is not yet below the high
        /// watermark. read_committed consumers read below it.
        var lastStableOffset: Int64 {
            var lso = highWatermark
            if let firstUnstableOffset { lso = min(lso, firstUnstableOffset) }
            for t in unreplicatedTransactions where t.lastOffset >= highWatermark { lso = min(lso, t.firstOffset) }
            // A transaction that began below the log start (retention, DeleteRecords) holds it
            // back no further than the log start, as Kafka's does.
            return max(lso, min(logStartOffset, highWatermark))
        }
    }
    private let publishedLock = NSLock()
    private var published: Published

    var _config: LogConfig
    var segmentList: [LogSegment] = []
    var _logStartOffset: Int64 = 0
    /// Kept in the published state only, so that a broker advancing it never waits for an
    /// append in progress (see `maybeIncrementHighWatermark`, which changes it without `lock`).
    /// Read-only: every change is one `updateHighWatermark` step, since a read and a later
    /// write could undo an advance made in between.
    var _highWatermark: Int64 { publishedLock.withLock { published.highWatermark } }

    /// Replaces the high watermark with `change(current)` atomically (see `_highWatermark`).
    func updateHighWatermark(_ change: (Int64) -> Int64) {
        publishedLock.withLock { published.highWatermark = change(published.highWatermark) }
    }
    var _recoveryPoint: Int64 = 0
    var unflushedRecords: Int64 = 0
    var lastFlushMs: Int64
    var closed = false
    /// The leader epoch history (see `PartitionLog+LeaderEpochs.swift`).
    var epochCache = LeaderEpochCache()
    /// `epochCache` differs from the leader-epoch-checkpoint file. The file is rewritten before
    /// the recovery point next moves, so it always covers every flushed batch.
    var epochCacheDirty = false
    /// Called (outside the lock) when the recovery point or log start offset moved, so the
    /// owner can write its checkpoint files.
    var onCheckpointNeeded: (@Sendable () -> Void)?
    /// The cleaner compacting this log, if any: operations that remove segments pause it first.
    weak var cleaner: LogCleaner?
    /// Idempotent-producer state of the whole log (see `PartitionLog+ProducerState.swift`).
    var producerState = ProducerState()
    /// Transactions whose markers are in the log but were not below the high watermark when
    /// last looked at (see `Published.lastStableOffset`); pruned as it passes them.
    var unreplicatedTransactions: [CompletedTransaction] = []
    /// Offsets of the producer-state snapshot files in `directory`, ascending.
    var producerSnapshotOffsets: [Int64] = []
    /// The offset of a snapshot file holding exactly `producerState`; nil once the state changed.
    var producerSnapshotInSync: Int64?
    /// Bumped by every truncation of the log's tail: a snapshot encoded before it must not be
    /// published after it.
    var producerStateGeneration: UInt64 = 0
    /// Rolled segments are fsynced here, off the append path.
    let flusher: DispatchQueue
    /// Called under the lock as an append (a leader's or a follower's) or a deletion of records
    /// starts writing (tests: a write that takes long, as a slow disk's would). Set before the
    /// log is used.
    var beforeWrite: (@Sendable () -> Void)?
    /// Called as `read` starts, before it takes the log's lock (tests: a read that takes long,
    /// as a cold disk's would). Set before the log is used.
    var beforeRead: (@Sendable () -> Void)?
    /// Called as `flush`, `syncWritten` or `close` starts, before taking the log's lock (tests:
    /// an fsync that takes long). Set before the log is used.
    var beforeSync: (@Sendable () -> Void)?

    var activeSegment: LogSegment { segmentList[segmentList.count - 1] }

    // MARK: Opening

    /// Opens the log in `directory` (created if absent), recovering it if needed.
    ///
    /// - Parameters:
    ///   - recoveryPoint: offset below which data is known to be fsynced (from the checkpoint file).
    ///   - logStartOffset: persisted log start offset, if any.
    ///   - highWatermark: persisted high watermark, if any (clamped to the recovered log).
    ///   - hadCleanShutdown: the previous process closed the log cleanly, so only the active
    ///     segment's tail is checked (see `load`).
    public init(directory: String, topicPartition: TopicPartition, config: LogConfig, clock: any Clock,
                recoveryPoint: Int64 = 0, logStartOffset: Int64? = nil, highWatermark: Int64? = nil,
                hadCleanShutdown: Bool = false, logger: Logger = Logger(label: "eddy.storage")) throws {
        self.directory = directory
        self.topicPartition = topicPartition
        _config = config
        self.clock = clock
        self.logger = logger
        lastFlushMs = clock.nowMs()
        flusher = DispatchQueue(label: "eddy.flush.\(topicPartition)")
        published = Published(config: config, logStartOffset: 0, logEndOffset: 0, highWatermark: 0, epochCache: LeaderEpochCache(),
                              sizeInBytes: 0)
        try FileSystem.createDirectory(directory)
        try load(recoveryPoint: recoveryPoint, logStartOffset: logStartOffset, hadCleanShutdown: hadCleanShutdown,
                 highWatermark: highWatermark)
        publishLocked()
    }

    /// Runs `body` holding the log's lock, then publishes the state it left.
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer {
            publishLocked()
            lock.unlock()
        }
        return try body()
    }

    /// Runs `body`, which changes nothing, holding the log's lock (nothing to publish after it).
    func reading<R>(_ body: () throws -> R) rethrows -> R {
        try lock.withLock(body)
    }

    /// Copies the bounds, config and epoch history for lock-free readers. Caller holds `lock`.
    private func publishLocked() {
        let logEnd = segmentList.last?.nextOffset ?? _logStartOffset
        let (config, logStart, epochs) = (_config, _logStartOffset, epochCache)
        let size = segmentList.reduce(0) { $0 + $1.size }
        let firstUnstable = producerState.firstUnstableOffset
        let unreplicated = unreplicatedTransactions.filter { $0.lastOffset < logEnd }
        // One section: a reader never sees an ended transaction as neither open nor unreplicated.
        let pruned = publishedLock.withLock {
            published.config = config
            published.logStartOffset = logStart
            published.logEndOffset = logEnd
            published.highWatermark = min(published.highWatermark, logEnd)
            published.epochCache = epochs
            published.sizeInBytes = size
            published.firstUnstableOffset = firstUnstable
            let hw = published.highWatermark
            published.unreplicatedTransactions = unreplicated.filter { $0.lastOffset >= hw }
            return published.unreplicatedTransactions
        }
        if pruned.count != unreplicatedTransactions.count { unreplicatedTransactions = pruned }
    }

    /// The state as of the end of the last locked section (see `Published`).
    /// One field of it (without copying the rest: the config and epoch history are retained on
    /// a copy, and the bounds are read on every request).
    func readPublished<T>(_ field: (Published) -> T) -> T { publishedLock.withLock { field(published) } }

    // MARK: State

    public var config: LogConfig { readPublished(\.config) }
    public var logStartOffset: Int64 { readPublished(\.logStartOffset) }
    public var logEndOffset: Int64 { readPublished(\.logEndOffset) }
    public var highWatermark: Int64 { readPublished(\.highWatermark) }
    /// The last stable offset: read_committed reads below it (see `Published.lastStableOffset`).
    public var lastStableOffset: Int64 { readPublished(\.lastStableOffset) }
    /// The flushed offset: every record below it has been fsynced.
    public var recoveryPoint: Int64 { reading { _recoveryPoint } }
    public var sizeInBytes: Int64 { readPublished(\.sizeInBytes) }
    public var segmentCount: Int { reading { segmentList.count } }

    public var segments: [SegmentInfo] {
        reading {
            segmentList.enumerated().map { i, s in
                SegmentInfo(baseOffset: s.baseOffset,
                            nextOffset: i + 1 < segmentList.count ? segmentList[i + 1].baseOffset : s.nextOffset,
                            sizeInBytes: s.size, largestTimestamp: s.maxTimestamp)
            }
        }
    }

    public func updateConfig(_ config: LogConfig) { locked { _config = config } }

    // MARK: Append

    /// Validates and appends one or more RecordBatch v2 batches laid end to end, as they
    /// came from a producer. The log assigns offsets from its end and stamps `leaderEpoch`;
    /// nothing else in the bytes changes unless the topic uses LogAppendTime or the batch is
    /// rewritten (see below). The leader epoch
    /// cache is assigned (`leaderEpoch`, first offset): a new epoch starts there, the current
    /// one is unchanged (see `LeaderEpochCache.assign` for the rest); -1 records nothing.
    ///
    /// Validation (outside the lock, see `LogValidator`): header, CRC, every record's
    /// structure (compressed batches are decompressed), batch size against max.message.bytes,
    /// and non-null keys on compacted topics. A batch whose codec is not the one the topic's
    /// `compression.type` stores, or whose inner offsets are not 0, 1, 2, …, is rewritten first;
    /// the others are stored as sent.
    ///
    /// Control batches are refused (`recordRejected`, INVALID_RECORD): transaction markers are
    /// written by `appendMarker` only. So is a transactional batch without a producer id.
    ///
    /// Idempotent batches (producerId ≥ 0) are then checked against the producer state (under
    /// the lock, in order, so batches of one producer in one request must chain): a sequence
    /// gap, an old epoch or a missing sequence throws `StorageError.producer` and writes nothing.
    /// When the request retries batches still among their producer's last five, nothing is
    /// written and the result has `isDuplicate` with the original offsets (Kafka answers a
    /// duplicate with its original base offset). That requires every batch of the request to be
    /// such a duplicate; a request mixing duplicates with new or non-idempotent batches, which
    /// no producer sends, is refused with `recordRejected` (INVALID_RECORD).
    ///
    /// A coordinator's batches (`origin` `.coordinator`: the group coordinator's transactional
    /// offset commits) carry a producer id and epoch but no sequence: only the epoch is checked
    /// (an older one is fenced), as Kafka checks sequences for its CLIENT origin only.
    @discardableResult
    public func append(_ records: [UInt8], leaderEpoch: Int32 = 0, origin: AppendOrigin = .client) throws -> LogAppendInfo {
        let config = self.config
        let validated = try LogValidator(config: config, topicPartition: topicPartition).validate(records)
        let records = validated.records
        let locations = validated.locations
        for loc in locations {
            if loc.header.attributes.isControl {
                throw StorageError.recordRejected("clients may not write control batches to \(topicPartition); transaction markers come from the transaction coordinator")
            }
            if loc.header.attributes.isTransactional, !loc.header.isIdempotent {
                throw StorageError.recordRejected("a transactional batch to \(topicPartition) has no producer id")
            }
        }

        let (info, needsCheckpoint) = try locked { () throws -> (LogAppendInfo, Bool) in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let now = clock.nowMs()
            var next = activeSegment.nextOffset
            let firstOffset = next
            var headers: [(header: RecordBatchHeader, size: Int)] = []
            headers.reserveCapacity(locations.count)
            var recordCount = 0
            var maxTs: Int64 = -1
            var producerBatches: [ProducerBatch] = []
            for loc in locations {
                var h = loc.header
                h.baseOffset = next
                h.partitionLeaderEpoch = leaderEpoch
                if config.usesLogAppendTime {
                    h.attributes.timestampType = .logAppendTime
                    h.maxTimestamp = now
                }
                next = h.nextOffset
                recordCount += Int(h.recordCount)
                maxTs = max(maxTs, h.maxTimestamp)
                headers.append((h, loc.header.totalSize))
                if let b = ProducerBatch(h) { producerBatches.append(b) }
            }
            if !producerBatches.isEmpty,
               let duplicate = try checkProducerBatchesLocked(producerBatches, batchCount: locations.count, origin: origin,
                                                              usesLogAppendTime: config.usesLogAppendTime) {
                return (duplicate, false)
            }
            let total = records.count
            if activeSegment.shouldRoll(batchBytes: total, lastOffset: next - 1, maxTimestamp: maxTs, nowMs: now, config: config) {
                try rollLocked(now: now)
            }
            beforeWrite?()
            try writeBatches(records, locations: locations, headers: headers, logAppendTime: config.usesLogAppendTime ? now : nil)
            assignEpochLocked(leaderEpoch, startOffset: firstOffset)
            if !producerBatches.isEmpty { updateProducerStateLocked(producerBatches) }
            let checkpoint = try maybeFlushAfterAppendLocked(recordCount: recordCount, config: config)
            let info = LogAppendInfo(firstOffset: firstOffset, lastOffset: next - 1, maxTimestamp: maxTs,
                                     logAppendTime: config.usesLogAppendTime ? now : -1, recordCount: recordCount,
                                     batchCount: locations.count, validBytes: total)
            return (info, checkpoint)
        }
        if needsCheckpoint { onCheckpointNeeded?() }
        return info
    }

    /// Writes the batches with their new baseOffset/partitionLeaderEpoch. Those two fields are
    /// outside the CRC, so only the 17-byte prefix of each batch is rewritten and the rest is
    /// written straight from the caller's buffer; LogAppendTime batches are copied and re-sealed.
    private func writeBatches(_ records: [UInt8], locations: [MemoryRecords.BatchLocation],
                              headers: [(header: RecordBatchHeader, size: Int)], logAppendTime: Int64?) throws {
        if let now = logAppendTime {
            var out: [UInt8] = []
            out.reserveCapacity(records.count)
            // The headers as written: re-sealing changes the CRC too (the segment remembers
            // its recent batches' headers exactly, see `LogSegment`).
            var written: [(header: RecordBatchHeader, size: Int)] = []
            written.reserveCapacity(headers.count)
            for (loc, h) in zip(locations, headers) {
                var batch = try RecordBatch(bytes: Array(records[loc.range]))
                batch.setBaseOffset(h.header.baseOffset)
                batch.setPartitionLeaderEpoch(h.header.partitionLeaderEpoch)
                batch.setLogAppendTime(now)
                written.append((try batch.bytes.withUnsafeBytes { try RecordBatchHeader(parsing: $0, at: 0) }, h.size))
                out += batch.bytes
            }
            try out.withUnsafeBytes { b in try activeSegment.append(parts: [b], batches: written) }
            return
        }
        let prefixSize = RecordBatchHeader.crcOffset
        var prefixes = [UInt8](repeating: 0, count: prefixSize * locations.count)
        try records.withUnsafeBytes { src in
            for (i, loc) in locations.enumerated() {
                let o = i * prefixSize
                prefixes.withUnsafeMutableBytes { p in
                    UnsafeMutableRawBufferPointer(rebasing: p[o ..< o + prefixSize])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[loc.position ..< loc.position + prefixSize]))
                    p.storeBytes(of: headers[i].header.baseOffset.bigEndian, toByteOffset: o, as: Int64.self)
                    p.storeBytes(of: headers[i].header.partitionLeaderEpoch.bigEndian,
                                 toByteOffset: o + RecordBatchHeader.partitionLeaderEpochOffset, as: Int32.self)
                }
            }
            try prefixes.withUnsafeBytes { pre in
                var parts: [UnsafeRawBufferPointer] = []
                parts.reserveCapacity(locations.count * 2)
                for (i, loc) in locations.enumerated() {
                    parts.append(UnsafeRawBufferPointer(rebasing: pre[i * prefixSize ..< (i + 1) * prefixSize]))
                    parts.append(UnsafeRawBufferPointer(rebasing: src[loc.position + prefixSize ..< loc.range.upperBound]))
                }
                try activeSegment.append(parts: parts, batches: headers)
            }
        }
    }

    // MARK: Read

    /// Reads whole batches starting with the one that contains `offset`.
    ///
    /// Returns at least one batch when any exists below `upTo` (even if larger than maxBytes,
    /// as Kafka does so consumers always make progress), then further batches while they fit.
    /// `upTo` (exclusive, e.g. the high watermark) defaults to the log end offset.
    /// Throws `offsetOutOfRange` below the log start offset or above the log end offset, and
    /// `corruptBatch` (CORRUPT_MESSAGE, as Kafka's log throws `CorruptRecordException`) when the
    /// bytes where a batch below the end must start are not one: a read never ends silently
    /// before the data it was asked for. A fetch at or past `upTo` is the end, not damage.
    public func read(from offset: Int64, maxBytes: Int, upTo: Int64? = nil) throws -> FetchData {
        beforeRead?()
        return try reading {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let leo = activeSegment.nextOffset
            guard offset >= _logStartOffset, offset <= leo else {
                throw StorageError.offsetOutOfRange(requested: offset, logStartOffset: _logStartOffset, logEndOffset: leo)
            }
            let bound = min(upTo ?? leo, leo)
            var result = FetchData(bytes: [], logStartOffset: _logStartOffset, logEndOffset: leo, highWatermark: _highWatermark)
            guard offset < bound else { return result }
            var i = segmentIndex(for: offset)
            while i < segmentList.count {
                let bytes = try segmentList[i].read(offset: offset, maxBytes: maxBytes, maxOffset: bound)
                if !bytes.isEmpty {
                    result.bytes = bytes
                    break
                }
                i += 1 // offset fell in a gap left by compaction: continue in the next segment
            }
            return result
        }
    }

    /// What `read` returns, as `FileRecords`: a range of one segment's file, for the network
    /// server to send without copying (sendfile); nil when `read` would return no bytes. Only
    /// batch headers are read here. Throws as `read` does.
    public func readFileRecords(from offset: Int64, maxBytes: Int, upTo: Int64? = nil) throws -> FileRecords? {
        try reading { () throws -> FileRecords? in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let leo = activeSegment.nextOffset
            guard offset >= _logStartOffset, offset <= leo else {
                throw StorageError.offsetOutOfRange(requested: offset, logStartOffset: _logStartOffset, logEndOffset: leo)
            }
            let bound = min(upTo ?? leo, leo)
            guard offset < bound else { return nil }
            var i = segmentIndex(for: offset)
            while i < segmentList.count {
                if let range = try segmentList[i].slice(offset: offset, maxBytes: maxBytes, maxOffset: bound) {
                    return FileRecords(file: try segmentList[i].openLogFile(), position: range.position, count: range.count,
                                       nextOffset: range.nextOffset)
                }
                i += 1 // offset fell in a gap left by compaction: continue in the next segment
            }
            return nil
        }
    }

    /// Index of the segment that would hold `offset`: the last one whose base offset ≤ offset.
    func segmentIndex(for offset: Int64) -> Int {
        var lo = 0, hi = segmentList.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if segmentList[mid].baseOffset <= offset { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }

    /// The first offset whose record timestamp is ≥ `timestamp`, with that timestamp
    /// (ListOffsets by timestamp). Nil when every record is older.
    public func offset(forTimestamp timestamp: Int64) throws -> (offset: Int64, timestamp: Int64)? {
        try reading { () throws -> (offset: Int64, timestamp: Int64)? in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            for seg in segmentList where seg.maxTimestamp >= timestamp {
                let hint = seg.timeIndex.lastIndex(where: { $0.timestamp < timestamp }).map { seg.timeIndex.entries[$0] }
                let from = max(_logStartOffset, seg.baseOffset + Int64(hint?.relativeOffset ?? 0))
                guard let (start, _) = try seg.locate(offset: from) else { continue }
                var answer: (Int64, Int64)?
                try seg.scanBatches(from: start) { pos, h in
                    guard h.maxTimestamp >= timestamp else { return true }
                    let bytes = try seg.log.read(at: pos, count: h.totalSize)
                    let batch = try RecordBatch(bytes: bytes)
                    for r in try batch.records() where r.offset >= _logStartOffset && r.timestamp >= timestamp {
                        answer = (r.offset, r.timestamp)
                        return false
                    }
                    return true
                }
                if let answer { return answer }
            }
            return nil
        }
    }

    // MARK: High watermark

    /// Moves the high watermark forward (never back), capped at the log end offset.
    @discardableResult
    public func maybeIncrementHighWatermark(_ hw: Int64) -> Bool {
        // Without the log's lock: capped by the published log end, which an append in progress
        // has not moved yet, so the high watermark never passes what is written.
        publishedLock.withLock {
            let capped = min(hw, published.logEndOffset)
            guard capped > published.highWatermark else { return false }
            published.highWatermark = capped
            return true
        }
    }

    // MARK: Roll and flush

    /// Starts a new active segment at the log end offset (no-op when the active one is empty).
    public func roll() throws {
        try locked {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            try rollLocked(now: clock.nowMs())
        }
    }

    /// Closes the active segment for appends, opens the next, and fsyncs the old one in the
    /// background; once durable, the recovery point moves up to the new segment's base offset.
    ///
    /// - Parameter baseOffset: base offset of the new segment (default: the log end offset). A
    ///   follower passes the first offset it is about to append, which may lie beyond the end
    ///   when the leader's log has a gap (Kafka rolls at the append's first offset). An empty
    ///   active segment is then replaced rather than rolled.
    func rollLocked(now: Int64, baseOffset: Int64? = nil) throws {
        let old = activeSegment
        let base = max(baseOffset ?? old.nextOffset, old.nextOffset)
        guard old.size > 0 else {
            guard base != old.baseOffset else { return }
            try old.delete()
            segmentList[segmentList.count - 1] = try LogSegment(directory: directory, baseOffset: base, config: _config, nowMs: now)
            try FileSystem.syncDirectory(directory)
            return
        }
        old.onBecomeInactive()
        // The old segment's indexes are written and fsynced in the background, from copies
        // (they are values), so an append never waits on an fsync here. Until the recovery point
        // passes the segment, recovery does not trust them anyway.
        let indexes = (old.offsetIndex, old.timeIndex)
        let txnIndexPath = old.txnIndex.path
        // The recovery point will move to the new base without the lock held throughout: make
        // the leader epoch checkpoint cover everything below it now.
        try persistEpochCacheIfDirtyLocked()
        let seg = try LogSegment(directory: directory, baseOffset: base, config: _config, nowMs: now)
        segmentList.append(seg)
        let newBase = seg.baseOffset
        scheduleProducerSnapshotLocked(offset: newBase)
        flusher.async { [weak self] in
            guard let self else { return }
            do {
                // Skip a segment already deleted or truncated away (its index would be stale).
                guard self.reading({ !self.closed && self.segmentList.contains { $0 === old } && old.size > 0 }) else { return }
                var (offsetIndex, timeIndex) = indexes
                try offsetIndex.persist()
                try timeIndex.persist()
                // Written as it changed (see `TransactionIndex`): only the fsync is left.
                try TransactionIndex.sync(path: txnIndexPath)
                try old.syncLogIndependently()
                let moved = self.locked { () -> Bool in
                    guard !self.closed, newBase > self._recoveryPoint,
                          self.segmentList.contains(where: { $0 === seg }) else { return false }
                    self._recoveryPoint = newBase
                    return true
                }
                if moved { self.onCheckpointNeeded?() }
            } catch {
                self.logger.error("fsync of rolled segment failed", metadata: ["log": "\(self.topicPartition)", "error": "\(error)"])
            }
        }
    }

    /// fsyncs everything appended so far and advances the recovery point to the log end offset.
    public func flush() throws {
        beforeSync?()
        try locked {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            try flushLocked()
        }
        onCheckpointNeeded?()
    }

    /// fsyncs every record appended so far without holding the log lock across the fsync, so
    /// that appends go on meanwhile (each segment through a descriptor of its own, see
    /// `LogSegment.syncLogIndependently`). The recovery point moves only when the active
    /// segment was the one segment above it: a rolled segment's indexes are written by the
    /// roll's background flush, which moves the recovery point past it itself.
    public func syncWritten() throws {
        beforeSync?()
        let (segments, end) = try reading { () throws -> ([LogSegment], Int64) in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            return (segmentList.filter { $0.nextOffset > _recoveryPoint || $0 === activeSegment }, activeSegment.nextOffset)
        }
        for segment in segments { try segment.syncLogIndependently() }
        guard segments.count == 1 else { return }
        try locked {
            guard !closed, activeSegment === segments[0], end > _recoveryPoint else { return }
            try persistEpochCacheIfDirtyLocked()
            _recoveryPoint = end
        }
    }

    func flushLocked() throws {
        for seg in segmentList where seg.nextOffset > _recoveryPoint || seg === activeSegment {
            try seg.persistIndexes()
            try seg.syncLog()
        }
        try persistEpochCacheIfDirtyLocked()
        _recoveryPoint = activeSegment.nextOffset
        unflushedRecords = 0
        lastFlushMs = clock.nowMs()
    }

    /// Counts `recordCount` appended records toward flush.messages and flushes once they reach
    /// it. Returns whether it flushed: the caller then calls `onCheckpointNeeded` outside the lock.
    func maybeFlushAfterAppendLocked(recordCount: Int, config: LogConfig) throws -> Bool {
        unflushedRecords += Int64(recordCount)
        guard unflushedRecords >= config.flushMessages else { return false }
        try flushLocked()
        return true
    }

    /// Flushes if flush.ms has passed since the last flush and there is unflushed data.
    @discardableResult
    public func maybeFlushOnTime() throws -> Bool {
        let due = reading { !closed && unflushedRecords > 0 && clock.nowMs() - lastFlushMs >= _config.flushMs }
        guard due else { return false }
        try flush()
        return true
    }

    /// Waits until background fsyncs of rolled segments have finished (for tests and shutdown).
    public func awaitBackgroundFlushes() { flusher.sync {} }

    // MARK: Close

    /// Flushes and closes every segment. Further calls fail with `logClosed`.
    public func close() throws {
        beforeSync?()
        flusher.sync {}
        try locked {
            guard !closed else { return }
            activeSegment.onBecomeInactive()
            try flushLocked()
            writeProducerSnapshotOnCloseLocked()
            for s in segmentList { s.close() }
            closed = true
        }
    }

    /// Closes without flushing, as a crash would (for tests and simulations).
    public func closeWithoutFlush() {
        flusher.sync {}
        locked {
            for s in segmentList { s.close() }
            closed = true
        }
    }
}
