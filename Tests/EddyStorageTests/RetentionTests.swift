import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct RetentionTests {
    func filledLog(_ dir: TempDir, _ kv: [String: String], clock: ManualClock) throws -> PartitionLog {
        var kv = kv
        // Two batches per segment (two-digit values make the later batches the largest).
        kv["segment.bytes"] = kv["segment.bytes"] ?? "\(makeBatch(first: 10, count: 2).count * 2)"
        let log = try openLog(dir, config: config(kv), clock: clock)
        // 5 segments of 2 batches; batch i has timestamps starting at 1000*i.
        for i in 0 ..< 10 {
            try log.append(makeBatch(first: i * 2, count: 2, timestamp: Int64(i) * 1000))
        }
        log.maybeIncrementHighWatermark(log.logEndOffset)
        return log
    }

    @Test func retentionMsDeletesExpiredInactiveSegmentsOnly() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 100_000)
        let log = try filledLog(dir, ["retention.ms": "95000"], clock: clock)
        #expect(log.segmentCount == 5)
        // Segment k holds timestamps up to 1000*(2k+1)+1; now - max > 95000 for max < 5000.
        #expect(try log.enforceRetention() == 2)
        #expect(log.logStartOffset == 8)
        #expect(values(try readAll(log)).first == "v8")
        // Far in the future everything but the active segment goes.
        clock.advance(ms: 10_000_000)
        #expect(try log.enforceRetention() == 2)
        #expect(log.segmentCount == 1 && log.logStartOffset == 16)
        #expect(segmentFiles(dir, suffix: "log").count == 1)
    }

    @Test func retentionBytesKeepsTheLogUnderTheLimit() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 0)
        let log = try filledLog(dir, [:], clock: clock)
        let segs = log.segments
        #expect(segs.count == 5)
        // Limit: the last two segments plus a little. Deleting the first three gets under it;
        // deleting a fourth would overshoot, so it stays.
        let limit = segs[3].sizeInBytes + segs[4].sizeInBytes + 10
        var cfg = log.config
        try cfg.apply(["retention.bytes": "\(limit)"])
        log.updateConfig(cfg)
        #expect(try log.enforceRetention() == 2)
        #expect(log.segmentCount == 3)
        #expect(log.sizeInBytes > limit)
        #expect(log.sizeInBytes - segs[2].sizeInBytes <= limit)
    }

    @Test func compactOnlyTopicsIgnoreTimeAndSize() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 100_000_000)
        let log = try filledLog(dir, ["retention.ms": "1", "retention.bytes": "1", "cleanup.policy": "compact"], clock: clock)
        #expect(try log.enforceRetention() == 0)
        #expect(log.segmentCount == 5)
    }

    @Test func neverDeletesAboveTheHighWatermark() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 100_000_000)
        let log = try openLog(dir, config: config(["retention.ms": "1", "segment.bytes": "200"]), clock: clock)
        for i in 0 ..< 6 { try log.append(makeBatch(first: i * 2, count: 2, timestamp: 0)) }
        #expect(log.highWatermark == 0)
        #expect(try log.enforceRetention() == 0)
        log.maybeIncrementHighWatermark(log.logEndOffset)
        let before = log.segmentCount
        #expect(try log.enforceRetention() == before - 1)
        #expect(log.segmentCount == 1)
    }

    @Test func deleteRecordsAdvancesLogStartOffset() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 0)
        let log = try filledLog(dir, [:], clock: clock)
        #expect(try log.deleteRecords(before: 5) == 5)
        #expect(log.logStartOffset == 5)
        #expect(log.segments.first!.baseOffset == 4) // segment [4,8) still holds offset 5
        #expect(throws: StorageError.self) { try log.read(from: 4, maxBytes: 100) }
        #expect(try readAll(log).first!.offset == 5)
        #expect(try log.deleteRecords(before: 3) == 5) // never moves back
        #expect(throws: StorageError.self) { try log.deleteRecords(before: 21) } // beyond HW
        try log.deleteRecords(before: 20)
        #expect(log.segmentCount == 1)
    }

    @Test func logStartOffsetSurvivesRestartThroughLogManager() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 0)
        let tp = TopicPartition("t", 0)
        do {
            let lm = try LogManager(directory: dir.path, clock: clock)
            let log = try lm.getOrCreateLog(tp, config: config(["segment.bytes": "200"]))
            for i in 0 ..< 6 { try log.append(makeBatch(first: i * 2, count: 2)) }
            log.maybeIncrementHighWatermark(log.logEndOffset)
            try log.deleteRecords(before: 7)
            // Crash: no shutdown, no clean marker.
            log.closeWithoutFlush()
        }
        let lm = try LogManager(directory: dir.path, clock: clock)
        #expect(lm.hadCleanShutdown == false)
        let log = try lm.getOrCreateLog(tp, config: config(["segment.bytes": "200"]))
        #expect(log.logStartOffset == 7)
        #expect(try readAll(log).first!.offset == 7)
    }
}
