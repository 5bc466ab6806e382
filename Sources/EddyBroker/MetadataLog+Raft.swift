import EddyProtocol
import EddyRaft
import EddyStorage

/// A metadata log as one replica of the controller quorum's log: what a `RaftNode`'s actions
/// do to it (append as leader or follower, truncate, commit up to the high watermark, install a
/// snapshot fetched from the leader) and what the leader reads from it for its followers.
///
/// Batches keep their Raft leader's epoch as their partitionLeaderEpoch, so the log's leader
/// epoch cache is the Raft epoch history (`raftLogState`). A replica's `image` is its committed
/// metadata: only records below the quorum's high watermark; `latestImage` has every record
/// in the log, and `uncommitted` the image after each batch above the high watermark, so that a
/// commit publishes an exact prefix and a truncation goes back to one.
///
/// Invariants: `image.offset < ` the high watermark `<= latestImage.offset + 1` (control
/// batches aside); a truncation never goes below the committed image (Raft never truncates a
/// committed record; one that would is refused as corrupt metadata).
extension MetadataLog {
    /// The log's shape for its `RaftNode`.
    public var raftLogState: RaftLogState {
        let start = log.logStartOffset, end = log.logEndOffset
        let snapshot = latestSnapshot.map { OffsetAndEpoch(offset: $0.endOffset, epoch: $0.epoch) }
        var epochs: [RaftLogState.EpochEntry] = []
        for entry in log.leaderEpochEntries where entry.startOffset < end {
            let startOffset = max(entry.startOffset, start)
            if let last = epochs.last, last.startOffset == startOffset { epochs.removeLast() }
            epochs.append(RaftLogState.EpochEntry(epoch: entry.epoch, startOffset: startOffset))
        }
        let startEpoch: Int32
        if start == 0 {
            startEpoch = 0
        } else if let snapshot, snapshot.offset == start {
            startEpoch = snapshot.epoch
        } else {
            startEpoch = recordEpoch(at: start - 1) ?? snapshot?.epoch ?? 0
        }
        return RaftLogState(startOffset: start, startEpoch: startEpoch, endOffset: end, epochs: epochs, snapshot: snapshot)
    }

    /// fsyncs the whole log (what a previous run wrote may still sit in the page cache only).
    public func syncAll() throws(BrokerError) {
        try BrokerError.storage { try log.flush() }
    }

    /// The epoch of the batch holding `offset`, from the leader epoch cache.
    func recordEpoch(at offset: Int64) -> Int32? {
        log.leaderEpochEntries.last { $0.startOffset <= offset }?.epoch
    }

    /// Checks that `records` apply to `latestImage` (as `write` would), and returns their values.
    public func prepare(_ records: [MetadataRecord]) throws(BrokerError) -> [[UInt8]] {
        try checkUsable()
        guard !records.isEmpty else { throw .invalidRequest("an empty metadata batch") }
        var next = latestImage
        for record in records { try next.apply(record) }
        return records.map { $0.encoded() }
    }

    /// Appends a batch the Raft leader (this replica) assigned offsets and epoch to: its values
    /// are encoded `MetadataRecord`s, or a control batch's value. Returns the batch with its
    /// stored bytes (`RaftBatch.encoded`).
    @discardableResult
    public func appendAsLeader(_ batch: RaftBatch) throws(BrokerError) -> RaftBatch {
        try checkUsable()
        var builder = RecordBatchBuilder(baseOffset: batch.baseOffset, partitionLeaderEpoch: batch.epoch,
                                         attributes: RecordBatchAttributes(isControl: batch.isControl),
                                         capacity: batch.records.reduce(128) { $0 + $1.count + 32 })
        let now = clock.nowMs()
        for value in batch.records {
            builder.append(timestamp: now, key: batch.isControl ? MetadataLog.leaderChangeKey : nil, value: value)
        }
        var stored = batch
        stored.encoded = builder.build().bytes
        try appendAsFollower([stored])
        return stored
    }

    /// Appends batches fetched from the Raft leader, byte for byte (`RaftBatch.encoded`), and
    /// applies their records to `latestImage`. Nothing is appended if one does not continue the
    /// log or does not decode and apply.
    public func appendAsFollower(_ batches: [RaftBatch]) throws(BrokerError) {
        try checkUsable()
        var next = latestImage
        var pending: [PendingCommit] = []
        var bytes: [UInt8] = []
        var expected = log.logEndOffset
        var timestamp = lastAppendTimestamp
        var applied = 0
        for raftBatch in batches {
            guard let encoded = raftBatch.encoded else { throw .corruptMetadata("metadata batch at \(raftBatch.baseOffset) without its bytes") }
            let batch: RecordBatch
            let records: [Record]
            do {
                batch = try RecordBatch(bytes: encoded)
                records = try batch.records()
            } catch { throw .corruptMetadata("metadata batch at \(raftBatch.baseOffset): \(error)") }
            guard batch.header.baseOffset == expected, batch.header.partitionLeaderEpoch == raftBatch.epoch,
                  batch.header.nextOffset == raftBatch.nextOffset else {
                throw .corruptMetadata("metadata batch \(batch.header.baseOffset)..<\(batch.header.nextOffset) epoch \(batch.header.partitionLeaderEpoch) does not continue the log at \(expected)")
            }
            expected = batch.header.nextOffset
            bytes += encoded
            if batch.header.attributes.isControl { continue }
            for record in records {
                try next.apply(MetadataLog.metadataRecord(record), offset: record.offset)
                applied += 1
            }
            timestamp = batch.header.maxTimestamp
            pending.append(PendingCommit(image: next, timestamp: timestamp))
        }
        guard !bytes.isEmpty else { return }
        _ = try appending { try log.appendAsFollower(bytes) }
        latestImage = next
        uncommitted += pending
        lastAppendTimestamp = timestamp
        recordsSinceSnapshot += applied
        bytesSinceSnapshot += bytes.count
    }

