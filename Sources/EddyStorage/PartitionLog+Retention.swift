import EddyProtocol
import Foundation

extension PartitionLog {
    /// Deletes old inactive segments (Kafka's `deleteOldSegments`), oldest first, stopping at
    /// the first segment that must stay. A segment goes when all of its offsets are below the
    /// log start offset, or — with cleanup.policy including delete — when its largest timestamp
    /// is more than retention.ms old, or while the log is over retention.bytes by at least the
    /// segment's size. The active segment is never deleted, nor a segment holding offsets at or
    /// above the high watermark. Returns the number of segments deleted.
    @discardableResult
    public func enforceRetention() throws -> Int {
        let deleted = try locked { () throws -> Int in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            let now = clock.nowMs()
            let config = _config
            var overBytes = config.delete && config.retentionBytes >= 0
                ? segmentList.reduce(0) { $0 + $1.size } - config.retentionBytes : Int64.min
            var count = 0
            while count < segmentList.count - 1 {
                let seg = segmentList[count]
                let upper = segmentList[count + 1].baseOffset
                guard upper <= _highWatermark else { break }
                let belowStart = upper <= _logStartOffset
                let expired = config.delete && config.retentionMs >= 0 && seg.maxTimestamp >= 0
                    && now - seg.maxTimestamp > config.retentionMs
                let oversized = overBytes != Int64.min && overBytes - seg.size >= 0
                guard belowStart || expired || oversized else { break }
                if overBytes != Int64.min { overBytes -= seg.size }
                count += 1
            }
            try deleteSegmentsLocked(count)
            return count
        }
        if deleted > 0 { onCheckpointNeeded?() }
        return deleted
    }

    /// DeleteRecords: makes `offset` the new log start offset (it must not exceed the high
    /// watermark) and deletes segments wholly below it. Records below the log start offset are
    /// no longer readable even while their segment remains. Returns the new log start offset.
    @discardableResult
    public func deleteRecords(before offset: Int64) throws -> Int64 {
        try withCleaningPaused { try deleteRecordsUnpaused(before: offset) }
    }

    /// Runs `body` while the cleaner keeps off this log (it aborts a round in progress).
    func withCleaningPaused<R>(truncatedTo: Int64? = nil, _ body: () throws -> R) throws -> R {
        guard let cleaner else { return try body() }
        cleaner.abortAndPause(topicPartition)
        defer {
            if let truncatedTo { cleaner.logTruncated(topicPartition, to: truncatedTo) }
            try? cleaner.resume(topicPartition)
        }
        return try body()
    }

    private func deleteRecordsUnpaused(before offset: Int64) throws -> Int64 {
        let result = try locked { () throws -> Int64 in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            beforeWrite?()
            guard offset >= 0, offset <= _highWatermark else {
                throw StorageError.offsetOutOfRange(requested: offset, logStartOffset: _logStartOffset, logEndOffset: _highWatermark)
            }
            _logStartOffset = max(_logStartOffset, offset)
            var count = 0
            while count < segmentList.count - 1, segmentList[count + 1].baseOffset <= _logStartOffset { count += 1 }
            try deleteSegmentsLocked(count)
            truncateEpochCacheFromStartLocked(_logStartOffset)
            producerStateHeadTruncatedLocked()
            return _logStartOffset
        }
        onCheckpointNeeded?()
        return result
    }

    /// Removes the first `count` segments (never the active one).
    func deleteSegmentsLocked(_ count: Int) throws {
        guard count > 0 else { return }
        precondition(count < segmentList.count, "the active segment is never deleted")
        for seg in segmentList[0 ..< count] { try seg.delete() }
        segmentList.removeFirst(count)
        _logStartOffset = max(_logStartOffset, segmentList[0].baseOffset)
        let start = _logStartOffset
        updateHighWatermark { max($0, start) }
        truncateEpochCacheFromStartLocked(_logStartOffset)
        producerStateHeadTruncatedLocked()
        try FileSystem.syncDirectory(directory)
    }

    /// Removes every record at or above `offset` (whole batches: the new end may fall below
    /// `offset` if it was inside a batch). Used when a follower's log diverged from the leader's.
    /// The leader epoch cache loses every entry starting at or after the new log end offset —
    /// also when `offset` is at or past the end, which drops an epoch a former leader assigned
    /// but never wrote to (as Kafka's `truncateTo` does). Producer state is reloaded to match the
    /// new end (see `PartitionLog+ProducerState.swift`).
    public func truncate(to offset: Int64) throws {
        try withCleaningPaused(truncatedTo: offset) { try truncateUnpaused(to: offset) }
    }

