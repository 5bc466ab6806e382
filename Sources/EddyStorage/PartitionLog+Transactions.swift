import EddyProtocol
import Foundation

/// Transactions in the partition log (KIP-98), as Kafka's `UnifiedLog` and
/// `ProducerStateManager` keep them:
///
/// - A transactional batch of a producer with no open transaction here opens one at its first
///   offset (`ProducerState.ongoingTransactions`); a marker (`appendMarker`, written by the
///   partition leader for the transaction coordinator, or copied by a follower) ends it.
/// - An ABORT marker lists the transaction in its segment's transaction index
///   (`AbortedTxnEntry`, `.txnindex`), with the last stable offset at that moment.
/// - The last stable offset (`lastStableOffset`) is the high watermark, held back by the oldest
///   open transaction and by transactions whose marker is not yet below the high watermark.
///   read_committed consumers read below it, skipping the records of the aborted transactions
///   that `abortedTransactions` lists for the range they read.
/// - All of it is rebuilt when the log is opened (from the producer-state snapshot, whose
///   entries carry each producer's open transaction, and the batches after it, markers
///   included), and the transaction indexes of the segments that recovery scanned are rebuilt
///   from their markers the same way (`PartitionLog+ProducerState.swift`).
extension PartitionLog {
    /// Appends a transaction marker as the partition leader (Kafka's `appendAsLeader` with the
    /// coordinator origin): a control batch with one COMMIT or ABORT record, for `producerId` at
    /// `producerEpoch`, stamped with `leaderEpoch`. The marker is checked against the producer
    /// state first: an older producer epoch throws INVALID_PRODUCER_EPOCH, an older coordinator
    /// epoch TRANSACTION_COORDINATOR_FENCED (`StorageError.producer`). Returns the marker's
    /// offset as `firstOffset` and `lastOffset`.
    @discardableResult
    public func appendMarker(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, committed: Bool,
                             leaderEpoch: Int32 = 0) throws -> LogAppendInfo {
        guard producerId >= 0, producerEpoch >= 0 else {
            throw StorageError.recordRejected("a transaction marker needs a producer id and epoch, got \(producerId)/\(producerEpoch)")
        }
        let config = self.config
        let (info, needsCheckpoint) = try locked { () throws -> (LogAppendInfo, Bool) in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let now = clock.nowMs()
            let offset = activeSegment.nextOffset
            let marker = ProducerMarker(producerId: producerId, producerEpoch: producerEpoch, offset: offset, timestamp: now,
                                        coordinatorEpoch: coordinatorEpoch, committed: committed)
            do throws(ProducerStateError) { try producerState.check(marker) } catch { throw StorageError.producer(error) }
            let batch = EndTransactionMarker(committed: committed, coordinatorEpoch: coordinatorEpoch)
                .batch(baseOffset: offset, timestamp: now, partitionLeaderEpoch: leaderEpoch, producerId: producerId,
                       producerEpoch: producerEpoch)
            let bytes = batch.bytes
            if activeSegment.shouldRoll(batchBytes: bytes.count, lastOffset: offset, maxTimestamp: now, nowMs: now, config: config) {
                try rollLocked(now: now)
            }
            beforeWrite?()
            var state = producerState
            let (completed, aborts) = Self.applyMarker(marker, to: &state)
            try writeWithTxnIndex(aborts) {
                try bytes.withUnsafeBytes { b in try activeSegment.append(parts: [b], batches: [(batch.header, bytes.count)]) }
            }
            assignEpochLocked(leaderEpoch, startOffset: offset)
            producerStateApplied(state, completed: [completed])
            let checkpoint = try maybeFlushAfterAppendLocked(recordCount: 1, config: config)
            return (LogAppendInfo(firstOffset: offset, lastOffset: offset, maxTimestamp: now, logAppendTime: -1, recordCount: 1,
                                  batchCount: 1, validBytes: bytes.count), checkpoint)
        }
        if needsCheckpoint { onCheckpointNeeded?() }
        return info
    }

    /// Applies `marker` to `state` (a working copy): the transaction it ends, and the
    /// transaction index entry that needs when it is an abort.
    static func applyMarker(_ marker: ProducerMarker, to state: inout ProducerState) -> (CompletedTransaction, [AbortedTxnEntry]) {
        let completed = state.apply(marker)
        guard completed.aborted else { return (completed, []) }
        return (completed, [AbortedTxnEntry(producerId: completed.producerId, firstOffset: completed.firstOffset,
                                            lastOffset: completed.lastOffset, lastStableOffset: state.lastStableOffset(after: completed))])
    }

    /// Runs `write` (batches going to the active segment) with their aborted transactions listed
    /// in its transaction index first: if `write` fails, the entries are taken back out, and if
    /// listing them fails nothing is written, so the log never holds an abort marker that its
    /// index lacks. Caller holds the lock.
    func writeWithTxnIndex(_ entries: [AbortedTxnEntry], _ write: () throws -> Void) throws {
        guard let first = entries.first else { return try write() }
        let segment = activeSegment
        do {
            for e in entries { try segment.txnIndex.append(e) }
            try write()
        } catch {
            try? segment.txnIndex.truncate(keepWhile: { $0.lastOffset < first.lastOffset })
            throw error
        }
    }

    /// The producer state once written batches and markers are in the log: `state` replaces
    /// it, and the transactions the markers ended (`completed`) hold the last stable offset back
    /// until the high watermark passes their markers. Caller holds the lock.
    func producerStateApplied(_ state: ProducerState, completed: [CompletedTransaction]) {
        producerState = state
        producerSnapshotInSync = nil
        let hw = _highWatermark
        unreplicatedTransactions += completed.filter { $0.lastOffset >= hw }
    }

    /// The aborted transactions a read_committed fetch from `start` must know of to read up to
    /// `bound` (exclusive): those whose markers are at or after `start` and which began below
    /// `bound`, in marker order (Kafka's `collectAbortedTransactions`). Reads the segments'
    /// transaction indexes from the one holding `start` on, stopping after an entry whose last
    /// stable offset reaches `bound` (see `AbortedTxnEntry`).
    public func abortedTransactions(from start: Int64, upTo bound: Int64) -> [FetchResponse.AbortedTransaction] {
        reading {
            var out: [FetchResponse.AbortedTransaction] = []
            guard bound > start, !segmentList.isEmpty else { return out }
            for seg in segmentList[segmentIndex(for: start)...] {
                for e in seg.txnIndex.entries {
                    if e.lastOffset >= start, e.firstOffset < bound {
                        out.append(.init(producerId: e.producerId, firstOffset: e.firstOffset))
                    }
                    if e.lastStableOffset >= bound { return out }
                }
            }
            return out
        }
    }

    /// The open transactions, oldest first: (first offset, producer id).
    public var openTransactions: [(firstOffset: Int64, producerId: Int64)] {
        reading { producerState.ongoingTransactions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }
}
