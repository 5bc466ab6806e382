import EddyProtocol
import Foundation
import Logging

/// The background log cleaner (Kafka's `LogCleaner` with one cleaner thread): repeatedly asks
/// the `LogCleanerManager` for the dirtiest compacted log, cleans it with `LogCompactor`, swaps
/// each cleaned group in through the log's `replaceSegments`, and records the new first dirty
/// offset in `<logDir>/cleaner-offset-checkpoint` (format: `CleanerOffsetCheckpoint`).
///
/// Thread-safe. One internal condition lock guards the manager; it is never held while a log's
/// lock is taken or while segments are read or written. Callers that change a log's segments
/// other than by appending — retention on a compacted log, truncation, DeleteRecords, deletion —
/// call `abortAndPause` first and `resume` after; they must not hold the log's lock while they
/// wait, because the cleaner may need it to finish a swap.
public final class LogCleaner: @unchecked Sendable {
    public struct Settings: Sendable {
        /// Sleep when no log needs cleaning (Kafka's log.cleaner.backoff.ms).
        public var backoffMs: Int64
        public var compactor: LogCompactor.Options

        public init(backoffMs: Int64 = 15_000, compactor: LogCompactor.Options = .init()) {
            self.backoffMs = backoffMs
            self.compactor = compactor
        }
    }

    public let checkpointPath: String
    let clock: any Clock
    let logger: Logger
    let settings: Settings
    private let logs: @Sendable () -> [any CleanableLog]
    private let condition = NSCondition()
    private var manager: LogCleanerManager
    private var stopping = false
    private var thread: Thread?
    private let threadDone = DispatchSemaphore(value: 0)
    private let checkpointLock = NSLock()
    /// Called after every round (for tests and metrics): the partition and its stats, nil stats when the round failed.
    var onRoundFinished: (@Sendable (TopicPartition, CleanerStats?) -> Void)?

    /// - Parameters:
    ///   - logDirectory: where `cleaner-offset-checkpoint` lives; an unreadable file is logged
    ///     and ignored (every log then counts as dirty from its start, which is only more work).
    ///   - logs: the open logs, asked afresh each round.
    public init(logDirectory: String, clock: any Clock, settings: Settings = Settings(),
                logger: Logger = Logger(label: "eddy.cleaner"), logs: @escaping @Sendable () -> [any CleanableLog]) {
        checkpointPath = logDirectory + "/" + CleanerOffsetCheckpoint.fileName
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.logs = logs
        var stored: [TopicPartition: Int64] = [:]
        if FileSystem.exists(checkpointPath) {
            do {
                stored = try CleanerOffsetCheckpoint.decode(String(decoding: try FileSystem.readAll(checkpointPath), as: UTF8.self))
            } catch {
                logger.warning("ignoring unreadable cleaner checkpoint", metadata: ["path": "\(checkpointPath)", "error": "\(error)"])
            }
        }
        manager = LogCleanerManager(checkpoints: stored)
    }

    // MARK: State for callers

    /// The stored first dirty offset of each partition.
    public var checkpoints: [TopicPartition: Int64] { condition.withLock { manager.checkpoints } }
    public func cleaningState(_ tp: TopicPartition) -> LogCleanerManager.CleaningState? { condition.withLock { manager.states[tp] } }
    public var uncleanablePartitions: Set<TopicPartition> { condition.withLock { manager.uncleanable } }

    /// Stops any round on `tp` (without swapping in anything more) and keeps cleaning from
    /// starting until `resume`. Blocks until the cleaner has let go of the log. Calls nest.
    public func abortAndPause(_ tp: TopicPartition) {
        if requestAbortAndPause(tp) == .mustAwaitCleanerStop { awaitPaused(tp) }
    }

    /// The non-blocking half of `abortAndPause`.
    func requestAbortAndPause(_ tp: TopicPartition) -> LogCleanerManager.PauseOutcome {
        condition.withLock { manager.abortAndPause(tp) }
    }

