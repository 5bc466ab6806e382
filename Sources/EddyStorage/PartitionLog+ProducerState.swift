import EddyProtocol
import Foundation
import Logging

/// The partition log's idempotent-producer state (Kafka's `ProducerStateManager` as
/// `UnifiedLog` drives it). `producerState` always describes exactly the idempotent batches
/// in the log, whatever the origin:
///
/// - leader append (`append`): `check` per batch against a working copy, then `update` with
///   the assigned offsets once the batches are written;
/// - follower append (`appendAsFollower`): `update` without checks (the leader's log is the truth);
/// - opening: the newest snapshot at or below the log end offset, then the batch headers from
///   its offset to the log end replayed (`replay`); headers of segments that recovery scanned
///   anyway are collected during that scan, so a crash-reopen reads nothing twice;
/// - tail truncation: snapshots above the new end are deleted and the state is reloaded from
///   the newest remaining one plus the log after it, which also restores batches of a previous
///   epoch (Kafka's `truncateAndReload`); skipped when no remembered batch was cut off;
/// - head truncation (retention, DeleteRecords): `truncateHead`, and snapshots below the log
///   start offset are deleted;
/// - `removeExpiredProducers`, called by `LogManager.runMaintenance`.
///
/// Snapshot files (`<offset>.snapshot`, format in `ProducerState+Snapshot.swift`) are written
/// atomically (`.tmp`, fsync, rename, fsync the directory):
/// - on every segment roll, at the new segment's base offset, encoded under the lock and
///   written by the background flusher (so a roll never waits for an fsync), even when no
///   producer is known, so that reopening never scans below the last roll;
/// - on a clean close, at the log end offset (skipped when an identical one exists), so a clean
///   open reads one file and scans nothing.
///
/// Retention of snapshot files: the two newest, plus the newest at or below the recovery point
/// (the one a power loss cannot invalidate, since data below the recovery point is fsynced), so
/// at most three files. A snapshot above the recovered log end on open (its data was lost) and
/// one that fails to decode are deleted.
extension PartitionLog {
    // MARK: Public view

    /// A copy of the current producer state (for tests and describe tools).
    public var producerStateSnapshot: ProducerState { reading { producerState } }

    /// The state of one producer id in this partition, nil when none is remembered.
    public func producerEntry(_ producerId: Int64) -> ProducerStateEntry? {
        reading { producerState.entry(for: producerId) }
    }

    /// Forgets producers whose newest batch timestamp is `producerIdExpirationMs` or more before
    /// `nowMs` (Kafka's producer.id.expiration.ms). Returns the removed producer ids, ascending;
    /// none on a closed log.
    @discardableResult
    public func removeExpiredProducers(nowMs: Int64,
                                       producerIdExpirationMs: Int64 = ProducerState.defaultProducerIdExpirationMs) -> [Int64] {
        locked {
            guard !closed else { return [] }
            let removed = producerState.removeExpiredProducers(nowMs: nowMs, producerIdExpirationMs: producerIdExpirationMs)
            if !removed.isEmpty { producerSnapshotInSync = nil }
            return removed
        }
    }

    // MARK: Appends

