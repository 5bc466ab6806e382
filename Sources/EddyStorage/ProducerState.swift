import EddyProtocol

/// What the leader remembers about one appended batch of an idempotent producer (Kafka's
/// `BatchMetadata`): enough to recognise a retry and acknowledge it with the original offsets.
public struct ProducerBatchMetadata: Sendable, Equatable, Hashable {
    public var firstSequence: Int32
    public var lastSequence: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The batch's maxTimestamp; the newest one drives producer id expiration.
    public var timestamp: Int64

    public init(firstSequence: Int32, lastSequence: Int32, firstOffset: Int64, lastOffset: Int64, timestamp: Int64) {
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.timestamp = timestamp
    }
}

/// One producer id's state in one partition (Kafka's `ProducerStateEntry`).
///
/// Invariants: `batches` holds at most `ProducerState.batchesToRetain` batches, oldest first
/// with increasing offsets, all written with `producerEpoch` (a new epoch forgets the previous
/// epoch's batches); it is empty only when a transaction marker (`lastMarkerOffset`) came after
/// them with a newer epoch. `currentTxnFirstOffset`, when set, is at or below the first offset
/// of every batch of the open transaction, and above `lastMarkerOffset`.
public struct ProducerStateEntry: Sendable, Equatable {
    public let producerId: Int64
    public internal(set) var producerEpoch: Int16
    public internal(set) var batches: [ProducerBatchMetadata]
    /// The first offset of the producer's open transaction in this partition (the first
    /// transactional batch after its last marker); nil when none is open.
    public internal(set) var currentTxnFirstOffset: Int64?
    /// The coordinator epoch of the last transaction marker, -1 before any: a marker from an
    /// older coordinator is fenced (TRANSACTION_COORDINATOR_FENCED).
    public internal(set) var coordinatorEpoch: Int32
    /// The offset and timestamp of the last transaction marker, -1 before any.
    public internal(set) var lastMarkerOffset: Int64
    public internal(set) var lastMarkerTimestamp: Int64

    public init(producerId: Int64, producerEpoch: Int16, batches: [ProducerBatchMetadata], currentTxnFirstOffset: Int64? = nil,
                coordinatorEpoch: Int32 = -1, lastMarkerOffset: Int64 = -1, lastMarkerTimestamp: Int64 = -1) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.batches = batches
        self.currentTxnFirstOffset = currentTxnFirstOffset
        self.coordinatorEpoch = coordinatorEpoch
        self.lastMarkerOffset = lastMarkerOffset
        self.lastMarkerTimestamp = lastMarkerTimestamp
    }

    public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    /// The last offset of the producer's last data batch, -1 when none is retained.
    public var lastOffset: Int64 { batches.last?.lastOffset ?? -1 }
    /// The newest of its last batch's and its last marker's timestamps (producer id expiration).
    public var lastTimestamp: Int64 { max(batches.last?.timestamp ?? -1, lastMarkerTimestamp) }
    /// The last offset this entry knows of: its last data batch or its last marker.
    var lastKnownOffset: Int64 { max(lastOffset, lastMarkerOffset) }

    /// The retained batch a retry duplicates: same epoch, same first and last sequence.
    public func duplicate(epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        guard epoch == producerEpoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }
}

/// An idempotent batch as producer state sees it: the producer fields of its header plus the
/// offsets the leader assigned. `ProducerState.check` ignores the offsets and the timestamp.
public struct ProducerBatch: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var firstSequence: Int32
    /// Wraps past Int32.max to 0, as the producer numbers records.
    public var lastSequence: Int32
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var maxTimestamp: Int64
    /// Part of a transaction (the batch's transactional attribute).
    public var isTransactional: Bool

    public init(producerId: Int64, producerEpoch: Int16, firstSequence: Int32, lastSequence: Int32,
                firstOffset: Int64, lastOffset: Int64, maxTimestamp: Int64, isTransactional: Bool = false) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.maxTimestamp = maxTimestamp
        self.isTransactional = isTransactional
    }

    /// The producer view of a batch header, nil when the batch is not idempotent (producerId < 0)
    /// or is a control batch (transaction markers carry no data sequence: see `ProducerMarker`).
    public init?(_ header: RecordBatchHeader) {
        guard header.isIdempotent, !header.attributes.isControl else { return nil }
        self.init(producerId: header.producerId, producerEpoch: header.producerEpoch,
                  firstSequence: header.baseSequence, lastSequence: header.lastSequence,
                  firstOffset: header.baseOffset, lastOffset: header.lastOffset, maxTimestamp: header.maxTimestamp,
                  isTransactional: header.attributes.isTransactional)
    }
}