    private func truncateUnpaused(to offset: Int64) throws {
        let changed = try locked { () throws -> Bool in
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            guard offset < activeSegment.nextOffset else {
                truncateEpochCacheFromEndLocked(activeSegment.nextOffset)
                return false
            }
            if offset <= segmentList[0].baseOffset {
                try truncateFullyLocked(startingAt: offset)
            } else {
                while segmentList.count > 1, activeSegment.baseOffset >= offset {
                    try activeSegment.delete()
                    segmentList.removeLast()
                }
                try activeSegment.truncate(to: offset)
            }
            let leo = activeSegment.nextOffset
            updateHighWatermark { min($0, leo) }
            _recoveryPoint = min(_recoveryPoint, leo)
            _logStartOffset = min(_logStartOffset, leo)
            truncateEpochCacheFromEndLocked(leo)
            try producerStateTruncatedLocked()
            return true
        }
        if changed { onCheckpointNeeded?() }
    }

    /// Deletes all data and restarts the log empty at `offset`, with an empty leader epoch cache
    /// and no producer state.
    public func truncateFully(startingAt offset: Int64) throws {
        try withCleaningPaused(truncatedTo: offset) {
            try locked {
                guard !closed else { throw StorageError.logClosed(topicPartition) }
                try truncateFullyLocked(startingAt: offset)
            }
        }
        onCheckpointNeeded?()
    }

    private func truncateFullyLocked(startingAt offset: Int64) throws {
        for seg in segmentList { try seg.delete() }
        segmentList = [try LogSegment(directory: directory, baseOffset: offset, config: _config, nowMs: clock.nowMs())]
        _logStartOffset = offset
        updateHighWatermark { _ in offset }
        _recoveryPoint = offset
        try clearEpochCacheLocked()
        try producerStateClearedLocked()
        try FileSystem.syncDirectory(directory)
    }

    /// Checks the invariants documented on `PartitionLog`; returns the violations (empty when sound).
    public func checkInvariants() -> [String] {
        reading {
            var problems: [String] = []
            let leo = activeSegment.nextOffset
            if !(_logStartOffset <= _highWatermark && _highWatermark <= leo) {
                problems.append("expected logStartOffset \(_logStartOffset) <= highWatermark \(_highWatermark) <= logEndOffset \(leo)")
            }
            if _recoveryPoint > leo { problems.append("recoveryPoint \(_recoveryPoint) > logEndOffset \(leo)") }
            for (a, b) in zip(segmentList, segmentList.dropFirst()) {
                if a.baseOffset >= b.baseOffset { problems.append("segments out of order: \(a.baseOffset) then \(b.baseOffset)") }
                if a.nextOffset > b.baseOffset { problems.append("segment \(a.baseOffset) runs into \(b.baseOffset)") }
            }
            problems += epochCache.checkInvariants()
            if let first = epochCache.entries.first, first.startOffset < _logStartOffset {
                problems.append("leader epoch entry \(first) starts below logStartOffset \(_logStartOffset)")
            }
            if let last = epochCache.latestEntry, last.startOffset > leo {
                problems.append("leader epoch entry \(last) starts past logEndOffset \(leo)")
            }
            if !producerState.checkInvariants() { problems.append("producer state breaks its invariants") }
            for entry in producerState.producers.values where entry.lastKnownOffset >= leo {
                problems.append("producer \(entry.producerId) has a batch or marker at \(entry.lastKnownOffset), past logEndOffset \(leo)")
            }
            for seg in segmentList {
                let end = seg === activeSegment ? Int64.max : seg.nextOffset
                for e in seg.txnIndex.entries where !e.isValid(in: seg.baseOffset ..< max(end, seg.baseOffset + 1)) || e.lastOffset >= leo {
                    problems.append("segment \(seg.baseOffset) lists aborted transaction \(e) outside it")
                }
            }
            let published = readPublished { $0 }
            if published.lastStableOffset > published.highWatermark {
                problems.append("last stable offset \(published.lastStableOffset) > highWatermark \(published.highWatermark)")
            }
            if let first = producerState.firstUnstableOffset, published.lastStableOffset > max(first, _logStartOffset) {
                problems.append("last stable offset \(published.lastStableOffset) passes the open transaction at \(first)")
            }
            return problems
        }
    }
}
