import EddyProtocol
import Foundation
import Logging

extension PartitionLog {
    /// Opens the segments found on disk (Kafka's `LogLoader`).
    ///
    /// Recovery contract: after a crash at any moment the log reopens as a prefix of what was
    /// appended. Segments wholly below the recovery point were fsynced and are trusted (their
    /// indexes are sanity-checked and rebuilt if missing or corrupt). From the segment that holds
    /// the recovery point on, every batch is validated (header, CRC, increasing offsets); the first
    /// torn or corrupt batch and everything after it is truncated and logged.
    ///
    /// After a clean shutdown every segment is trusted, except the tail of the active (last)
    /// one: from its last offset index entry to the end of the file (at most index.interval.bytes
    /// plus one batch, see `LogSegment.recoverTail`) its batches are validated the same way, and
    /// whatever is not whole, valid batches is truncated and logged. Appends write at the end of
    /// the file and the log end offset comes from the batches, so bytes left there that are not
    /// batches (written after the close) would put new records past a point no read gets
    /// beyond: acknowledged records must stay readable. Damage further back in a trusted segment
    /// is not looked for when opening; a read that meets it below the log end throws
    /// `StorageError.corruptBatch` (CORRUPT_MESSAGE) instead of reading as the end of the data.
    ///
    /// The leader epoch cache comes from its checkpoint, with the entries for the scanned
    /// segments re-derived from their batches (see `PartitionLog+LeaderEpochs.swift`). The
    /// producer state comes from the newest snapshot plus the batches after it, the scanned
    /// segments' collected during their scan (see `PartitionLog+ProducerState.swift`).
    func load(recoveryPoint: Int64, logStartOffset: Int64?, hadCleanShutdown: Bool, highWatermark: Int64? = nil) throws {
        try removeLeftovers()
        let names = try FileSystem.list(directory)
        let bases = names.compactMap { LogSegment.baseOffset(fromFileName: $0, suffix: "log") }.sorted()
        // Index files without a log file are orphans from a deletion; drop them.
        for name in names {
            for suffix in LogSegment.fileKinds.dropFirst() {
                if let b = LogSegment.baseOffset(fromFileName: name, suffix: suffix), !bases.contains(b) {
                    try FileSystem.remove(directory + "/" + name)
                }
            }
        }
        let now = clock.nowMs()
        var loaded: [LogSegment] = []
        for base in bases {
            loaded.append(try LogSegment(directory: directory, baseOffset: base, config: _config, nowMs: now))
        }
        // The first segment that may hold unflushed data: the one containing the recovery point.
        let firstUnflushed = hadCleanShutdown ? loaded.count
            : (loaded.lastIndex(where: { $0.baseOffset <= recoveryPoint }) ?? 0)
        let epochCheckpoint = readEpochCheckpoint()
        var epochs = epochCheckpoint.cache
        var kept: [LogSegment] = []
        // Idempotent batches seen by the scans, per segment base offset, for the producer state.
        var scannedProducerBatches: [Int64: [ProducerBatch]] = [:]
        // The first segment whose transaction index a scan emptied (to be rebuilt from markers).
        var rebuildTxnIndexFrom: Int64?
        for (i, seg) in loaded.enumerated() {
            var producerBatches: [ProducerBatch] = []
            // A segment with transaction markers is replayed from disk (its markers' records).
            var hasMarkers = false
            if i < firstUnflushed {
                if try !seg.loadTrusted(config: _config) {
                    logger.warning("rebuilding index", metadata: ["log": "\(topicPartition)", "segment": "\(seg.baseOffset)"])
                    let cut = try seg.recover(contiguous: !mayHaveOffsetGaps) { h in
                        if h.attributes.isControl { hasMarkers = true }
                        if let b = ProducerBatch(h) { producerBatches.append(b) }
                    }
                    rebuildTxnIndexFrom = rebuildTxnIndexFrom ?? seg.baseOffset
                    if !hasMarkers { scannedProducerBatches[seg.baseOffset] = producerBatches }
                    if cut > 0 { logTruncation(seg, cut) }
                    try seg.persistIndexes()
                } else if i == loaded.count - 1 {
                    // The active segment after a clean shutdown (the unclean path scans it whole).
                    // The leader epochs and the producer state past a truncated tail are trimmed
                    // to the log end below.
                    let cut = try seg.recoverTail(contiguous: !mayHaveOffsetGaps)
                    if cut > 0 {
                        logTruncation(seg, cut)
                        try seg.persistIndexes()
                    }
                }
            } else {
                // The checkpoint may be stale from here on; the batches are the truth.
                if i == firstUnflushed { epochs?.truncateFromEnd(seg.baseOffset) }
                let cut = try seg.recover(contiguous: !mayHaveOffsetGaps) { h in
                    _ = epochs?.assign(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset)
                    if h.attributes.isControl { hasMarkers = true }
                    if let b = ProducerBatch(h) { producerBatches.append(b) }
                }
                rebuildTxnIndexFrom = rebuildTxnIndexFrom ?? seg.baseOffset
                if !hasMarkers { scannedProducerBatches[seg.baseOffset] = producerBatches }
                if cut > 0 {
                    logTruncation(seg, cut)
                    kept.append(seg)
                    // Everything after a torn write is unflushed garbage.
                    for later in loaded[(i + 1)...] {
                        logger.warning("deleting segment after a corrupt batch",
                                       metadata: ["log": "\(topicPartition)", "segment": "\(later.baseOffset)", "bytes": "\(later.size)"])
                        try later.delete()
                    }
                    break
                }
            }
            kept.append(seg)
        }
        // Drop empty non-last segments left behind by truncation, keep order consistent.
        kept = try dropOverlaps(kept)
        if kept.isEmpty {
            kept = [try LogSegment(directory: directory, baseOffset: max(0, logStartOffset ?? 0), config: _config, nowMs: now)]
        }
        segmentList = kept
        let leo = activeSegment.nextOffset
        _logStartOffset = min(max(logStartOffset ?? kept[0].baseOffset, kept[0].baseOffset), leo)
        let start = _logStartOffset
        updateHighWatermark { _ in min(max(highWatermark ?? start, start), leo) }
        // After a crash the recovered tail was validated but is not known to be on disk (it may
        // sit in the page cache only), so the recovery point stays where the checkpoint had it:
        // a second crash simply rescans the same segments. No fsync is needed to open.
        _recoveryPoint = hadCleanShutdown ? leo : min(recoveryPoint, leo)
        try finishLoadingEpochCache(epochs, fileBytes: epochCheckpoint.bytes)
        try loadProducerState(names: names, scanned: scannedProducerBatches, rebuildingTxnIndexFrom: rebuildTxnIndexFrom)
    }