    /// Checks a leader append's idempotent batches (`batches`, in request order, with the
    /// offsets about to be assigned) out of the request's `batchCount`. Returns nil when they
    /// may be written, or the result to return for a request that is wholly a retry.
    func checkProducerBatchesLocked(_ batches: [ProducerBatch], batchCount: Int, origin: AppendOrigin,
                                    usesLogAppendTime: Bool) throws -> LogAppendInfo? {
        func verdict(_ state: ProducerState, _ b: ProducerBatch) throws -> ProducerBatchMetadata? {
            let result: ProducerAppendCheck
            do {
                switch origin {
                case .client: result = try state.check(b)
                case .coordinator:
                    try state.checkEpoch(b)
                    result = .append
                }
            } catch { throw StorageError.producer(error) }
            guard case .duplicate = result else { return nil }
            return state.entry(for: b.producerId)?.duplicate(epoch: b.producerEpoch, firstSequence: b.firstSequence,
                                                             lastSequence: b.lastSequence)
        }
        var duplicates: [ProducerBatchMetadata] = []
        if batches.count == 1 {
            if let dup = try verdict(producerState, batches[0]) { duplicates.append(dup) }
        } else {
            // Later batches of a producer are checked against its earlier ones in the request.
            var working = ProducerState()
            for b in batches {
                if working.entry(for: b.producerId) == nil, let e = producerState.entry(for: b.producerId) {
                    working.setEntry(e)
                }
                if let dup = try verdict(working, b) { duplicates.append(dup) } else { working.update(with: b) }
            }
        }
        guard let first = duplicates.first, let last = duplicates.last else { return nil }
        guard duplicates.count == batchCount else {
            throw StorageError.recordRejected("a produce request to \(topicPartition) mixes retried idempotent batches with new ones")
        }
        let maxTimestamp = duplicates.map(\.timestamp).max() ?? -1
        return LogAppendInfo(firstOffset: first.firstOffset, lastOffset: last.lastOffset, maxTimestamp: maxTimestamp,
                             logAppendTime: usesLogAppendTime ? maxTimestamp : -1, recordCount: 0, batchCount: 0,
                             validBytes: 0, isDuplicate: true)
    }

    /// Records written idempotent batches (with their final offsets), in log order, unchecked.
    func updateProducerStateLocked(_ batches: [ProducerBatch]) {
        for b in batches { producerState.update(with: b) }
        producerSnapshotInSync = nil
    }

    // MARK: Truncation

    /// After the tail was truncated to the current log end offset: deletes the snapshots above
    /// it (durably, before anything can be appended past them again) and reloads the state.
    func producerStateTruncatedLocked() throws {
        let end = activeSegment.nextOffset
        producerStateGeneration &+= 1
        unreplicatedTransactions.removeAll { $0.lastOffset >= end }
        let stale = producerSnapshotOffsets.filter { $0 > end }
        if !stale.isEmpty {
            try deleteProducerSnapshotsLocked(stale)
            try FileSystem.syncDirectory(directory)
        }
        // Nothing remembered was cut off: reloading would give the same state. A cut marker
        // reopens its transaction, and a cut open transaction's batch closes it: both reload.
        guard producerState.producers.values.contains(where: { $0.lastKnownOffset >= end || ($0.currentTxnFirstOffset ?? -1) >= end })
        else { return }
        try reloadProducerStateLocked(end: end, rebuildingTxnIndexFrom: nil, scanned: [:])
        producerSnapshotInSync = nil
    }

    /// Rebuilds `producerState` from the newest snapshot at or below `end` (and at or below
    /// `rebuildFrom`) plus the batches after it. When markers lie between the high watermark
    /// and that bound, the snapshot is taken at or below the high watermark instead, so that
    /// the transactions those markers ended are seen ending again (they hold the last stable
    /// offset back until the high watermark passes their markers). Markers at or after
    /// `rebuildFrom` go into their segments' transaction indexes (emptied by recovery), which
    /// are then written. Returns the snapshot's offset, nil when none was usable.
    @discardableResult
    func reloadProducerStateLocked(end: Int64, rebuildingTxnIndexFrom rebuildFrom: Int64?,
                                   scanned: [Int64: [ProducerBatch]]) throws -> (offset: Int64, state: ProducerState)? {
        let hw = _highWatermark
        var bound = min(end, rebuildFrom ?? end)
        if bound > hw, try hasControlBatchesLocked(from: hw, below: bound) { bound = hw }
        var state = ProducerState()
        var from = Int64.min
        let loaded = readNewestProducerSnapshotLocked(atOrBelow: bound)
        if let (offset, snapshot) = loaded {
            state = snapshot
            from = offset
        }
        var unreplicated: [CompletedTransaction] = []
        if from < end {
            try replayProducerBatchesLocked(into: &state, from: from, scanned: scanned) { completed, lso, segment in
                if let rebuildFrom, completed.aborted, completed.lastOffset >= rebuildFrom {
                    try segment.txnIndex.append(AbortedTxnEntry(producerId: completed.producerId, firstOffset: completed.firstOffset,
                                                            lastOffset: completed.lastOffset, lastStableOffset: lso))
                }
                if completed.lastOffset >= hw { unreplicated.append(completed) }
            }
        }
        if let rebuildFrom {
            for seg in segmentList where seg.nextOffset > rebuildFrom { try seg.txnIndex.sync() }
        }
        state.truncateHead(logStartOffset: _logStartOffset)
        producerState = state
        unreplicatedTransactions = unreplicated
        return loaded
    }

