/// A position in the replicated log: an end offset and the epoch of the entry just below it
/// (Kafka's `OffsetAndEpoch`). Ordered epoch first, as Raft compares logs: a log whose last
/// entry has a higher epoch is more up to date, whatever its length.
public struct OffsetAndEpoch: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var offset: Int64
    public var epoch: Int32

    public init(offset: Int64, epoch: Int32) {
        self.offset = offset
        self.epoch = epoch
    }

    public static func < (a: OffsetAndEpoch, b: OffsetAndEpoch) -> Bool {
        (a.epoch, a.offset) < (b.epoch, b.offset)
    }

    public var description: String { "\(offset)@\(epoch)" }
}

/// One batch of the replicated log: consecutive records, all written by the leader of `epoch`.
/// `isControl` marks the batch a new leader writes first in its epoch (Kafka's LeaderChange
/// control record); it commits the epoch's start and carries no metadata.
public struct RaftBatch: Sendable, Hashable {
    public var baseOffset: Int64
    public var epoch: Int32
    /// The records' values, at offsets `baseOffset`, `baseOffset + 1`, ...; never empty.
    public var records: [[UInt8]]
    public var isControl: Bool
    /// The batch as its owner's log stores it (a RecordBatch v2), when the log keeps bytes:
    /// a follower appends them as they are. The state machine never looks at them.
    public var encoded: [UInt8]?

    public init(baseOffset: Int64, epoch: Int32, records: [[UInt8]], isControl: Bool = false, encoded: [UInt8]? = nil) {
        precondition(!records.isEmpty, "a batch holds at least one record")
        self.baseOffset = baseOffset
        self.epoch = epoch
        self.records = records
        self.isControl = isControl
        self.encoded = encoded
    }

    /// The offset after the batch's last record.
    public var nextOffset: Int64 { baseOffset + Int64(records.count) }
}

/// What the Raft state machine knows of its own log, without its records: where it starts and
/// ends, which epochs wrote which ranges (Kafka's leader-epoch cache) and its newest snapshot.
///
/// Invariants (`checkInvariants`): `startOffset <= endOffset`; epochs strictly increase and so
/// do their start offsets, each at least `startOffset` and below `endOffset`; a snapshot ends
/// at or below `endOffset`, and a log that does not start at 0 has a snapshot at or above its
/// start (the records below the start are in it). An owner that, opening its log, finds its
/// newest snapshot beyond the log's end (a crash lost records the snapshot holds: they had
/// not been flushed) restarts the log just after the snapshot, as Kafka does.
public struct RaftLogState: Sendable, Hashable {
    public struct EpochEntry: Sendable, Hashable {
        public var epoch: Int32
        public var startOffset: Int64

        public init(epoch: Int32, startOffset: Int64) {
            self.epoch = epoch
            self.startOffset = startOffset
        }
    }

    /// The first offset the log holds (0, or the end of the snapshot the log was cut at).
    public private(set) var startOffset: Int64
    /// The epoch of the record just below `startOffset` (0 at offset 0).
    public private(set) var startEpoch: Int32
    /// The offset the next record gets.
    public private(set) var endOffset: Int64
    /// Each epoch that wrote records, with its first offset, ascending.
    public private(set) var epochs: [EpochEntry]
    /// The newest snapshot: it holds the applied state of every record below `offset`.
    public private(set) var snapshot: OffsetAndEpoch?

    /// An empty log.
    public init() {
        startOffset = 0
        startEpoch = 0
        endOffset = 0
        epochs = []
        snapshot = nil
    }

    /// The state of an existing log: its batches' (epoch, first offset) runs are `epochs`.
    public init(startOffset: Int64, startEpoch: Int32, endOffset: Int64, epochs: [EpochEntry], snapshot: OffsetAndEpoch?) {
        self.startOffset = startOffset
        self.startEpoch = startEpoch
        self.endOffset = endOffset
        self.epochs = epochs
        self.snapshot = snapshot
        checkInvariants()
    }

    /// The state of a log holding exactly `batches` after `snapshot` (if any).
    public init(batches: [RaftBatch], snapshot: OffsetAndEpoch?) {
        self.init()
        if let snapshot { startAt(snapshot: snapshot) }
        for batch in batches { append(batch) }
    }

    /// The epoch of the last record, or of the snapshot if the log holds none after it.
    public var lastEpoch: Int32 { epochs.last?.epoch ?? startEpoch }

    /// The log's end, as Vote requests and follower fetches state it.
    public var end: OffsetAndEpoch { OffsetAndEpoch(offset: endOffset, epoch: lastEpoch) }

    /// Records one appended batch; it must start at `endOffset` with an epoch no lower than
    /// the last one.
    public mutating func append(_ batch: RaftBatch) {
        precondition(batch.baseOffset == endOffset, "append at \(batch.baseOffset), log ends at \(endOffset)")
        precondition(batch.epoch >= lastEpoch, "append of epoch \(batch.epoch) after epoch \(lastEpoch)")
        if epochs.last?.epoch != batch.epoch {
            epochs.append(EpochEntry(epoch: batch.epoch, startOffset: batch.baseOffset))
        }
        endOffset = batch.nextOffset
    }