    /// Removes every record at or above `offset` (a divergence from the Raft leader's log).
    /// - Throws: `.corruptMetadata` if that would remove committed metadata.
    public func truncate(to offset: Int64) throws(BrokerError) {
        try checkUsable()
        guard offset > image.offset else {
            throw .corruptMetadata("truncating the metadata log to \(offset) would remove committed metadata (committed through \(image.offset))")
        }
        try BrokerError.storage { try log.truncate(to: offset) }
        uncommitted.removeAll { $0.offset >= offset }
        latestImage = uncommitted.last?.image ?? image
        lastAppendTimestamp = uncommitted.last?.timestamp ?? committedTimestamp
    }

    /// The Raft high watermark reached `highWatermark`: publishes the image of every batch
    /// below it. Returns whether the committed image changed.
    @discardableResult
    public func commit(below highWatermark: Int64) -> Bool {
        guard failure == nil, let index = uncommitted.lastIndex(where: { $0.offset < highWatermark }) else {
            log.maybeIncrementHighWatermark(min(highWatermark, log.logEndOffset))
            return false
        }
        let pending = uncommitted[index]
        uncommitted.removeFirst(index + 1)
        markCommitted(pending)
        log.maybeIncrementHighWatermark(min(highWatermark, log.logEndOffset))
        return true
    }

    /// Batches from `offset` on, at most about `maxBytes` (at least one batch), for a follower.
    public func raftBatches(from offset: Int64, maxBytes: Int) throws(BrokerError) -> [RaftBatch] {
        let data = try BrokerError.storage { try log.read(from: offset, maxBytes: maxBytes) }
        let locations: [MemoryRecords.BatchLocation]
        do { locations = try MemoryRecords.batches(in: data.bytes) } catch {
            throw .corruptMetadata("metadata log at offset \(offset): \(error)")
        }
        var batches: [RaftBatch] = []
        for location in locations where location.header.nextOffset > offset {
            let bytes = Array(data.bytes[location.range])
            let values: [[UInt8]]
            do { values = try RecordBatch(bytes: bytes).records().map { $0.value ?? [] } } catch {
                throw .corruptMetadata("metadata batch at \(location.header.baseOffset): \(error)")
            }
            guard location.header.baseOffset >= offset else {
                throw .corruptMetadata("metadata fetch from \(offset) inside the batch at \(location.header.baseOffset)")
            }
            batches.append(RaftBatch(baseOffset: location.header.baseOffset, epoch: location.header.partitionLeaderEpoch,
                                     records: values.isEmpty ? [[]] : values, isControl: location.header.attributes.isControl,
                                     encoded: bytes))
        }
        return batches
    }

    /// The bytes of snapshot `id`'s file, nil if it is not (or no longer) there.
    public func snapshotBytes(_ id: OffsetAndEpoch) -> [UInt8]? {
        try? Disk.readAll(Disk.join(directory, MetadataSnapshot.fileName(endOffset: id.offset, epoch: id.epoch)))
    }

    /// Installs a snapshot fetched from the Raft leader: validates it, writes its file
    /// atomically, makes it the committed and the latest image and restarts the log just after
    /// it. Nothing changes if it does not validate.
    public func installSnapshot(_ id: OffsetAndEpoch, bytes: [UInt8]) throws(BrokerError) {
        try checkUsable()
        let snapshot = try MetadataSnapshot(decoding: bytes, endOffset: id.offset, epoch: id.epoch)
        let installed = try snapshot.image()
        let path = Disk.join(directory, MetadataSnapshot.fileName(endOffset: id.offset, epoch: id.epoch))
        try Disk.writeAtomically(path, bytes, temporaryPath: path + ".part")
        try BrokerError.storage { try log.truncateFully(startingAt: id.offset) }
        try adoptSnapshot(snapshot, image: installed)
    }

    /// The key of the control record a Raft leader writes first in its epoch (Kafka's
    /// LEADER_CHANGE control type, 2).
    static let leaderChangeKey: [UInt8] = [0, 0, 0, 2]
}