    /// When the log is emptied and restarted (`truncateFully`): no producer, no snapshot. Call
    /// before the directory is fsynced.
    func producerStateClearedLocked() throws {
        producerStateGeneration &+= 1
        producerState = ProducerState()
        unreplicatedTransactions.removeAll()
        producerSnapshotInSync = nil
        try deleteProducerSnapshotsLocked(producerSnapshotOffsets)
    }

    /// After the log start offset moved up: forgets producers wholly below it and deletes the
    /// snapshots below it.
    func producerStateHeadTruncatedLocked() {
        let before = producerState.producers.count
        producerState.truncateHead(logStartOffset: _logStartOffset)
        if producerState.producers.count != before { producerSnapshotInSync = nil }
        // Below the log start they are never loaded again without truncateHead undoing them.
        deleteObsoleteProducerSnapshotsLocked(producerSnapshotOffsets.filter { $0 < _logStartOffset })
    }

    // MARK: Cleaning

    /// Every remembered producer's last batch, which compaction keeps (at least as an empty
    /// header) so that the producer's state can be rebuilt from the log.
    func activeProducersLocked() -> [Int64: ProducerLastRecord] {
        producerState.producers.mapValues {
            ProducerLastRecord(lastDataOffset: $0.lastOffset >= 0 ? $0.lastOffset : nil, producerEpoch: $0.producerEpoch,
                               lastMarkerOffset: $0.lastMarkerOffset >= 0 ? $0.lastMarkerOffset : nil)
        }
    }

    // MARK: Opening

    /// Builds the producer state once `load` settled the segments and offsets. `names` lists
    /// the directory; `scanned` holds, per base offset of each segment that recovery scanned,
    /// the idempotent batches it saw (possibly past a later overlap truncation: they are
    /// filtered by the segment's final end). Segments with transaction markers are not in
    /// `scanned`: their markers are read again. The transaction indexes of the segments from
    /// `rebuildingTxnIndexFrom` on (those recovery scanned, which emptied them) are rebuilt from
    /// their markers.
    func loadProducerState(names: [String], scanned: [Int64: [ProducerBatch]], rebuildingTxnIndexFrom rebuildFrom: Int64?) throws {
        let end = activeSegment.nextOffset
        var offsets = names.compactMap { ProducerState.snapshotOffset(fileName: $0) }.sorted()
        for offset in offsets where offset > end {
            logger.info("deleting producer state snapshot above the log end",
                        metadata: ["log": "\(topicPartition)", "snapshot": "\(offset)", "logEndOffset": "\(end)"])
            try FileSystem.remove(producerSnapshotPath(offset))
        }
        offsets.removeAll { $0 > end }
        producerSnapshotOffsets = offsets
        let loaded = try reloadProducerStateLocked(end: end, rebuildingTxnIndexFrom: rebuildFrom, scanned: scanned)
        producerSnapshotInSync = loaded.map { $0.offset == end && $0.state == producerState } == true ? end : nil
        pruneProducerSnapshotsLocked()
    }

