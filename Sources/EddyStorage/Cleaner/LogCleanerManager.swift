import EddyProtocol

/// The cleaner's bookkeeping as a plain state machine (Kafka's `LogCleanerManager`): events
/// in, actions out; the caller holds it under a lock, does the I/O, and wakes waiters.
///
/// Per partition it keeps the cleaner checkpoint (first dirty offset, persisted in
/// `cleaner-offset-checkpoint`, see `CleanerOffsetCheckpoint`) and a cleaning state:
///
///     none ──grab──▶ inProgress ──doneCleaning──▶ none          (checkpoint := endOffset)
///     inProgress ──abortAndPause──▶ aborted(n) ──doneCleaning──▶ paused(n)   (no checkpoint)
///     none ──abortAndPause──▶ paused(1);  paused(n) ──abortAndPause──▶ paused(n+1)
///     paused(n) ──resume──▶ paused(n-1), or none when n = 1
///
/// A paused partition is never chosen, so retention, truncation and deletion pause cleaning
/// around their own work. While a partition is aborted the cleaner must stop at its next
/// `isAborted` check (`LogCompactor`'s `checkAborted`) without swapping anything in, then
/// report `doneCleaning`; whoever asked to pause waits for the `.cleaningStopped` action.
/// Partitions whose cleaning failed are marked uncleanable and skipped until deleted or
/// explicitly cleared.
public struct LogCleanerManager: Sendable {
    public enum CleaningState: Sendable, Equatable {
        case inProgress
        /// Abort requested while cleaning; `pauses` callers wait for the cleaner to stop.
        case aborted(pauses: Int)
        case paused(Int)
    }

    public enum Action: Sendable, Equatable {
        /// Clean this log: pass its segments below `firstUncleanableOffset` to `LogCompactor`,
        /// swap each cleaned group in, then report `doneCleaning` (or `cleaningFailed`).
        case clean(LogToClean)
        /// Persist the whole map as `cleaner-offset-checkpoint` (atomically: temp file, fsync, rename).
        case writeCheckpoint([TopicPartition: Int64])
        /// The cleaner stopped on an aborted partition, which is now paused: wake its waiters.
        case cleaningStopped(TopicPartition)
    }

    public enum PauseOutcome: Sendable, Equatable {
        /// Paused at once: nothing was cleaning the partition.
        case paused
        /// The partition is being cleaned: wait for `.cleaningStopped` (or until `isPaused`).
        case mustAwaitCleanerStop
    }

    /// Which logs a retention pass may touch, from `beginRetention`.
    public struct RetentionPass: Sendable, Equatable {
        /// Compacted logs, marked in progress so the cleaner leaves them alone meanwhile.
        public var compacted: [TopicPartition]
        /// Non-compacted logs, paused so a switch to compaction cannot start cleaning meanwhile.
        public var nonCompacted: [TopicPartition]
    }

    public private(set) var checkpoints: [TopicPartition: Int64]
    public private(set) var states: [TopicPartition: CleaningState] = [:]
    public private(set) var uncleanable: Set<TopicPartition> = []
    /// The largest dirty ratio seen by the last `grabFilthiestCompactedLog` (Kafka's max-dirty-percent).
    public private(set) var dirtiestLogCleanableRatio = 0.0

    public init(checkpoints: [TopicPartition: Int64] = [:]) {
        self.checkpoints = checkpoints
    }

    public func isAborted(_ tp: TopicPartition) -> Bool {
        if case .aborted = states[tp] { return true }
        return false
    }

    public func isPaused(_ tp: TopicPartition) -> Bool {
        if case .paused = states[tp] { return true }
        return false
    }

    /// Chooses the dirtiest compacted log whose dirty ratio exceeds its min.cleanable.dirty.ratio,
    /// or any log with cleanable bytes past its max.compaction.lag.ms, and marks it in progress.
    /// Logs already in progress, paused or uncleanable are skipped, and so are empty ones.
    /// Invalid checkpoints found on the way are reset and written out.
    public mutating func grabFilthiestCompactedLog(_ logs: [CleanerLogSnapshot], now: Int64) -> [Action] {
        var actions: [Action] = []
        var forced = false
        var candidates: [(log: CleanerLogSnapshot, ltc: LogToClean)] = []
        for log in logs where log.config.compact && states[log.topicPartition] == nil
            && !uncleanable.contains(log.topicPartition) && !log.segments.isEmpty {
            let offsets = log.cleanableOffsets(checkpoint: checkpoints[log.topicPartition], now: now)
            if offsets.forceUpdateCheckpoint {
                checkpoints[log.topicPartition] = offsets.firstDirtyOffset
                forced = true
            }
            let delay = log.maxCompactionDelay(firstDirtyOffset: offsets.firstDirtyOffset, now: now)
            let ltc = LogToClean(log, firstDirtyOffset: offsets.firstDirtyOffset,
                                 uncleanableOffset: offsets.firstUncleanableDirtyOffset, needCompactionNow: delay > 0)
            if ltc.totalBytes > 0 { candidates.append((log, ltc)) }
        }
        if forced { actions.append(.writeCheckpoint(checkpoints)) }
        dirtiestLogCleanableRatio = candidates.map(\.ltc.cleanableRatio).max() ?? 0
        let cleanable = candidates.filter {
            ($0.ltc.needCompactionNow && $0.ltc.cleanableBytes > 0) || $0.ltc.cleanableRatio > $0.log.config.minCleanableDirtyRatio
        }
        // Dirtiest first; ties go to the lowest partition so the choice is deterministic.
        guard let chosen = cleanable.map(\.ltc).min(by: {
            $0.cleanableRatio != $1.cleanableRatio ? $0.cleanableRatio > $1.cleanableRatio : $0.topicPartition < $1.topicPartition
        }) else { return actions }
        states[chosen.topicPartition] = .inProgress
        actions.append(.clean(chosen))
        return actions
    }