    private func logTruncation(_ seg: LogSegment, _ bytes: Int64) {
        logger.warning("truncated corrupt or incomplete tail",
                       metadata: ["log": "\(topicPartition)", "segment": "\(seg.baseOffset)", "bytes": "\(bytes)",
                                  "nextOffset": "\(seg.nextOffset)"])
    }

    /// Segments must not overlap: a segment ending past the next one's base offset (possible
    /// only after an interrupted operation) is truncated there. Empty segments are kept:
    /// compaction can legitimately empty one in the middle of the log.
    private func dropOverlaps(_ segs: [LogSegment]) throws -> [LogSegment] {
        var out: [LogSegment] = []
        for seg in segs {
            if let prev = out.last, prev.nextOffset > seg.baseOffset {
                logger.warning("segment overlaps the next one; truncating", metadata: ["log": "\(topicPartition)", "segment": "\(prev.baseOffset)"])
                try prev.truncate(to: seg.baseOffset)
            }
            out.append(seg)
        }
        return out
    }

    /// Removes files of interrupted operations: `.deleted` (a deletion that was under way),
    /// `.cleaned` and `.tmp` (an unfinished cleaner output or atomic write). A `.swap` file is a
    /// cleaned segment whose swap was interrupted after it was complete: the segments it replaces
    /// are deleted and it takes its final name, as in Kafka.
    func removeLeftovers() throws {
        let names = try FileSystem.list(directory)
        for name in names where name.hasSuffix(".deleted") || name.hasSuffix(".cleaned") || name.hasSuffix(".tmp") {
            try FileSystem.remove(directory + "/" + name)
        }
        let swaps = names.filter { $0.hasSuffix(".swap") }
        guard !swaps.isEmpty else { return }
        for swap in swaps where swap.hasSuffix(".log.swap") {
            let finalName = String(swap.dropLast(".swap".count))
            guard let base = LogSegment.baseOffset(fromFileName: finalName, suffix: "log") else { continue }
            // The swap segment covers [base, end); find its end by scanning its headers.
            let f = try File(path: directory + "/" + swap, create: false, readOnly: true)
            var end = base
            let size = try f.size()
            var pos: Int64 = 0
            while pos + Int64(RecordBatchHeader.size) <= size {
                let head = try f.read(at: pos, count: RecordBatchHeader.size)
                guard let h = head.withUnsafeBytes({ try? RecordBatchHeader(parsing: $0) }) else { break }
                end = h.nextOffset
                pos += Int64(h.totalSize)
            }
            f.close()
            for other in try FileSystem.list(directory) {
                guard let b = LogSegment.baseOffset(fromFileName: other, suffix: "log"), b >= base, b < end else { continue }
                for suffix in LogSegment.fileKinds {
                    try FileSystem.remove(directory + "/" + LogSegment.fileName(b, suffix))
                }
            }
        }
        for swap in swaps {
            try FileSystem.rename(directory + "/" + swap, directory + "/" + String(swap.dropLast(".swap".count)))
        }
        try FileSystem.syncDirectory(directory)
    }
}