    /// The newest snapshot at or below `offset` that decodes; the ones that do not are logged
    /// and deleted.
    func readNewestProducerSnapshotLocked(atOrBelow offset: Int64) -> (offset: Int64, state: ProducerState)? {
        for candidate in producerSnapshotOffsets.reversed() where candidate <= offset {
            let path = producerSnapshotPath(candidate)
            do {
                let (stored, state) = try ProducerState.decodeSnapshot(try FileSystem.readAll(path))
                guard stored == candidate else {
                    throw ProducerStateError.corruptSnapshot("holds offset \(stored) but is named for \(candidate)")
                }
                return (candidate, state)
            } catch {
                logger.warning("ignoring unreadable producer state snapshot",
                               metadata: ["log": "\(topicPartition)", "snapshot": "\(candidate)", "error": "\(error)"])
                deleteObsoleteProducerSnapshotsLocked([candidate])
            }
        }
        return nil
    }

    /// Whether a control batch starts in `[from, bound)` (a scan of the batch headers there).
    func hasControlBatchesLocked(from: Int64, below bound: Int64) throws -> Bool {
        var found = false
        for seg in segmentList where seg.nextOffset > from && seg.baseOffset < bound && seg.size > 0 {
            var start: Int64 = 0
            if seg.baseOffset < from {
                guard let (position, _) = try seg.locate(offset: from) else { continue }
                start = position
            }
            try seg.scanBatches(from: start) { _, h in
                guard h.baseOffset < bound else { return false }
                if h.attributes.isControl, h.lastOffset >= from { found = true }
                return !found
            }
            if found { return true }
        }
        return false
    }

    /// Replays into `state` every idempotent batch and transaction marker whose last offset is
    /// ≥ `from`, in log order: from `scanned` for the segments it covers (which hold no
    /// markers), else from the segments' batch headers, reading the record of each control
    /// batch. `onCompleted` sees each transaction a marker ends, with the last stable offset
    /// right after it and the marker's segment. A control batch that does not parse is skipped
    /// and logged: it was validated (CRC) when written, so only a marker of a type this version
    /// does not know gets there.
    func replayProducerBatchesLocked(into state: inout ProducerState, from: Int64, scanned: [Int64: [ProducerBatch]] = [:],
                                     onCompleted: (CompletedTransaction, Int64, LogSegment) throws -> Void = { _, _, _ in }) throws {
        for seg in segmentList where seg.nextOffset > from && seg.size > 0 {
            if let batches = scanned[seg.baseOffset] {
                for b in batches where b.lastOffset >= from && b.lastOffset < seg.nextOffset { state.update(with: b) }
                continue
            }
            var start: Int64 = 0
            if seg.baseOffset < from {
                guard let (position, _) = try seg.locate(offset: from) else { continue }
                start = position
            }
            try seg.scanBatches(from: start) { position, h in
                guard h.lastOffset >= from else { return true }
                guard h.attributes.isControl else {
                    state.replay(h)
                    return true
                }
                let marker: ProducerMarker?
                do {
                    marker = try ProducerMarker(RecordBatch(bytes: try seg.log.read(at: position, count: h.totalSize)))
                } catch {
                    marker = nil
                    logger.warning("skipping a control batch that does not parse",
                                   metadata: ["log": "\(topicPartition)", "offset": "\(h.baseOffset)", "error": "\(error)"])
                }
                if let marker {
                    let completed = state.apply(marker)
                    try onCompleted(completed, state.lastStableOffset(after: completed), seg)
                }
                return true
            }
        }
    }

    // MARK: Snapshot files

    func producerSnapshotPath(_ offset: Int64) -> String { directory + "/" + ProducerState.snapshotFileName(offset: offset) }

    /// At a roll to a segment based at `offset` (the state covers exactly the log below it):
    /// encodes the snapshot now and has the flusher write it.
    func scheduleProducerSnapshotLocked(offset: Int64) {
        let bytes = producerState.encodeSnapshot(offset: offset)
        let generation = producerStateGeneration
        flusher.async { [weak self] in self?.publishProducerSnapshot(bytes, offset: offset, generation: generation) }
    }

