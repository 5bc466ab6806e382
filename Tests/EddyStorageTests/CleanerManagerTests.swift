import EddyProtocol
@testable import EddyStorage
import Testing

/// The cleaner state machine: choosing logs, checkpoints, pausing and aborting.
@Suite struct CleanerManagerTests {
    typealias F = CleanerFixtures
    let now: Int64 = 1_700_000_000_000

    /// A log with `clean` bytes below offset 10 and `dirty` bytes in [10, 20), active at 20.
    func log(_ name: String, clean: Int64, dirty: Int64, config: LogConfig? = nil, firstBatch: Int64? = nil) throws -> CleanerLogSnapshot {
        CleanerLogSnapshot(topicPartition: TopicPartition(name, 0), config: try config ?? F.config(), logStartOffset: 0,
                           logEndOffset: 21, upperBoundOffset: 21, segments: [
                               .init(baseOffset: 0, sizeInBytes: clean, largestTimestamp: now - 100, firstBatchTimestamp: firstBatch),
                               .init(baseOffset: 10, sizeInBytes: dirty, largestTimestamp: now - 100, firstBatchTimestamp: firstBatch),
                               .init(baseOffset: 20, sizeInBytes: 10, largestTimestamp: now),
                           ])
    }

    func checkpointed(_ names: [String]) -> LogCleanerManager {
        LogCleanerManager(checkpoints: Dictionary(uniqueKeysWithValues: names.map { (TopicPartition($0, 0), 10) }))
    }

    func chosen(_ actions: [LogCleanerManager.Action]) -> TopicPartition? {
        guard case let .clean(ltc) = actions.last else { return nil }
        return ltc.topicPartition
    }

    @Test func choosesTheDirtiestLogAboveMinCleanableDirtyRatio() throws {
        let logs = [try log("a", clean: 70, dirty: 30), try log("b", clean: 30, dirty: 70), try log("c", clean: 10, dirty: 90)]
        var m = checkpointed(["a", "b", "c"])
        #expect(chosen(m.grabFilthiestCompactedLog(logs, now: now)) == TopicPartition("c", 0))
        #expect(m.dirtiestLogCleanableRatio == 0.9)
        #expect(m.states[TopicPartition("c", 0)] == .inProgress)
        // c is in progress, so b is next; a (0.3) stays below the default 0.5.
        #expect(chosen(m.grabFilthiestCompactedLog(logs, now: now)) == TopicPartition("b", 0))
        #expect(m.grabFilthiestCompactedLog(logs, now: now).isEmpty)
        #expect(m.dirtiestLogCleanableRatio == 0.3)
    }

    @Test func ratioMustExceedTheThresholdStrictly() throws {
        var m = checkpointed(["a"])
        #expect(m.grabFilthiestCompactedLog([try log("a", clean: 50, dirty: 50)], now: now).isEmpty)
        let low = try F.config(["min.cleanable.dirty.ratio": "0.49"])
        #expect(chosen(m.grabFilthiestCompactedLog([try log("a", clean: 50, dirty: 50, config: low)], now: now)) == TopicPartition("a", 0))
    }

    @Test func onlyCompactedLogsAreChosen() throws {
        var m = checkpointed(["d", "cd"])
        let delete = try LogConfig(overrides: ["cleanup.policy": "delete"])
        let both = try LogConfig(overrides: ["cleanup.policy": "compact,delete"])
        let actions = m.grabFilthiestCompactedLog([try log("d", clean: 0, dirty: 100, config: delete),
                                                   try log("cd", clean: 40, dirty: 60, config: both)], now: now)
        #expect(chosen(actions) == TopicPartition("cd", 0))
        #expect(m.grabFilthiestCompactedLog([try log("d", clean: 0, dirty: 100, config: delete)], now: now).isEmpty)
    }

