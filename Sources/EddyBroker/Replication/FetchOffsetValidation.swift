import EddyProtocol

/// The leader's check of a follower's fetch position against its own log (Kafka's
/// `Partition.readRecords` with `lastFetchedEpoch`, KIP-595 truncation on fetch).
///
/// The follower sends `fetchOffset` (its log end offset) and `lastFetchedEpoch` (the epoch of
/// its last batch, -1 if it has none). The leader looks up where that epoch ends in its own log
/// (`endOffsetForEpoch`: the largest epoch ≤ the requested one it knows and the start of the
/// next epoch, or its log end offset for its latest epoch; epoch -1 / offset -1 when unknown,
/// like `PartitionLog.endOffset(forLeaderEpoch:)`). If the leader's epoch there is older, or
/// ends before `fetchOffset`, the logs diverged: the answer carries `divergingEpoch` instead of
/// records, and the follower truncates (see `FollowerFetch`).
public enum FetchOffsetValidation: Sendable, Hashable {
    /// Serve the fetch from `fetchOffset`.
    case valid
    /// Answer with this `divergingEpoch` and no records.
    case diverging(FetchResponse.EpochEndOffset)
    /// Answer OFFSET_OUT_OF_RANGE: the offset is outside the leader's log, or the leader cannot
    /// place the last fetched epoch.
    case offsetOutOfRange

    /// Validates a fetch.
    /// - Parameters:
    ///   - lastFetchedEpoch: from the request; negative means absent (no epoch check).
    ///   - logStartOffset / logEndOffset: the leader's log bounds now.
    ///   - endOffsetForEpoch: the leader's epoch lookup, called only for `lastFetchedEpoch`.
    public static func validate(fetchOffset: Int64, lastFetchedEpoch: Int32, logStartOffset: Int64, logEndOffset: Int64,
                                endOffsetForEpoch: (Int32) -> (epoch: Int32, endOffset: Int64)) -> FetchOffsetValidation {
        if lastFetchedEpoch >= 0 {
            let end = endOffsetForEpoch(lastFetchedEpoch)
            guard end.epoch >= 0, end.endOffset >= 0 else { return .offsetOutOfRange }
            // Below the log start offset is out of range whether or not the epochs diverge.
            guard fetchOffset >= logStartOffset else { return .offsetOutOfRange }
            if end.epoch < lastFetchedEpoch || end.endOffset < fetchOffset {
                return .diverging(FetchResponse.EpochEndOffset(epoch: end.epoch, endOffset: end.endOffset))
            }
        }
        guard fetchOffset >= logStartOffset, fetchOffset <= logEndOffset else { return .offsetOutOfRange }
        return .valid
    }
}