    /// The round on `tp` ended. If it was not aborted, `endOffset` (the compactor's `endOffset`,
    /// or the round's first dirty offset if it made no progress) becomes the checkpoint.
    public mutating func doneCleaning(_ tp: TopicPartition, endOffset: Int64) throws(LogCleanerError) -> [Action] {
        switch states[tp] {
        case .inProgress:
            states[tp] = nil
            checkpoints[tp] = endOffset
            return [.writeCheckpoint(checkpoints)]
        case let .aborted(pauses):
            states[tp] = .paused(pauses)
            return [.cleaningStopped(tp)]
        case nil, .paused:
            throw .illegalState(tp, "doneCleaning in state \(String(describing: states[tp]))")
        }
    }

    /// The round on `tp` failed (corrupt segment, I/O error): mark it uncleanable and end the
    /// round without moving its checkpoint.
    public mutating func cleaningFailed(_ tp: TopicPartition, firstDirtyOffset: Int64) throws(LogCleanerError) -> [Action] {
        uncleanable.insert(tp)
        return try doneCleaning(tp, endOffset: firstDirtyOffset)
    }

    /// Allows cleaning `tp` again after `cleaningFailed`.
    public mutating func clearUncleanable(_ tp: TopicPartition) {
        uncleanable.remove(tp)
    }

    /// Stops any cleaning of `tp` and keeps it from starting until `resume`. Calls nest.
    public mutating func abortAndPause(_ tp: TopicPartition) -> PauseOutcome {
        switch states[tp] {
        case nil:
            states[tp] = .paused(1)
            return .paused
        case let .paused(n):
            states[tp] = .paused(n + 1)
            return .paused
        case .inProgress:
            states[tp] = .aborted(pauses: 1)
            return .mustAwaitCleanerStop
        case let .aborted(n):
            states[tp] = .aborted(pauses: n + 1)
            return .mustAwaitCleanerStop
        }
    }

    /// Undoes one `abortAndPause`.
    public mutating func resume(_ tp: TopicPartition) throws(LogCleanerError) {
        guard case let .paused(n) = states[tp] else {
            throw .illegalState(tp, "resume in state \(String(describing: states[tp]))")
        }
        states[tp] = n > 1 ? .paused(n - 1) : nil
    }

    /// Starts a retention pass (Kafka's `deletableLogs` and `pauseCleaningForNonCompactedPartitions`):
    /// logs not busy with cleaning are reserved for retention; busy ones wait for the next pass.
    public mutating func beginRetention(_ logs: [(TopicPartition, LogConfig)]) -> RetentionPass {
        var pass = RetentionPass(compacted: [], nonCompacted: [])
        for (tp, config) in logs where states[tp] == nil {
            if config.compact {
                guard !uncleanable.contains(tp) else { continue }
                states[tp] = .inProgress
                pass.compacted.append(tp)
            } else {
                states[tp] = .paused(1)
                pass.nonCompacted.append(tp)
            }
        }
        return pass
    }

    /// Ends a retention pass (Kafka's `doneDeleting` and `resumeCleaning`).
    public mutating func endRetention(_ pass: RetentionPass) throws(LogCleanerError) -> [Action] {
        var actions: [Action] = []
        for tp in pass.compacted {
            switch states[tp] {
            case .inProgress: states[tp] = nil
            case let .aborted(n):
                states[tp] = .paused(n)
                actions.append(.cleaningStopped(tp))
            case nil, .paused: throw .illegalState(tp, "doneDeleting in state \(String(describing: states[tp]))")
            }
        }
        for tp in pass.nonCompacted { try resume(tp) }
        return actions
    }

    /// The log was truncated to `offset` (Kafka's `maybeTruncateCheckpoint`): a checkpoint
    /// above it moves down to it. Call while cleaning of `tp` is paused.
    public mutating func logTruncated(_ tp: TopicPartition, to offset: Int64) -> [Action] {
        guard let c = checkpoints[tp], c > offset else { return [] }
        checkpoints[tp] = offset
        return [.writeCheckpoint(checkpoints)]
    }

    /// The log was deleted: forget its checkpoint, state and uncleanable mark. Call after
    /// `abortAndPause` has completed.
    public mutating func logDeleted(_ tp: TopicPartition) -> [Action] {
        states[tp] = nil
        uncleanable.remove(tp)
        guard checkpoints.removeValue(forKey: tp) != nil else { return [] }
        return [.writeCheckpoint(checkpoints)]
    }
}
