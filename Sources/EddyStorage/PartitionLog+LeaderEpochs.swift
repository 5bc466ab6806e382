import EddyProtocol
import Foundation

/// The log's leader epoch history (`LeaderEpochCache`) and its `leader-epoch-checkpoint` file.
///
/// Contract with the log:
/// - every batch's partitionLeaderEpoch is reflected: appending a batch assigns (its epoch,
///   its base offset), so the cache equals what rebuilding it from the batches would give;
/// - entries start within [logStartOffset, logEndOffset]: truncation removes entries from the
///   end, a moving log start offset trims them from the start, and opening the log does both;
/// - durability is lazy: the file is rewritten (atomically) only before the recovery point
///   moves and on close, so it always describes at least every flushed batch. After a crash,
///   recovery re-derives the entries for the segments it scans (those that may hold unflushed
///   data) from their batches, which also repairs a file that is stale for that region. A
///   missing or corrupt file is rebuilt from every batch of the log.
extension PartitionLog {
    var leaderEpochCheckpointPath: String { directory + "/" + LeaderEpochCheckpointFile.fileName }

    /// The newest leader epoch that wrote to this log (or was assigned by
    /// `maybeAssignEpochStartOffset`), nil if none.
    public var latestEpoch: Int32? { readPublished { $0.epochCache.latestEpoch } }

    /// The leader epoch history, oldest first.
    public var leaderEpochEntries: [LeaderEpochEntry] { readPublished(\.epochCache.entries) }

    /// OffsetForLeaderEpoch: the largest epoch ≤ `leaderEpoch` this replica knows and the offset
    /// at which it ended here (the log end offset for the latest epoch); (-1, -1) when unknown.
    /// See `LeaderEpochCache.endOffset(for:logEndOffset:)`.
    public func endOffset(forLeaderEpoch leaderEpoch: Int32) -> (epoch: Int32, endOffset: Int64) {
        readPublished { $0.epochCache.endOffset(for: leaderEpoch, logEndOffset: $0.logEndOffset) }
    }

    /// Records that `leaderEpoch` starts at the current log end offset, as a replica does when
    /// it becomes leader (Kafka's `maybeAssignEpochStartOffset` in `makeLeader`), so that the
    /// epoch is known before the leader appends anything. Returns whether the cache changed.
    /// The entry is dropped again if the log is reopened before anything is appended in it.
    @discardableResult
    public func maybeAssignEpochStartOffset(leaderEpoch: Int32) throws -> Bool {
        try locked {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            return assignEpochLocked(leaderEpoch, startOffset: activeSegment.nextOffset)
        }
    }

    // MARK: Maintenance under the log lock

    @discardableResult
    func assignEpochLocked(_ epoch: Int32, startOffset: Int64) -> Bool {
        guard epochCache.assign(epoch: epoch, startOffset: startOffset) else { return false }
        epochCacheDirty = true
        return true
    }

    func truncateEpochCacheFromEndLocked(_ endOffset: Int64) {
        if epochCache.truncateFromEnd(endOffset) { epochCacheDirty = true }
    }

    func truncateEpochCacheFromStartLocked(_ startOffset: Int64) {
        if epochCache.truncateFromStart(startOffset) { epochCacheDirty = true }
    }

    /// Empties the cache and writes the file at once (Kafka's `clearAndFlush`): the batches the
    /// old entries described are gone, so no later recovery may trust those entries.
    func clearEpochCacheLocked() throws {
        guard !epochCache.isEmpty || epochCacheDirty else { return }
        epochCache.clear()
        epochCacheDirty = true
        try persistEpochCacheIfDirtyLocked()
    }

    /// Writes the checkpoint file if the cache changed since it was last written.
    func persistEpochCacheIfDirtyLocked() throws {
        guard epochCacheDirty else { return }
        try LeaderEpochCheckpointFile.write(leaderEpochCheckpointPath, epochCache.entries)
        epochCacheDirty = false
    }

    // MARK: Loading

    /// The checkpoint as stored: nil when missing or corrupt (then the cache is rebuilt from the log).
    func readEpochCheckpoint() -> (cache: LeaderEpochCache?, bytes: [UInt8]?) {
        let path = leaderEpochCheckpointPath
        guard FileSystem.exists(path) else { return (nil, nil) }
        do {
            let bytes = try FileSystem.readAll(path)
            do {
                return (LeaderEpochCache(assigning: try LeaderEpochCheckpointFile.decode(bytes)), bytes)
            } catch StorageError.corruptFile(_, let why) {
                throw StorageError.corruptFile(path: path, reason: why)
            }
        } catch {
            logger.warning("rebuilding the leader epoch cache from the log: checkpoint unreadable",
                           metadata: ["log": "\(topicPartition)", "error": "\(error)"])
            return (nil, nil)
        }
    }

    /// Installs the cache after the segments are loaded: rebuilt from every batch when the
    /// checkpoint was unusable, then trimmed to [logStartOffset, logEndOffset].
    func finishLoadingEpochCache(_ loaded: LeaderEpochCache?, fileBytes: [UInt8]?) throws {
        var cache = loaded ?? LeaderEpochCache()
        if loaded == nil {
            for seg in segmentList {
                try seg.scanBatches(from: 0) { _, h in
                    cache.assign(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset)
                    return true
                }
            }
        }
        // Start first: an entry the start offset clamps to an empty log's end must go too.
        cache.truncateFromStart(_logStartOffset)
        cache.truncateFromEnd(activeSegment.nextOffset)
        epochCache = cache
        let encoded = LeaderEpochCheckpointFile.encode(cache.entries)
        if let fileBytes {
            epochCacheDirty = fileBytes != encoded
        } else {
            // Nothing to describe yet: an empty log needs no file.
            epochCacheDirty = !cache.isEmpty || segmentList.contains { $0.size > 0 }
        }
    }
}