/// A transaction marker (a COMMIT or ABORT control batch) as producer state sees it.
public struct ProducerMarker: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The marker's offset in the log.
    public var offset: Int64
    public var timestamp: Int64
    public var coordinatorEpoch: Int32
    public var committed: Bool

    public init(producerId: Int64, producerEpoch: Int16, offset: Int64, timestamp: Int64, coordinatorEpoch: Int32, committed: Bool) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.offset = offset
        self.timestamp = timestamp
        self.coordinatorEpoch = coordinatorEpoch
        self.committed = committed
    }

    /// The marker in a control batch read from the log (header and bytes), nil for any other
    /// batch; throws when a control batch does not hold a well-formed marker.
    public init?(_ batch: RecordBatch) throws {
        guard let marker = try EndTransactionMarker.parse(batch) else { return nil }
        let h = batch.header
        self.init(producerId: h.producerId, producerEpoch: h.producerEpoch, offset: h.baseOffset, timestamp: h.maxTimestamp,
                  coordinatorEpoch: marker.coordinatorEpoch, committed: marker.committed)
    }
}

/// A transaction that a marker ended in this partition (Kafka's `CompletedTxn`): from its first
/// offset here to the marker's offset.
public struct CompletedTransaction: Sendable, Equatable, Hashable {
    public var producerId: Int64
    public var firstOffset: Int64
    /// The marker's offset.
    public var lastOffset: Int64
    public var aborted: Bool

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, aborted: Bool) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.aborted = aborted
    }
}

/// The leader's verdict on an incoming idempotent batch.
public enum ProducerAppendCheck: Sendable, Equatable {
    /// New data in sequence: append it, then call `ProducerState.update(with:)` with the assigned offsets.
    case append
    /// A retry of a batch already in the log: do not write it again; acknowledge with these offsets.
    case duplicate(firstOffset: Int64, lastOffset: Int64)
}

/// The idempotent-producer state of one partition (Kafka's `ProducerStateManager` data, KIP-98):
/// per producer id its epoch and the metadata of its last `batchesToRetain` batches, and the
/// transactions open in the partition (`ongoingTransactions`, whose oldest first offset is the
/// partition's first unstable offset).
///
/// A plain value: the caller (the partition log) owns it, serialises access, and does the I/O
/// (snapshot files, reading batch headers for a rebuild).
///
/// Leader append, per idempotent batch in a produce request, against a working copy:
/// `check` → `.duplicate` answers the whole request with the original offsets; `.append` → the
/// log assigns offsets and writes; then `update(with:)` on the copy, which replaces the state
/// once the write succeeded. Followers and recovery call `update(with:)` (or `replay`) directly,
/// without `check`, like Kafka's REPLICATION origin.
public struct ProducerState: Sendable, Equatable {
    /// Kafka's `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`, matching the client's maximum of 5
    /// in-flight requests per connection with idempotence.
    public static let batchesToRetain = 5
    /// Default of the broker config `producer.id.expiration.ms` (1 day).
    public static let defaultProducerIdExpirationMs: Int64 = 86_400_000

    public private(set) var producers: [Int64: ProducerStateEntry]
    /// The open transactions: first offset → producer id (each producer's `currentTxnFirstOffset`).
    public private(set) var ongoingTransactions: [Int64: Int64] = [:]

    public init() { producers = [:] }

    public init(entries: [ProducerStateEntry]) {
        producers = Dictionary(entries.map { ($0.producerId, $0) }, uniquingKeysWith: { _, last in last })
        for e in producers.values { if let first = e.currentTxnFirstOffset { ongoingTransactions[first] = e.producerId } }
    }

    /// The first offset of the oldest open transaction (Kafka's first unstable offset), nil
    /// when none is open.
    public var firstUnstableOffset: Int64? { ongoingTransactions.keys.min() }

    public func entry(for producerId: Int64) -> ProducerStateEntry? { producers[producerId] }

    /// Sets one producer's entry as it is (the partition log's per-request working copy holds
    /// only the producers a request touches).
    mutating func setEntry(_ entry: ProducerStateEntry) {
        if let old = producers[entry.producerId]?.currentTxnFirstOffset { ongoingTransactions[old] = nil }
        producers[entry.producerId] = entry
        if let first = entry.currentTxnFirstOffset { ongoingTransactions[first] = entry.producerId }
    }