    /// Removes every record at or above `offset` (never below `startOffset`).
    public mutating func truncate(to offset: Int64) {
        let target = max(startOffset, min(offset, endOffset))
        endOffset = target
        while let last = epochs.last, last.startOffset >= target { epochs.removeLast() }
    }

    /// Drops the whole log and restarts it just after `snapshot` (a follower that installed a
    /// snapshot from the leader).
    public mutating func startAt(snapshot id: OffsetAndEpoch) {
        startOffset = id.offset
        startEpoch = id.epoch
        endOffset = id.offset
        epochs = []
        snapshot = id
    }

    /// Notes a snapshot the owner wrote of the applied state below `id.offset` (at most the
    /// high watermark); with `deletePrefix`, the log below it is deleted too.
    public mutating func snapshotTaken(_ id: OffsetAndEpoch, deletePrefix: Bool) {
        precondition(id.offset <= endOffset && id.offset >= startOffset, "snapshot \(id) outside the log \(startOffset)..<\(endOffset)")
        if snapshot.map({ $0.offset < id.offset }) ?? true { snapshot = id }
        if deletePrefix, id.offset > startOffset {
            startOffset = id.offset
            startEpoch = id.epoch
            // Keep the entry covering the new start (its range now begins there).
            if let covering = epochs.lastIndex(where: { $0.startOffset <= id.offset }) {
                epochs.removeFirst(covering)
                epochs[0].startOffset = id.offset
                if epochs[0].startOffset == endOffset { epochs.removeFirst() }
            }
        }
    }

    /// The end of the largest epoch at or below `epoch` in this log, as (end offset, that epoch)
    /// (Kafka's `endOffsetForEpoch`): where a follower whose last record has epoch `epoch`
    /// must truncate to. Below every epoch the log holds, it is the log's start with the
    /// snapshot's epoch.
    public func endOffset(forEpoch epoch: Int32) -> OffsetAndEpoch {
        guard let index = epochs.lastIndex(where: { $0.epoch <= epoch }) else {
            return OffsetAndEpoch(offset: startOffset, epoch: startEpoch)
        }
        let end = index + 1 < epochs.count ? epochs[index + 1].startOffset : endOffset
        return OffsetAndEpoch(offset: end, epoch: epochs[index].epoch)
    }

    /// The epoch of the record at `offset`, if the log holds it.
    public func epoch(at offset: Int64) -> Int32? {
        guard offset >= startOffset, offset < endOffset else { return nil }
        return epochs.last(where: { $0.startOffset <= offset })?.epoch
    }

    /// How a leader answers a fetch from `fetchOffset` by a replica whose last record has
    /// `lastFetchedEpoch` (Kafka's `validateOffsetAndEpoch`).
    public enum FetchValidation: Sendable, Hashable {
        /// The replica's log matches up to `fetchOffset`: send records from there.
        case valid
        /// The replica's log diverges: it must truncate to this end offset of this epoch.
        case diverging(OffsetAndEpoch)
        /// The records it needs were deleted below this snapshot: it must fetch the snapshot.
        case snapshot(OffsetAndEpoch)
    }

    public func validate(fetchOffset: Int64, lastFetchedEpoch: Int32) -> FetchValidation {
        // Below the log start, or in an epoch older than the start's: what the replica lacks
        // (or must replace) is only in the snapshot.
        if let snapshot, startOffset > 0,
           fetchOffset < startOffset || (fetchOffset == startOffset && lastFetchedEpoch != startEpoch) || lastFetchedEpoch < startEpoch {
            return .snapshot(snapshot)
        }
        let end = endOffset(forEpoch: lastFetchedEpoch)
        if end.epoch != lastFetchedEpoch || fetchOffset > end.offset {
            return .diverging(end)
        }
        return .valid
    }

    /// The invariants above that do not hold (empty when all do).
    public var invariantViolations: [String] {
        var found: [String] = []
        if startOffset > endOffset { found.append("log start \(startOffset) > end \(endOffset)") }
        for (a, b) in zip(epochs, epochs.dropFirst()) where !(a.epoch < b.epoch && a.startOffset < b.startOffset) {
            found.append("epochs out of order: \(epochs)")
        }
        if let first = epochs.first, first.startOffset < startOffset { found.append("epoch \(first.epoch) starts below the log start") }
        if let last = epochs.last, last.startOffset >= endOffset { found.append("epoch \(last.epoch) holds no record") }
        if let snapshot, snapshot.offset > endOffset { found.append("snapshot \(snapshot) beyond the log end \(endOffset)") }
        if startOffset > 0, (snapshot?.offset ?? -1) < startOffset { found.append("log start \(startOffset) without a snapshot") }
        return found
    }

    public func checkInvariants() {
        let found = invariantViolations
        precondition(found.isEmpty, found.joined(separator: "; "))
    }
}
