import EddyProtocol
import Foundation

extension PartitionLog {
    /// Appends batches fetched from the leader, byte for byte: their offsets and
    /// partitionLeaderEpoch were assigned by the leader and are kept (Kafka's `appendAsFollower`).
    ///
    /// Checks (nothing is written when one fails):
    /// - every batch's header and CRC (`invalidRecord`). The records inside are not walked again:
    ///   the leader validated them on append and the CRC proves they arrived as it stored them
    ///   (Kafka's followers do the same). Offset gaps and empty batches left by compaction pass;
    /// - the first batch starts at or after the log end offset and each batch after the end of
    ///   the previous one (`offsetsOutOfOrder`); the caller truncates or refetches.
    /// max.message.bytes and topic rules are the leader's business, as in Kafka.
    ///
    /// A gap — between the log end offset and the first batch, or between batches — makes the
    /// log durably marked as having offset gaps before anything is written, so recovery accepts
    /// them. Each batch assigns (its epoch, its base offset) to the leader epoch cache, and each
    /// idempotent batch updates the producer state unchecked (Kafka's REPLICATION origin), in
    /// log order with the transaction markers among them (which end their transactions and list
    /// aborted ones in the transaction index, as on the leader). A control batch whose marker does
    /// not parse is refused (`invalidRecord`) before anything is written.
    /// Segment rolling and flush.messages apply as for `append`.
    @discardableResult
    public func appendAsFollower(_ records: [UInt8]) throws -> LogAppendInfo {
        let locations: [MemoryRecords.BatchLocation]
        do {
            locations = try MemoryRecords.batches(in: records)
            try records.withBytes { (b) throws(RecordBatchError) in
                for loc in locations {
                    try RecordBatch.validate(UnsafeRawBufferPointer(rebasing: b[loc.range]), header: loc.header,
                                             records: false, requireContiguousOffsets: false)
                }
            }
        } catch {
            throw StorageError.invalidRecord(error)
        }
        // Transaction markers, by batch index: their records are read before anything is written.
        var markers: [Int: ProducerMarker] = [:]
        for (i, loc) in locations.enumerated() where loc.header.attributes.isControl {
            do {
                if let marker = try ProducerMarker(RecordBatch(bytes: Array(records[loc.range]))) { markers[i] = marker }
            } catch let e as RecordBatchError {
                throw StorageError.invalidRecord(e)
            }
        }
        guard let first = locations.first?.header, let last = locations.last?.header else {
            throw StorageError.invalidRecord(.truncated(needed: RecordBatchHeader.size, available: 0))
        }
        var hasGaps = false
        var recordCount = 0
        var maxTimestamp: Int64 = -1
        var previousEnd: Int64?
        for loc in locations {
            let h = loc.header
            guard h.lastOffsetDelta >= 0, h.baseOffset >= 0, h.baseOffset <= Int64.max - Int64(h.lastOffsetDelta) - 1 else {
                throw StorageError.invalidRecord(.invalidOffsetDelta(expected: max(h.recordCount - 1, 0), found: h.lastOffsetDelta))
            }
            if let previousEnd {
                guard h.baseOffset >= previousEnd else {
                    throw StorageError.offsetsOutOfOrder(expectedAtLeast: previousEnd, found: h.baseOffset)
                }
                if h.baseOffset > previousEnd { hasGaps = true }
            }
            previousEnd = h.nextOffset
            recordCount += Int(h.recordCount)
            maxTimestamp = max(maxTimestamp, h.maxTimestamp)
        }
        // A segment addresses its offsets relative to its base offset in 32 bits.
        guard last.lastOffset - first.baseOffset <= Int64(Int32.max) else {
            throw StorageError.recordRejected("a follower append spanning offsets \(first.baseOffset) to \(last.lastOffset) does not fit one segment")
        }
        let config = self.config
        let total = locations[locations.count - 1].range.upperBound

        let (info, needsCheckpoint) = try locked { () throws -> (LogAppendInfo, Bool) in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let logEnd = activeSegment.nextOffset
            guard first.baseOffset >= logEnd else {
                throw StorageError.offsetsOutOfOrder(expectedAtLeast: logEnd, found: first.baseOffset)
            }
            beforeWrite?()
            if hasGaps || first.baseOffset > logEnd { try markOffsetGaps() }
            let now = clock.nowMs()
            if activeSegment.shouldRoll(batchBytes: total, lastOffset: last.lastOffset, maxTimestamp: maxTimestamp,
                                        nowMs: now, config: config)
                || last.lastOffset - activeSegment.baseOffset > Int64(Int32.max) {
                try rollLocked(now: now, baseOffset: first.baseOffset)
            }
            // The producer state after these batches, on a working copy: the transaction index
            // lists the aborts before the batches are written (see `writeWithTxnIndex`).
            var state = producerState
            var completed: [CompletedTransaction] = []
            var aborts: [AbortedTxnEntry] = []
            for (i, loc) in locations.enumerated() {
                if let marker = markers[i] {
                    let (ended, entries) = Self.applyMarker(marker, to: &state)
                    completed.append(ended)
                    aborts += entries
                } else if let b = ProducerBatch(loc.header) {
                    state.update(with: b)
                }
            }
            try writeWithTxnIndex(aborts) {
                try records.withUnsafeBytes { b in
                    try activeSegment.append(parts: [UnsafeRawBufferPointer(rebasing: b[0 ..< total])],
                                             batches: locations.map { ($0.header, $0.header.totalSize) })
                }
            }
            for loc in locations { assignEpochLocked(loc.header.partitionLeaderEpoch, startOffset: loc.header.baseOffset) }
            producerStateApplied(state, completed: completed)
            let checkpoint = try maybeFlushAfterAppendLocked(recordCount: recordCount, config: config)
            let info = LogAppendInfo(firstOffset: first.baseOffset, lastOffset: last.lastOffset, maxTimestamp: maxTimestamp,
                                     logAppendTime: -1, recordCount: recordCount, batchCount: locations.count,
                                     validBytes: total)
            return (info, checkpoint)
        }
        if needsCheckpoint { onCheckpointNeeded?() }
        return info
    }
}