    /// Validates an incoming client batch as Kafka's leader does (duplicate check first, then
    /// `ProducerAppendInfo`'s epoch and sequence checks). Does not change the state.
    ///
    /// - An unknown producer id is accepted at any sequence: since Kafka 2.5 (KIP-360) the broker
    ///   no longer returns UNKNOWN_PRODUCER_ID, as the state may have been lost to retention,
    ///   DeleteRecords or expiration.
    /// - A newer epoch must start at sequence 0; an older epoch is fenced.
    /// - The same epoch must continue at lastSequence + 1, wrapping from Int32.max to 0.
    /// - A producer with an open transaction may write only transactional batches
    ///   (INVALID_TXN_STATE).
    public func check(_ batch: ProducerBatch) throws(ProducerStateError) -> ProducerAppendCheck {
        guard batch.firstSequence >= 0, batch.lastSequence >= 0 else {
            throw .invalidSequence(producerId: batch.producerId, sequence: min(batch.firstSequence, batch.lastSequence))
        }
        guard let entry = producers[batch.producerId] else {
            guard batch.producerEpoch >= 0 else {
                throw .invalidProducerEpoch(producerId: batch.producerId, found: batch.producerEpoch, current: -1)
            }
            return .append
        }
        if let dup = entry.duplicate(epoch: batch.producerEpoch, firstSequence: batch.firstSequence,
                                     lastSequence: batch.lastSequence) {
            return .duplicate(firstOffset: dup.firstOffset, lastOffset: dup.lastOffset)
        }
        if batch.producerEpoch < entry.producerEpoch {
            throw .invalidProducerEpoch(producerId: batch.producerId, found: batch.producerEpoch, current: entry.producerEpoch)
        }
        let expected: Int32 = batch.producerEpoch == entry.producerEpoch ? Self.nextSequence(after: entry.lastSequence) : 0
        guard batch.firstSequence == expected else {
            throw .outOfOrderSequence(producerId: batch.producerId, producerEpoch: batch.producerEpoch,
                                      expected: expected, found: batch.firstSequence)
        }
        if entry.currentTxnFirstOffset != nil, !batch.isTransactional {
            throw .invalidTxnState(producerId: batch.producerId, why: "a non-transactional batch while its transaction is open")
        }
        return .append
    }

    /// Checks a coordinator's batch (no sequence, see `AppendOrigin.coordinator`): only that its
    /// epoch is not older than the producer's (INVALID_PRODUCER_EPOCH).
    public func checkEpoch(_ batch: ProducerBatch) throws(ProducerStateError) {
        guard let entry = producers[batch.producerId], batch.producerEpoch < entry.producerEpoch else { return }
        throw .invalidProducerEpoch(producerId: batch.producerId, found: batch.producerEpoch, current: entry.producerEpoch)
    }

    /// Checks a marker the leader is about to write, as Kafka's `appendEndTxnMarker` does: an
    /// older producer epoch is fenced (INVALID_PRODUCER_EPOCH), so is a marker from an older
    /// coordinator (TRANSACTION_COORDINATOR_FENCED). A marker with no open transaction is
    /// accepted (the coordinator writes one to every partition of the transaction).
    public func check(_ marker: ProducerMarker) throws(ProducerStateError) {
        guard let entry = producers[marker.producerId] else { return }
        if marker.producerEpoch < entry.producerEpoch {
            throw .invalidProducerEpoch(producerId: marker.producerId, found: marker.producerEpoch, current: entry.producerEpoch)
        }
        if marker.coordinatorEpoch < entry.coordinatorEpoch {
            throw .coordinatorFenced(producerId: marker.producerId, found: marker.coordinatorEpoch, current: entry.coordinatorEpoch)
        }
    }

    /// Records a written marker, unchecked: the producer's open transaction (if any) ends, and
    /// a newer epoch replaces the producer's (forgetting its batches, so that the old epoch's
    /// batches are fenced from then on). Returns the transaction it ended, from its first
    /// offset (the marker's own when none was open) to the marker.
    @discardableResult
    public mutating func apply(_ marker: ProducerMarker) -> CompletedTransaction {
        var entry = producers[marker.producerId] ?? ProducerStateEntry(producerId: marker.producerId, producerEpoch: marker.producerEpoch, batches: [])
        if marker.producerEpoch != entry.producerEpoch {
            entry.producerEpoch = marker.producerEpoch
            entry.batches.removeAll()
        }
        let first = entry.currentTxnFirstOffset ?? marker.offset
        if let open = entry.currentTxnFirstOffset { ongoingTransactions[open] = nil }
        entry.currentTxnFirstOffset = nil
        entry.coordinatorEpoch = marker.coordinatorEpoch
        entry.lastMarkerOffset = marker.offset
        entry.lastMarkerTimestamp = marker.timestamp
        producers[marker.producerId] = entry
        return CompletedTransaction(producerId: marker.producerId, firstOffset: first, lastOffset: marker.offset, aborted: !marker.committed)
    }