    /// Waits until `tp` is paused (after `requestAbortAndPause`).
    func awaitPaused(_ tp: TopicPartition) {
        condition.lock()
        while !manager.isPaused(tp) { condition.wait() }
        condition.unlock()
    }

    /// Undoes one `abortAndPause`.
    public func resume(_ tp: TopicPartition) throws {
        condition.lock()
        defer { condition.unlock() }
        try manager.resume(tp)
    }

    /// Aborts a round on `tp` if one runs, without leaving it paused.
    public func abortCleaning(_ tp: TopicPartition) throws {
        abortAndPause(tp)
        try resume(tp)
    }

    /// Runs `body` as a retention pass: compacted logs in it are reserved so that no round
    /// runs on them meanwhile (logs being cleaned right now are left out; they get the next pass).
    public func withRetentionPass<R>(_ logs: [(TopicPartition, LogConfig)],
                                     _ body: (LogCleanerManager.RetentionPass) throws -> R) throws -> R {
        let pass = condition.withLock { manager.beginRetention(logs) }
        defer {
            let actions = condition.withLock { (try? manager.endRetention(pass)) ?? [] }
            perform(actions)
        }
        return try body(pass)
    }

    /// A log was truncated to `offset` (call while its cleaning is paused).
    public func logTruncated(_ tp: TopicPartition, to offset: Int64) {
        perform(condition.withLock { manager.logTruncated(tp, to: offset) })
    }

    /// A log was deleted (call after `abortAndPause`).
    public func logDeleted(_ tp: TopicPartition) {
        perform(condition.withLock { manager.logDeleted(tp) })
    }

    /// Lets a partition marked uncleanable after a failure be tried again.
    public func clearUncleanable(_ tp: TopicPartition) {
        condition.withLock { manager.clearUncleanable(tp) }
    }

    // MARK: Background thread

    /// Starts the cleaner thread.
    public func startup() {
        condition.withLock {
            guard thread == nil else { return }
            stopping = false
            let t = Thread { [self] in run() }
            t.name = "eddy-log-cleaner"
            thread = t
            t.start()
        }
    }

    /// Stops the thread: a running round stops at its next check without swapping anything
    /// more in (its checkpoint does not move), then the thread exits. Blocks until it has.
    public func shutdown() {
        let running = condition.withLock { () -> Bool in
            stopping = true
            condition.broadcast()
            return thread != nil
        }
        guard running else { return }
        threadDone.wait()
        condition.withLock { thread = nil }
    }

    /// Ends the current backoff sleep, e.g. after a config change.
    public func wakeup() { condition.withLock { condition.broadcast() } }