    @Test func maxCompactionLagForcesCleaningBelowTheRatio() throws {
        let config = try F.config(["max.compaction.lag.ms": "1000"])
        var m = checkpointed(["a"])
        #expect(m.grabFilthiestCompactedLog([try log("a", clean: 90, dirty: 10, config: config, firstBatch: now - 999)], now: now).isEmpty)
        #expect(chosen(m.grabFilthiestCompactedLog([try log("a", clean: 90, dirty: 10, config: config, firstBatch: now - 1001)],
                                                   now: now)) == TopicPartition("a", 0))
    }

    @Test func skipsEmptyLogsAndResetsInvalidCheckpoints() throws {
        var m = LogCleanerManager(checkpoints: [TopicPartition("a", 0): 99])
        let actions = m.grabFilthiestCompactedLog([try log("a", clean: 0, dirty: 100)], now: now)
        #expect(actions.first == .writeCheckpoint([TopicPartition("a", 0): 0]))
        #expect(chosen(actions) == TopicPartition("a", 0))
        var empty = LogCleanerManager()
        #expect(empty.grabFilthiestCompactedLog([try log("e", clean: 0, dirty: 0)], now: now).isEmpty)
    }

    @Test func doneCleaningMovesTheCheckpoint() throws {
        var m = checkpointed(["a"])
        let tp = TopicPartition("a", 0)
        _ = m.grabFilthiestCompactedLog([try log("a", clean: 10, dirty: 90)], now: now)
        #expect(try m.doneCleaning(tp, endOffset: 20) == [.writeCheckpoint([tp: 20])])
        #expect(m.states[tp] == nil)
        #expect(throws: LogCleanerError.self) { try m.doneCleaning(tp, endOffset: 20) }
    }

    @Test func abortAndPauseStopsARoundWithoutMovingTheCheckpoint() throws {
        var m = checkpointed(["a"])
        let tp = TopicPartition("a", 0)
        let logs = [try log("a", clean: 10, dirty: 90)]
        _ = m.grabFilthiestCompactedLog(logs, now: now)
        #expect(m.abortAndPause(tp) == .mustAwaitCleanerStop)
        #expect(m.abortAndPause(tp) == .mustAwaitCleanerStop)
        #expect(m.isAborted(tp))
        #expect(try m.doneCleaning(tp, endOffset: 20) == [.cleaningStopped(tp)])
        #expect(m.checkpoints[tp] == 10)
        #expect(m.states[tp] == .paused(2))
        #expect(m.grabFilthiestCompactedLog(logs, now: now).isEmpty)
        try m.resume(tp)
        #expect(m.isPaused(tp))
        try m.resume(tp)
        #expect(m.states[tp] == nil)
        #expect(throws: LogCleanerError.self) { try m.resume(tp) }
        #expect(chosen(m.grabFilthiestCompactedLog(logs, now: now)) == tp)
    }

    @Test func pausesNest() throws {
        var m = LogCleanerManager()
        let tp = TopicPartition("a", 0)
        #expect(m.abortAndPause(tp) == .paused)
        #expect(m.abortAndPause(tp) == .paused)
        #expect(m.states[tp] == .paused(2))
        #expect(throws: LogCleanerError.self) { try m.doneCleaning(tp, endOffset: 1) }
        try m.resume(tp)
        try m.resume(tp)
        #expect(m.states[tp] == nil)
    }

    @Test func failedLogsBecomeUncleanable() throws {
        var m = checkpointed(["a", "b"])
        let a = TopicPartition("a", 0)
        let logs = [try log("a", clean: 10, dirty: 90), try log("b", clean: 40, dirty: 60)]
        _ = m.grabFilthiestCompactedLog(logs, now: now)
        #expect(try m.cleaningFailed(a, firstDirtyOffset: 10) == [.writeCheckpoint(m.checkpoints)])
        #expect(m.uncleanable == [a])
        #expect(chosen(m.grabFilthiestCompactedLog(logs, now: now)) == TopicPartition("b", 0))
        m.clearUncleanable(a)
        #expect(chosen(m.grabFilthiestCompactedLog(logs, now: now)) == a)
    }

    @Test func retentionPassReservesIdleLogs() throws {
        var m = checkpointed(["busy"])
        let busy = TopicPartition("busy", 0), cd = TopicPartition("cd", 0), d = TopicPartition("d", 0)
        _ = m.grabFilthiestCompactedLog([try log("busy", clean: 0, dirty: 100)], now: now)
        let compactDelete = try LogConfig(overrides: ["cleanup.policy": "compact,delete"])
        let pass = m.beginRetention([(busy, compactDelete), (cd, compactDelete), (d, LogConfig())])
        #expect(pass == .init(compacted: [cd], nonCompacted: [d]))
        #expect(m.grabFilthiestCompactedLog([try log("cd", clean: 0, dirty: 100)], now: now).isEmpty)
        // Pausing a log under retention waits for the pass, then the log is paused.
        #expect(m.abortAndPause(cd) == .mustAwaitCleanerStop)
        #expect(try m.endRetention(pass) == [.cleaningStopped(cd)])
        #expect(m.states[cd] == .paused(1))
        #expect(m.states[d] == nil)
        #expect(m.states[busy] == .inProgress)
    }

    @Test func truncationAndDeletionAdjustCheckpoints() throws {
        let a = TopicPartition("a", 0), b = TopicPartition("b", 0)
        var m = LogCleanerManager(checkpoints: [a: 50, b: 7])
        #expect(m.logTruncated(a, to: 60) == [])
        #expect(m.logTruncated(a, to: 40) == [.writeCheckpoint([a: 40, b: 7])])
        _ = m.abortAndPause(b)
        #expect(m.logDeleted(b) == [.writeCheckpoint([a: 40])])
        #expect(m.states[b] == nil)
        #expect(m.logDeleted(b) == [])
    }
}
