import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// Compaction through a real LogManager, PartitionLog and files on disk.
@Suite struct CompactionIntegrationTests {
    let tp = TopicPartition("t", 0)

    func record(_ key: String, _ value: String?, ts: Int64) -> [UInt8] {
        var b = RecordBatchBuilder()
        b.append(timestamp: ts, key: Array(key.utf8), value: value.map { Array($0.utf8) })
        return b.build().bytes
    }

    /// Appends 5 rounds of updates to keys k0..k4, a tombstone for k2, then rolls.
    /// Returns what each offset held.
    func fill(_ log: PartitionLog, clock: ManualClock) throws -> [Int64: (String, String?)] {
        var written: [Int64: (String, String?)] = [:]
        for round in 0 ..< 5 {
            for k in 0 ..< 5 {
                let info = try log.append(record("k\(k)", "v\(k).\(round)", ts: clock.nowMs()))
                written[info.firstOffset] = ("k\(k)", "v\(k).\(round)")
            }
        }
        let info = try log.append(record("k2", nil, ts: clock.nowMs()))
        written[info.firstOffset] = ("k2", nil)
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        return written
    }

    func contents(_ log: PartitionLog) throws -> [(offset: Int64, key: String, value: String?)] {
        try readAll(log).map { ($0.offset, String(decoding: $0.key ?? [], as: UTF8.self), $0.value.map { String(decoding: $0, as: UTF8.self) }) }
    }

    /// A compacted log (small segments, cleaning at any dirt) in a fresh LogManager whose cleaner
    /// runs only when a test calls `cleanOnce()`; `overrides` adds or replaces configs.
    func openCompacted(_ overrides: [String: String]) throws -> (TempDir, ManualClock, LogManager, PartitionLog, LogConfig) {
        let dir = TempDir()
        let clock = ManualClock(nowMs: 1_000_000)
        let cfg = config(["cleanup.policy": "compact", "segment.bytes": "400", "min.cleanable.dirty.ratio": "0.01"]
            .merging(overrides) { $1 })
        let lm = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        return (dir, clock, lm, try lm.getOrCreateLog(tp, config: cfg), cfg)
    }

    @Test func compactsToTheLatestValuePerKeyKeepingOffsets() throws {
        let (dir, clock, lm, log, cfg) = try openCompacted(["delete.retention.ms": "1000"])
        defer { dir.cleanup() }
        let written = try fill(log, clock: clock)
        let sizeBefore = log.sizeInBytes
        #expect(log.segmentCount > 3)

        #expect(lm.cleaner.cleanOnce())
        let after = try contents(log)
        // Every key appears once, with its newest value, at the offset it was written.
        #expect(after.map(\.key) == ["k0", "k1", "k3", "k4", "k2"])
        #expect(after.map(\.value) == ["v0.4", "v1.4", "v3.4", "v4.4", nil])
        for r in after { #expect(written[r.offset]! == (r.key, r.value)) }
        // Groups are formed from the segments' sizes before cleaning (as in Kafka), so full
        // segments are not merged in the first round; the bytes shrink all the same.
        #expect(log.sizeInBytes < sizeBefore / 2)
        #expect(FileManager.default.fileExists(atPath: dir.file("t-0/" + PartitionLog.offsetGapsMarker)))
        #expect(log.checkInvariants().isEmpty)
        #expect(lm.cleaner.checkpoints[tp] == log.segments.last!.baseOffset)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("t-0"))
            .filter { $0.hasSuffix(".cleaned") || $0.hasSuffix(".swap") || $0.hasSuffix(".deleted") }
        #expect(leftovers.isEmpty)

        // A crash now: recovery must accept the gaps the cleaner left, losing nothing.
        log.closeWithoutFlush()
        let reopened = try PartitionLog(directory: dir.file("t-0"), topicPartition: tp, config: cfg, clock: clock, recoveryPoint: 0)
        #expect(try contents(reopened).map(\.offset) == after.map(\.offset))
    }

    @Test func tombstonesGoAfterDeleteRetention() throws {
        let (dir, clock, lm, log, _) = try openCompacted(["delete.retention.ms": "1000"])
        defer { dir.cleanup() }
        _ = try fill(log, clock: clock)
        #expect(lm.cleaner.cleanOnce())
        #expect(try contents(log).contains { $0.key == "k2" && $0.value == nil })
        // New dirty data and time past the tombstone's delete horizon.
        clock.advance(ms: 5000)
        for k in [0, 1, 3, 4] { try log.append(record("k\(k)", "w\(k)", ts: clock.nowMs())) }
        try log.roll()
        log.maybeIncrementHighWatermark(log.logEndOffset)
        #expect(lm.cleaner.cleanOnce())
        let after = try contents(log)
        #expect(!after.contains { $0.key == "k2" })
        #expect(after.map(\.value) == ["w0", "w1", "w3", "w4"])
    }

    @Test func appendsContinueWhileTheCleanerRunsInTheBackground() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 1_000_000)
        let cfg = config(["cleanup.policy": "compact", "segment.bytes": "300", "min.cleanable.dirty.ratio": "0.01"])
        let lm = try LogManager(directory: dir.path, clock: clock,
                                cleanerSettings: LogCleaner.Settings(backoffMs: 1), startCleaner: true)
        let log = try lm.getOrCreateLog(tp, config: cfg)
        var latest: [String: String] = [:]
        for i in 0 ..< 400 {
            let k = "k\(i % 7)"
            try log.append(record(k, "v\(i)", ts: clock.nowMs()))
            latest[k] = "v\(i)"
            log.maybeIncrementHighWatermark(log.logEndOffset)
        }
        try lm.shutdown()
        let reopened = try LogManager(directory: dir.path, clock: clock, startCleaner: false)
        let l2 = try reopened.getOrCreateLog(tp, config: cfg)
        // Whatever the cleaner managed, the newest value of every key is still the last one read.
        var seen: [String: String] = [:]
        var lastOffset: Int64 = -1
        for r in try contents(l2) {
            #expect(r.offset > lastOffset)
            lastOffset = r.offset
            seen[r.key] = r.value
        }
        #expect(seen == latest)
        #expect(l2.logEndOffset == 400)
    }

    @Test func retentionAndDeleteRecordsPauseTheCleaner() throws {
        let (dir, clock, lm, log, _) = try openCompacted(["cleanup.policy": "compact,delete", "retention.ms": "10000"])
        defer { dir.cleanup() }
        _ = try fill(log, clock: clock)
        try log.deleteRecords(before: 3)
        #expect(lm.cleaner.cleaningState(tp) == nil) // resumed afterwards
        clock.advance(ms: 20_000)
        try lm.runMaintenance()
        #expect(log.segmentCount == 1) // time retention applies to compact,delete
        #expect(lm.cleaner.cleaningState(tp) == nil)
    }
}