    /// The last stable offset right after `completed` ended (Kafka's
    /// `ProducerStateManager.lastStableOffset(completedTxn)`): the first offset of the oldest
    /// transaction still open, else the offset after the marker. The transaction index stores it
    /// with each aborted transaction.
    public func lastStableOffset(after completed: CompletedTransaction) -> Int64 {
        firstUnstableOffset ?? completed.lastOffset + 1
    }

    /// Records an appended batch without validation: a different epoch replaces the producer's
    /// epoch and forgets its batches; the oldest batch is dropped beyond `batchesToRetain`.
    public mutating func update(with batch: ProducerBatch) {
        let meta = ProducerBatchMetadata(firstSequence: batch.firstSequence, lastSequence: batch.lastSequence,
                                         firstOffset: batch.firstOffset, lastOffset: batch.lastOffset,
                                         timestamp: batch.maxTimestamp)
        var entry = producers[batch.producerId]
            ?? ProducerStateEntry(producerId: batch.producerId, producerEpoch: batch.producerEpoch, batches: [])
        if entry.producerEpoch != batch.producerEpoch {
            entry.producerEpoch = batch.producerEpoch
            entry.batches.removeAll()
        }
        entry.batches.append(meta)
        if entry.batches.count > Self.batchesToRetain {
            entry.batches.removeFirst(entry.batches.count - Self.batchesToRetain)
        }
        if batch.isTransactional, entry.currentTxnFirstOffset == nil {
            entry.currentTxnFirstOffset = batch.firstOffset
            ongoingTransactions[batch.firstOffset] = batch.producerId
        }
        producers[batch.producerId] = entry
    }

    /// Removes producers whose newest batch timestamp is `producerIdExpirationMs` or more before
    /// `nowMs` (Kafka's `removeExpiredProducers`), except those with an open transaction.
    /// Returns the removed ids, ascending.
    @discardableResult
    public mutating func removeExpiredProducers(nowMs: Int64,
                                                producerIdExpirationMs: Int64 = defaultProducerIdExpirationMs) -> [Int64] {
        let expired = producers.values
            .filter { $0.currentTxnFirstOffset == nil && nowMs &- $0.lastTimestamp >= producerIdExpirationMs }
            .map(\.producerId).sorted()
        for id in expired { producers[id] = nil }
        return expired
    }

    /// After the log start offset advanced (retention, DeleteRecords): removes producers whose
    /// last batch lies wholly below it, as Kafka's `truncateHead` does. A producer with a batch
    /// still in the log keeps its older batches' metadata, so retries of them stay deduplicated.
    public mutating func truncateHead(logStartOffset: Int64) {
        for (id, entry) in producers where entry.lastKnownOffset < logStartOffset {
            if let open = entry.currentTxnFirstOffset { ongoingTransactions[open] = nil }
            producers[id] = nil
        }
    }

    /// The sequence that follows `sequence`, wrapping from Int32.max to 0.
    public static func nextSequence(after sequence: Int32) -> Int32 {
        sequence == Int32.max ? 0 : sequence + 1
    }

    /// True when every entry keeps the documented invariants (for tests and debug checks).
    func checkInvariants() -> Bool {
        let open = producers.values.compactMap { e in e.currentTxnFirstOffset.map { ($0, e.producerId) } }
        guard open.count == ongoingTransactions.count, open.allSatisfy({ ongoingTransactions[$0.0] == $0.1 }) else { return false }
        return producers.allSatisfy { id, entry in
            guard id == entry.producerId, !entry.batches.isEmpty || entry.lastMarkerOffset >= 0,
                  entry.batches.count <= Self.batchesToRetain else { return false }
            if let first = entry.currentTxnFirstOffset, first <= entry.lastMarkerOffset { return false }
            return zip(entry.batches, entry.batches.dropFirst()).allSatisfy { $0.lastOffset < $1.firstOffset }
                && entry.batches.allSatisfy { $0.firstOffset <= $0.lastOffset }
        }
    }
}

/// Who writes a leader append (Kafka's `AppendOrigin`): a client's produce, whose idempotent
/// batches are checked for sequence and epoch, or a coordinator of the broker's own, whose
/// transactional batches carry no sequence and are checked for their epoch only.
public enum AppendOrigin: Sendable, Equatable {
    case client
    case coordinator
}