    private func run() {
        while !condition.withLock({ stopping }) {
            if cleanOnce() { continue }
            condition.lock()
            if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: Double(settings.backoffMs) / 1000)) }
            condition.unlock()
        }
        threadDone.signal()
    }

    // MARK: One round

    /// Chooses and cleans one log. Returns false when no log needed cleaning.
    @discardableResult
    public func cleanOnce() -> Bool {
        var byPartition: [TopicPartition: (log: any CleanableLog, snapshot: CleanerLogSnapshot)] = [:]
        for log in logs() {
            do {
                let s = try log.cleanerSnapshot()
                byPartition[s.topicPartition] = (log, s)
            } catch {
                logger.debug("skipping log for cleaning", metadata: ["log": "\(log.topicPartition)", "error": "\(error)"])
            }
        }
        let now = clock.nowMs()
        let actions = condition.withLock { () -> [LogCleanerManager.Action] in
            guard !stopping else { return [] }
            return manager.grabFilthiestCompactedLog(byPartition.values.map(\.snapshot), now: now)
        }
        perform(actions)
        guard case let .clean(ltc) = actions.last, let (log, snapshot) = byPartition[ltc.topicPartition] else { return false }
        let tp = ltc.topicPartition
        do {
            let (endOffset, stats) = try clean(log, ltc, config: snapshot.config, now: now)
            condition.lock()
            let done = Result { try manager.doneCleaning(tp, endOffset: endOffset) }
            condition.unlock()
            finish(tp, done)
            logger.info("cleaned log", metadata: [
                "log": "\(tp)", "firstDirtyOffset": "\(ltc.firstDirtyOffset)", "endOffset": "\(endOffset)",
                "bytesRead": "\(stats.bytesRead)", "bytesWritten": "\(stats.bytesWritten)",
                "recordsRemoved": "\(stats.recordsRemoved)", "tombstonesRemoved": "\(stats.tombstonesRemoved)",
            ])
            onRoundFinished?(tp, stats)
        } catch {
            condition.lock()
            let stopped = manager.isAborted(tp) || stopping
            // An aborted or interrupted round leaves the checkpoint where it was; a failed one
            // also marks the partition uncleanable.
            let done = stopped ? Result { try manager.doneCleaning(tp, endOffset: ltc.firstDirtyOffset) }
                : Result { try manager.cleaningFailed(tp, firstDirtyOffset: ltc.firstDirtyOffset) }
            condition.unlock()
            if stopped {
                logger.info("cleaning aborted", metadata: ["log": "\(tp)"])
            } else {
                logger.error("cleaning failed; partition marked uncleanable", metadata: ["log": "\(tp)", "error": "\(error)"])
            }
            finish(tp, done)
            onRoundFinished?(tp, nil)
        }
        return true
    }

    /// Cleans `log` over `ltc`'s range, swapping in each group as it is done.
    private func clean(_ log: any CleanableLog, _ ltc: LogToClean, config: LogConfig,
                       now: Int64) throws -> (endOffset: Int64, stats: CleanerStats) {
        let tp = ltc.topicPartition
        let check = { [self] () throws in
            if condition.withLock({ manager.isAborted(tp) || stopping }) { throw LogCleanerError.aborted(tp) }
        }
        let compactor = LogCompactor(config: config, now: now, producers: log.activeProducersForCleaning(),
                                     aborted: log.abortedTransactionsForCleaning(), options: settings.compactor)
        var stats = CleanerStats()
        let segments = try log.cleanerSegments(below: ltc.firstUncleanableOffset)
        var plan = try compactor.plan(segments: segments, firstDirtyOffset: ltc.firstDirtyOffset,
                                      firstUncleanableOffset: ltc.firstUncleanableOffset, stats: &stats, checkAborted: check)
        for group in plan.groups {
            let sink = try log.createCleanedSegment(baseOffset: group[0].baseOffset)
            do {
                let info = try compactor.cleanGroup(group, plan: &plan, stats: &stats, checkAborted: check) { bytes, header in
                    try sink.append(bytes, header: header)
                }
                try check()
                try log.replaceSegments(info.replacedBaseOffsets, with: sink, info: info)
            } catch {
                log.discardCleanedSegment(sink)
                throw error
            }
        }
        return (plan.endOffset, stats)
    }

    private func finish(_ tp: TopicPartition, _ done: Result<[LogCleanerManager.Action], any Error>) {
        switch done {
        case let .success(actions): perform(actions)
        case let .failure(e): logger.error("cleaner state error", metadata: ["log": "\(tp)", "error": "\(e)"])
        }
    }

    /// Carries out manager actions: checkpoint writes and waking paused waiters.
    private func perform(_ actions: [LogCleanerManager.Action]) {
        for action in actions {
            switch action {
            case .clean:
                break
            case .writeCheckpoint:
                writeCheckpoint()
            case .cleaningStopped:
                condition.withLock { condition.broadcast() }
            }
        }
    }

    /// Writes the manager's current checkpoints (always the latest, so concurrent writers
    /// cannot leave an older map on disk last).
    private func writeCheckpoint() {
        checkpointLock.withLock {
            let current = condition.withLock { manager.checkpoints }
            do {
                try FileSystem.writeAtomically(checkpointPath, Array(CleanerOffsetCheckpoint.encode(current).utf8))
            } catch {
                logger.error("failed to write cleaner checkpoint", metadata: ["path": "\(checkpointPath)", "error": "\(error)"])
            }
        }
    }
}
