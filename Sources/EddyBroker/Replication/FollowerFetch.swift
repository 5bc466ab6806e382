import EddyProtocol

/// What a follower does with one partition of a Fetch response from its leader (Kafka's
/// `AbstractFetcherThread.processFetchRequest` and `getOffsetTruncationState`). Pure: the
/// caller reads its log for the inputs and carries out the action.
public enum FollowerFetch {
    public enum Action: Sendable, Hashable {
        /// Truncate the log to this offset (no-op if it already ends there), then fetch again
        /// from the new log end offset with the new last epoch. When the follower did not know
        /// the leader's diverging epoch this is an intermediate step and the next fetch may
        /// truncate further.
        case truncate(to: Int64)
        /// Append `records` (possibly empty) as follower, then set the follower's high
        /// watermark to min(`highWatermark`, its new log end offset) and move its log start
        /// offset up to `logStartOffset` (where valid, i.e. ≥ 0).
        case append(records: [UInt8], highWatermark: Int64, logStartOffset: Int64)
        /// Back off and retry later; FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER /
        /// UNKNOWN_LEADER_EPOCH mean the leadership changed: wait for new metadata.
        case backoff(ErrorCode)
        /// The follower's log ends below the leader's log start offset: empty the log and
        /// restart it at this offset.
        case outOfRange(resetTo: Int64)
        /// The answer is to a request from another position (the log changed since it was
        /// sent): drop it.
        case ignore
    }

    /// The next action for `response`, the answer to a fetch sent from `requestFetchOffset`.
    /// - Parameters:
    ///   - logEndOffset: the follower's log end offset now.
    ///   - endOffsetForEpoch: the follower's epoch lookup (`PartitionLog.endOffset(forLeaderEpoch:)`:
    ///     the largest epoch ≤ the requested one and where it ends locally; -1 / -1 if none).
    ///
    /// Rules:
    /// - NONE with `divergingEpoch` {E, O}: if the follower knows E, truncate to
    ///   min(O, its own end of E, its log end); if its largest epoch ≤ E is older, truncate to
    ///   min(its end of that epoch, its log end) and ask again; if it has no epoch ≤ E (or E is
    ///   -1), truncate to min(O, its log end). An unknown O (-1) is a leader fault: back off.
    /// - NONE otherwise: append.
    /// - OFFSET_OUT_OF_RANGE: below the leader's log start offset (`response.logStartOffset` ≥ 0)
    ///   restart there; above the leader's high watermark (≥ 0) truncate to it (an unclean
    ///   election left this follower ahead of its new leader); else back off and retry.
    /// - Any other error: back off.
    public static func decide(_ response: FetchResponse.PartitionData, requestFetchOffset: Int64, logEndOffset: Int64,
                              endOffsetForEpoch: (Int32) -> (epoch: Int32, endOffset: Int64)) -> Action {
        guard requestFetchOffset == logEndOffset else { return .ignore }
        switch response.errorCode {
        case .none:
            guard let diverging = response.divergingEpoch else {
                return .append(records: response.records, highWatermark: response.highWatermark,
                               logStartOffset: response.logStartOffset)
            }
            guard diverging.endOffset >= 0 else { return .backoff(.unknownServerError) }
            guard diverging.epoch >= 0 else { return .truncate(to: min(diverging.endOffset, logEndOffset)) }
            let local = endOffsetForEpoch(diverging.epoch)
            guard local.epoch >= 0, local.endOffset >= 0 else {
                return .truncate(to: min(diverging.endOffset, logEndOffset))
            }
            if local.epoch != diverging.epoch { return .truncate(to: min(local.endOffset, logEndOffset)) }
            return .truncate(to: min(local.endOffset, diverging.endOffset, logEndOffset))
        case .offsetOutOfRange:
            if response.logStartOffset >= 0, logEndOffset < response.logStartOffset {
                return .outOfRange(resetTo: response.logStartOffset)
            }
            if response.highWatermark >= 0, logEndOffset > response.highWatermark {
                return .truncate(to: response.highWatermark)
            }
            return .backoff(.offsetOutOfRange)
        default:
            return .backoff(response.errorCode)
        }
    }

    /// The follower's high watermark after an append: the leader's, capped at the local log end.
    public static func followerHighWatermark(leaderHighWatermark: Int64, logEndOffset: Int64) -> Int64 {
        min(leaderHighWatermark, logEndOffset)
    }
}
