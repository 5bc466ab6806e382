import EddyProtocol
@testable import EddyStorage
import Testing

/// Which offsets a round may clean: never the active segment, never at or past the high
/// watermark, nothing younger than min.compaction.lag.ms.
@Suite struct CleanerRangeTests {
    typealias F = CleanerFixtures
    let now: Int64 = 1_700_000_000_000

    func log(_ config: LogConfig, upperBound: Int64 = 25, logStart: Int64 = 0,
             timestamps: [Int64]? = nil) -> CleanerLogSnapshot {
        let ts = timestamps ?? [now - 10_000, now - 9_000, now - 8_000]
        return CleanerLogSnapshot(topicPartition: TopicPartition("t", 0), config: config, logStartOffset: logStart,
                                  logEndOffset: 25, upperBoundOffset: upperBound, segments: [
                                      .init(baseOffset: 0, sizeInBytes: 100, largestTimestamp: ts[0], firstBatchTimestamp: ts[0] - 500),
                                      .init(baseOffset: 10, sizeInBytes: 100, largestTimestamp: ts[1], firstBatchTimestamp: ts[1] - 500),
                                      .init(baseOffset: 20, sizeInBytes: 50, largestTimestamp: ts[2], firstBatchTimestamp: ts[2] - 500),
                                  ])
    }

    func toClean(_ l: CleanerLogSnapshot, checkpoint: Int64?) -> LogToClean {
        let o = l.cleanableOffsets(checkpoint: checkpoint, now: now)
        return LogToClean(l, firstDirtyOffset: o.firstDirtyOffset, uncleanableOffset: o.firstUncleanableDirtyOffset,
                          needCompactionNow: false)
    }

    @Test func activeSegmentIsNeverCleanable() throws {
        let l = log(try F.config())
        let o = l.cleanableOffsets(checkpoint: nil, now: now)
        #expect(o == .init(firstDirtyOffset: 0, firstUncleanableDirtyOffset: 20, forceUpdateCheckpoint: false))
        let ltc = toClean(l, checkpoint: nil)
        #expect(ltc.firstUncleanableOffset == 20)
        #expect(ltc.cleanBytes == 0)
        #expect(ltc.cleanableBytes == 200)
        #expect(ltc.cleanableRatio == 1)
    }

    @Test func checkpointSplitsCleanFromDirty() throws {
        let ltc = toClean(log(try F.config()), checkpoint: 10)
        #expect(ltc.firstDirtyOffset == 10)
        #expect(ltc.cleanBytes == 100)
        #expect(ltc.cleanableBytes == 100)
        #expect(ltc.cleanableRatio == 0.5)
        // A checkpoint inside a segment counts that segment as both clean and dirty, as Kafka does.
        let mid = toClean(log(try F.config()), checkpoint: 15)
        #expect(mid.cleanBytes == 200)
        #expect(mid.cleanableBytes == 100)
    }

    @Test func highWatermarkBoundsTheRoundToWholeSegments() throws {
        let l = log(try F.config(), upperBound: 15)
        #expect(l.cleanableOffsets(checkpoint: nil, now: now).firstUncleanableDirtyOffset == 15)
        let ltc = toClean(l, checkpoint: nil)
        #expect(ltc.firstUncleanableOffset == 10)
        #expect(ltc.cleanableBytes == 100)
        let low = toClean(log(try F.config(), upperBound: 5), checkpoint: nil)
        #expect(low.firstUncleanableOffset == 0)
        #expect(low.cleanableBytes == 0)
    }

    @Test func minCompactionLagExcludesYoungSegments() throws {
        let config = try F.config(["min.compaction.lag.ms": "1000"])
        let l = log(config, timestamps: [now - 5000, now - 500, now - 100])
        #expect(l.cleanableOffsets(checkpoint: nil, now: now).firstUncleanableDirtyOffset == 10)
        #expect(toClean(l, checkpoint: nil).cleanableBytes == 100)
        // Exactly at the lag the segment is old enough.
        let edge = log(config, timestamps: [now - 5000, now - 1000, now])
        #expect(edge.cleanableOffsets(checkpoint: nil, now: now).firstUncleanableDirtyOffset == 20)
        // Everything too young: nothing to clean.
        let young = log(config, timestamps: [now, now, now])
        #expect(toClean(young, checkpoint: nil).cleanableBytes == 0)
    }

    @Test func invalidCheckpointResetsToLogStart() throws {
        let l = log(try F.config(), logStart: 5)
        #expect(l.cleanableOffsets(checkpoint: 3, now: now) == .init(firstDirtyOffset: 5, firstUncleanableDirtyOffset: 20, forceUpdateCheckpoint: true))
        #expect(l.cleanableOffsets(checkpoint: 26, now: now) == .init(firstDirtyOffset: 5, firstUncleanableDirtyOffset: 20, forceUpdateCheckpoint: true))
        #expect(l.cleanableOffsets(checkpoint: 25, now: now).forceUpdateCheckpoint == false)
        #expect(l.cleanableOffsets(checkpoint: nil, now: now).firstDirtyOffset == 5)
    }

    @Test func maxCompactionDelayCountsFromTheOldestDirtyFirstBatch() throws {
        let config = try F.config(["max.compaction.lag.ms": "1000"])
        let l = log(config)
        // Oldest dirty first batch: now - 10_500; due at now - 1000.
        #expect(l.maxCompactionDelay(firstDirtyOffset: 0, now: now) == 9_500)
        #expect(l.maxCompactionDelay(firstDirtyOffset: 10, now: now) == 8_500)
        #expect(log(try F.config()).maxCompactionDelay(firstDirtyOffset: 0, now: now) == 0)
        var unknown = l
        for i in unknown.segments.indices { unknown.segments[i].firstBatchTimestamp = nil }
        #expect(unknown.maxCompactionDelay(firstDirtyOffset: 0, now: now) == 0)
    }

    /// A full cycle through the manager never hands the active segment to the compactor and
    /// leaves its bytes alone, even when the active segment holds the newest value of a key.
    @Test func cleaningLeavesTheActiveSegmentUntouched() throws {
        var l = InMemoryLog(config: try F.config(["min.cleanable.dirty.ratio": "0.01"]))
        for i in 0 ..< 10 { l.append([.kv("k", "\(i)", ts: Int64(i))]); l.roll() }
        l.append([.kv("k", "active-1", ts: 10), .kv("k", "active-2", ts: 11)])
        let active = l.segments.last!
        var manager = LogCleanerManager()
        let r = try #require(try l.runCleaner(&manager, now: now))
        #expect(l.segments.last!.bytes == active.bytes)
        #expect(l.segments.last!.baseOffset == active.baseOffset)
        #expect(r.segments.allSatisfy { !$0.info.replacedBaseOffsets.contains(active.baseOffset) })
        #expect(r.endOffset == active.baseOffset)
        // The cleaned section keeps its own latest record: the map covers only inactive segments.
        #expect(try F.records(l.allBytes).map(\.offset) == [9, 10, 11])
    }
}