    /// Writes and fsyncs the `.tmp` file without the lock, then renames it into place under the
    /// lock unless the log was closed or truncated since the snapshot was encoded.
    private func publishProducerSnapshot(_ bytes: [UInt8], offset: Int64, generation: UInt64) {
        let path = producerSnapshotPath(offset)
        let tmp = path + ".tmp"
        guard reading({ !closed && producerStateGeneration == generation }) else { return }
        do {
            try FileSystem.writeSynced(tmp, bytes)
            let published = try locked { () throws -> Bool in
                guard !closed, producerStateGeneration == generation, activeSegment.nextOffset >= offset else { return false }
                try FileSystem.rename(tmp, path)
                insertProducerSnapshotOffsetLocked(offset)
                pruneProducerSnapshotsLocked()
                return true
            }
            if published { try FileSystem.syncDirectory(directory) } else { try FileSystem.remove(tmp) }
        } catch {
            try? FileSystem.remove(tmp)
            // A log closed or deleted meanwhile (its directory gone with it) needs no snapshot.
            let gone = reading { closed } || !FileSystem.exists(directory)
            logger.log(level: gone ? .debug : .error, "writing producer state snapshot failed",
                       metadata: ["log": "\(topicPartition)", "snapshot": "\(offset)", "error": "\(error)"])
        }
    }

    /// On a clean close, after the final flush: a snapshot at the log end offset, so that the
    /// next open scans nothing. A failure is logged only: opening rebuilds from the log.
    func writeProducerSnapshotOnCloseLocked() {
        let end = activeSegment.nextOffset
        guard producerSnapshotInSync != end || !producerSnapshotOffsets.contains(end) else { return }
        let path = producerSnapshotPath(end)
        do {
            try FileSystem.writeAtomically(path, producerState.encodeSnapshot(offset: end))
            insertProducerSnapshotOffsetLocked(end)
            producerSnapshotInSync = end
            pruneProducerSnapshotsLocked()
        } catch {
            logger.error("writing producer state snapshot failed",
                         metadata: ["log": "\(topicPartition)", "snapshot": "\(end)", "error": "\(error)"])
        }
    }

    private func insertProducerSnapshotOffsetLocked(_ offset: Int64) {
        guard !producerSnapshotOffsets.contains(offset) else { return }
        producerSnapshotOffsets.append(offset)
        producerSnapshotOffsets.sort()
    }

    /// Applies the retention rule: keeps the two newest snapshots and the newest at or below
    /// the recovery point.
    func pruneProducerSnapshotsLocked() {
        var keep = Set(producerSnapshotOffsets.suffix(2))
        if let durable = producerSnapshotOffsets.last(where: { $0 <= _recoveryPoint }) { keep.insert(durable) }
        deleteObsoleteProducerSnapshotsLocked(producerSnapshotOffsets.filter { !keep.contains($0) })
    }

    /// Removes these snapshot files. Tries every one; a file that could not be removed stays
    /// listed and the first failure is thrown at the end.
    func deleteProducerSnapshotsLocked(_ offsets: [Int64]) throws {
        guard !offsets.isEmpty else { return }
        var removed = Set<Int64>()
        var failure: (any Error)?
        for offset in offsets {
            do {
                try FileSystem.remove(producerSnapshotPath(offset))
                removed.insert(offset)
            } catch {
                failure = failure ?? error
            }
        }
        producerSnapshotOffsets.removeAll { removed.contains($0) }
        if producerSnapshotInSync.map(removed.contains) == true { producerSnapshotInSync = nil }
        if let failure { throw failure }
    }

    /// `deleteProducerSnapshotsLocked` for files whose survival is harmless (older than needed).
    private func deleteObsoleteProducerSnapshotsLocked(_ offsets: [Int64]) {
        do { try deleteProducerSnapshotsLocked(offsets) } catch {
            logger.warning("deleting an obsolete producer state snapshot failed",
                           metadata: ["log": "\(topicPartition)", "error": "\(error)"])
        }
    }
}
