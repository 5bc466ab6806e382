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
/// Invariants: `batches` is never empty, holds at most `ProducerState.batchesToRetain` batches,
/// oldest first with increasing offsets, and all of them were written with `producerEpoch`
/// (a new epoch forgets the previous epoch's batches).
public struct ProducerStateEntry: Sendable, Equatable {
    public let producerId: Int64
    public internal(set) var producerEpoch: Int16
    public internal(set) var batches: [ProducerBatchMetadata]

    public init(producerId: Int64, producerEpoch: Int16, batches: [ProducerBatchMetadata]) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.batches = batches
    }

    public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    public var lastOffset: Int64 { batches.last?.lastOffset ?? -1 }
    public var lastTimestamp: Int64 { batches.last?.timestamp ?? -1 }

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

    public init(producerId: Int64, producerEpoch: Int16, firstSequence: Int32, lastSequence: Int32,
                firstOffset: Int64, lastOffset: Int64, maxTimestamp: Int64) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.maxTimestamp = maxTimestamp
    }

    /// The producer view of a batch header, nil when the batch is not idempotent (producerId < 0)
    /// or is a control batch (transaction markers carry no data sequence).
    public init?(_ header: RecordBatchHeader) {
        guard header.isIdempotent, !header.attributes.isControl else { return nil }
        self.init(producerId: header.producerId, producerEpoch: header.producerEpoch,
                  firstSequence: header.baseSequence, lastSequence: header.lastSequence,
                  firstOffset: header.baseOffset, lastOffset: header.lastOffset, maxTimestamp: header.maxTimestamp)
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
/// per producer id its epoch and the metadata of its last `batchesToRetain` batches.
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

    public init() { producers = [:] }

    public init(entries: [ProducerStateEntry]) {
        producers = Dictionary(entries.map { ($0.producerId, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func entry(for producerId: Int64) -> ProducerStateEntry? { producers[producerId] }

    /// Sets one producer's entry as it is (the partition log's per-request working copy holds
    /// only the producers a request touches).
    mutating func setEntry(_ entry: ProducerStateEntry) { producers[entry.producerId] = entry }

    /// Validates an incoming client batch as Kafka's leader does (duplicate check first, then
    /// `ProducerAppendInfo`'s epoch and sequence checks). Does not change the state.
    ///
    /// - An unknown producer id is accepted at any sequence: since Kafka 2.5 (KIP-360) the broker
    ///   no longer returns UNKNOWN_PRODUCER_ID, as the state may have been lost to retention,
    ///   DeleteRecords or expiration.
    /// - A newer epoch must start at sequence 0; an older epoch is fenced.
    /// - The same epoch must continue at lastSequence + 1, wrapping from Int32.max to 0.
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
        return .append
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
        producers[batch.producerId] = entry
    }

    /// Removes producers whose newest batch timestamp is `producerIdExpirationMs` or more before
    /// `nowMs` (Kafka's `removeExpiredProducers`). Returns the removed ids, ascending.
    @discardableResult
    public mutating func removeExpiredProducers(nowMs: Int64,
                                                producerIdExpirationMs: Int64 = defaultProducerIdExpirationMs) -> [Int64] {
        let expired = producers.values
            .filter { nowMs &- $0.lastTimestamp >= producerIdExpirationMs }
            .map(\.producerId).sorted()
        for id in expired { producers[id] = nil }
        return expired
    }

    /// After the log was truncated to `offset` (every batch ending at or above it is gone):
    /// forgets those batches and any producer left without batches.
    ///
    /// Kafka instead reloads the newest snapshot below `offset` and replays the log from there,
    /// which can also restore a previous epoch's batches; do that when exactness matters. This
    /// never keeps a batch that is no longer in the log, so it never acknowledges a lost write.
    public mutating func truncate(to offset: Int64) {
        for (id, var entry) in producers where entry.lastOffset >= offset {
            entry.batches.removeAll { $0.lastOffset >= offset }
            producers[id] = entry.batches.isEmpty ? nil : entry
        }
    }

    /// After the log start offset advanced (retention, DeleteRecords): removes producers whose
    /// last batch lies wholly below it, as Kafka's `truncateHead` does. A producer with a batch
    /// still in the log keeps its older batches' metadata, so retries of them stay deduplicated.
    public mutating func truncateHead(logStartOffset: Int64) {
        for (id, entry) in producers where entry.lastOffset < logStartOffset {
            producers[id] = nil
        }
    }

    /// The sequence that follows `sequence`, wrapping from Int32.max to 0.
    public static func nextSequence(after sequence: Int32) -> Int32 {
        sequence == Int32.max ? 0 : sequence + 1
    }

    /// True when every entry keeps the documented invariants (for tests and debug checks).
    func checkInvariants() -> Bool {
        producers.allSatisfy { id, entry in
            guard id == entry.producerId, !entry.batches.isEmpty,
                  entry.batches.count <= Self.batchesToRetain else { return false }
            return zip(entry.batches, entry.batches.dropFirst()).allSatisfy { $0.lastOffset < $1.firstOffset }
                && entry.batches.allSatisfy { $0.firstOffset <= $0.lastOffset }
        }
    }
}
