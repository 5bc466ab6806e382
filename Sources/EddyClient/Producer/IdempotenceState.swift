import EddyProtocol

/// The idempotent producer's bookkeeping (the non-transactional part of Kafka's
/// `TransactionManager`): the producer id and epoch from InitProducerId, and per partition the
/// next sequence number to hand out and the last one the leader acknowledged.
///
/// Invariants and rules:
/// - A batch gets its base sequence when it is first drained, and keeps it through retries, so
///   the leader can recognise a resent batch (it remembers the last 5 per producer and answers a
///   duplicate with the original offset).
/// - Sequence numbers are counted here without wrapping (`Int64` positions); on the wire a
///   position is taken modulo 2^31, as Kafka wraps `Int32.max` to 0.
/// - OUT_OF_ORDER_SEQUENCE_NUMBER for a batch is retriable while an earlier batch of the partition
///   is unresolved (the batch starts past the record after the last acknowledged one): the
///   earlier batch is retried first, then this one. Otherwise the leader lost the producer's
///   state or no longer remembers the batch: it fails and the producer id is reset.
/// - Once a batch that had a sequence number fails, the partition's sequence has a gap the
///   leader will never fill, so the producer needs a new id (Kafka bumps the epoch): `resetPending`.
///   The sender stops sending, waits for every request in flight, asks for a new id, and
///   renumbers the batches still queued from 0.
///
/// A value with no I/O; the producer keeps it under its lock.
struct IdempotenceState: Sendable {
    private(set) var producerId: Int64 = -1
    private(set) var epoch: Int16 = -1
    /// A new producer id must be obtained before any more batches are sent.
    private(set) var resetPending = false
    private var partitions: [TopicPartition: PartitionSequences] = [:]

    private struct PartitionSequences {
        /// Position of the next sequence number to assign.
        var next: Int64 = 0
        /// Position of the last record acknowledged, -1 before any.
        var lastAcknowledged: Int64 = -1
    }

    var hasProducerId: Bool { producerId >= 0 }

    /// Adopts a producer id and epoch (InitProducerId): every partition starts again at 0.
    mutating func setProducerId(_ id: Int64, epoch: Int16) {
        producerId = id
        self.epoch = epoch
        partitions.removeAll()
        resetPending = false
    }

    /// Reserves `count` sequence numbers on `tp`; returns the position of the first.
    mutating func assignSequences(_ tp: TopicPartition, count: Int) -> Int64 {
        let base = partitions[tp, default: PartitionSequences()].next
        partitions[tp, default: PartitionSequences()].next = base + Int64(count)
        return base
    }

    /// The leader acknowledged records up to position `last` (inclusive).
    mutating func acknowledged(_ tp: TopicPartition, lastPosition last: Int64) {
        partitions[tp, default: PartitionSequences()].lastAcknowledged = max(partitions[tp]?.lastAcknowledged ?? -1, last)
    }

    /// Whether OUT_OF_ORDER_SEQUENCE_NUMBER for a batch starting at `basePosition` only means
    /// that an earlier batch is still unresolved (so the batch should be retried after it):
    /// the batch starts beyond the record after the last acknowledged one. At that record
    /// the leader lacks state it should have; below it, the leader already acknowledged later
    /// records and no longer recognises this batch. Neither resolves by retrying.
    func outOfOrderIsRetriable(_ tp: TopicPartition, basePosition: Int64) -> Bool {
        basePosition > (partitions[tp]?.lastAcknowledged ?? -1) + 1
    }

    /// A batch that had a sequence number failed: get a new producer id before sending more.
    mutating func requestReset() { resetPending = true }

    /// The wire value of a sequence position.
    static func wireSequence(_ position: Int64) -> Int32 { Int32(truncatingIfNeeded: position & Int64(Int32.max)) }

    /// Kafka's `DefaultRecordBatch.incrementSequence`: `sequence + increment`, wrapping from
    /// Int32.max to 0.
    static func increment(_ sequence: Int32, by increment: Int32) -> Int32 {
        if sequence > Int32.max - increment { return increment - (Int32.max - sequence) - 1 }
        return sequence + increment
    }
}
