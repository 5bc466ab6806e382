/// The first offset written under one leader epoch.
public struct LeaderEpochEntry: Sendable, Hashable, CustomStringConvertible {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }

    public var description: String { "(epoch \(epoch), start \(startOffset))" }
}

/// A partition's leader epoch history (Kafka's `LeaderEpochFileCache`, KIP-101 and KIP-279):
/// for each leader epoch that wrote to this replica's log, the offset of its first record.
/// Epoch `e` covers offsets from its start up to the next entry's start (the last entry: up to
/// the log end offset). Replicas compare these histories to find where their logs diverge.
///
/// Invariant: epochs and start offsets both strictly increase from one entry to the next,
/// and no entry is negative. Every mutation keeps it (see `assign`).
///
/// A plain value: the owning `PartitionLog` serializes access and persists it as
/// `leader-epoch-checkpoint` (see `LeaderEpochCheckpointFile`).
public struct LeaderEpochCache: Sendable, Equatable {
    /// Kafka's UNDEFINED_EPOCH: "no epoch" in requests and answers.
    public static let undefinedEpoch: Int32 = -1
    /// Kafka's UNDEFINED_EPOCH_OFFSET.
    public static let undefinedEpochOffset: Int64 = -1

    public private(set) var entries: [LeaderEpochEntry] = []

    public init() {}

    /// Builds a cache by assigning `entries` in order, so the result always satisfies the
    /// invariant even when the input does not.
    public init(assigning entries: [LeaderEpochEntry]) {
        for e in entries { assign(epoch: e.epoch, startOffset: e.startOffset) }
    }

    public var latestEntry: LeaderEpochEntry? { entries.last }
    public var latestEpoch: Int32? { entries.last?.epoch }
    public var isEmpty: Bool { entries.isEmpty }

    /// Records that `epoch` starts at `startOffset` (Kafka's `assign`). Returns whether anything changed.
    ///
    /// - The latest epoch again at the same or a later offset: no change (an epoch's start
    ///   never moves forward once assigned).
    /// - Otherwise every trailing entry that would break monotonicity — an epoch ≥ `epoch` or a
    ///   start offset ≥ `startOffset` — is removed first, then the entry is added. So a newer
    ///   epoch starting at or below earlier starts replaces them, and an older epoch (a log
    ///   that already diverged) truncates the newer history, as Kafka does.
    /// - Negative epochs or offsets ("no epoch", as producers send) are ignored.
    @discardableResult
    public mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        guard epoch >= 0, startOffset >= 0 else { return false }
        if let last = entries.last, last.epoch == epoch, startOffset >= last.startOffset { return false }
        while let last = entries.last, last.epoch >= epoch || last.startOffset >= startOffset {
            entries.removeLast()
        }
        entries.append(LeaderEpochEntry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Removes every entry whose start offset is ≥ `endOffset` (the log was truncated there).
    /// A negative `endOffset` (undefined) changes nothing.
    @discardableResult
    public mutating func truncateFromEnd(_ endOffset: Int64) -> Bool {
        guard endOffset >= 0, let last = entries.last, last.startOffset >= endOffset else { return false }
        entries.removeAll { $0.startOffset >= endOffset }
        return true
    }

    /// The log now starts at `startOffset`: entries that begin at or below it collapse into one,
    /// the latest of them, moved to start exactly at `startOffset`; later entries stay.
    /// A negative `startOffset` (undefined) changes nothing.
    @discardableResult
    public mutating func truncateFromStart(_ startOffset: Int64) -> Bool {
        guard startOffset >= 0 else { return false }
        let covered = entries.prefix { $0.startOffset <= startOffset }
        guard let kept = covered.last, covered.count > 1 || kept.startOffset != startOffset else { return false }
        entries.removeFirst(covered.count)
        entries.insert(LeaderEpochEntry(epoch: kept.epoch, startOffset: startOffset), at: 0)
        return true
    }

    /// Forgets everything (the log was deleted and restarted empty).
    public mutating func clear() { entries.removeAll() }

    /// The answer to OffsetForLeaderEpoch for `requestedEpoch` (Kafka's `endOffsetFor`): the
    /// largest epoch ≤ `requestedEpoch` that this replica knows, and the offset where that
    /// epoch ended here — the start of the next known epoch, or `logEndOffset` when the
    /// requested epoch is the latest.
    ///
    /// - requested is undefined (-1), no entries, or above every known epoch: (-1, -1);
    /// - requested == latest epoch: (latest, logEndOffset);
    /// - requested below the first known epoch (its history was removed with old segments):
    ///   (requestedEpoch, start of the first known epoch);
    /// - otherwise: (largest known epoch ≤ requested, start of the first epoch > requested).
    public func endOffset(for requestedEpoch: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        let undefined = (LeaderEpochCache.undefinedEpoch, LeaderEpochCache.undefinedEpochOffset)
        guard requestedEpoch != LeaderEpochCache.undefinedEpoch, let latest = entries.last else { return undefined }
        if latest.epoch == requestedEpoch { return (requestedEpoch, logEndOffset) }
        // First entry with an epoch above the requested one.
        guard let higher = entries.firstIndex(where: { $0.epoch > requestedEpoch }) else { return undefined }
        if higher == 0 { return (requestedEpoch, entries[0].startOffset) }
        return (entries[higher - 1].epoch, entries[higher].startOffset)
    }

    /// The epoch that wrote `offset`: the last entry starting at or below it (nil below the first entry).
    public func epoch(forOffset offset: Int64) -> Int32? {
        entries.last { $0.startOffset <= offset }?.epoch
    }

    /// Violations of the invariant (empty when sound).
    public func checkInvariants() -> [String] {
        var problems: [String] = []
        if let first = entries.first, first.epoch < 0 || first.startOffset < 0 { problems.append("negative entry \(first)") }
        for (a, b) in zip(entries, entries.dropFirst()) where !(a.epoch < b.epoch && a.startOffset < b.startOffset) {
            problems.append("epoch entries out of order: \(a) then \(b)")
        }
        return problems
    }
}
