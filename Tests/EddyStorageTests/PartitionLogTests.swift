import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct PartitionLogTests {
    @Test func appendAssignsContiguousOffsetsAndReadsBack() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        let a = try log.append(makeBatch(first: 0, count: 3))
        let b = try log.append(makeBatch(first: 3, count: 2), leaderEpoch: 7)
        #expect(a.firstOffset == 0 && a.lastOffset == 2 && a.recordCount == 3)
        #expect(b.firstOffset == 3 && b.lastOffset == 4)
        #expect(log.logEndOffset == 5)
        let recs = try readAll(log)
        #expect(recs.map(\.offset) == [0, 1, 2, 3, 4])
        #expect(values(recs) == ["v0", "v1", "v2", "v3", "v4"])
        // Stored bytes keep a valid CRC and carry the leader epoch.
        let data = try log.read(from: 3, maxBytes: 1 << 20)
        let locs = try MemoryRecords.batches(in: data.bytes)
        #expect(locs.count == 1 && locs[0].header.partitionLeaderEpoch == 7 && locs[0].header.baseOffset == 3)
        try RecordBatch(bytes: data.bytes).validate()
        #expect(log.checkInvariants().isEmpty)
    }

    @Test func multipleBatchesInOneAppend() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        let info = try log.append(makeBatch(first: 0, count: 2) + makeBatch(first: 2, count: 3))
        #expect(info.batchCount == 2 && info.firstOffset == 0 && info.lastOffset == 4)
        #expect(values(try readAll(log)) == (0 ..< 5).map { "v\($0)" })
    }

    @Test func rejectsCorruptBatchesWithoutWriting() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        var bad = makeBatch(first: 0, count: 3)
        bad[bad.count - 1] ^= 0xFF
        #expect(throws: StorageError.self) { try log.append(bad) }
        #expect(throws: StorageError.self) { try log.append(Array(makeBatch(first: 0, count: 3).dropLast(2))) }
        #expect(throws: StorageError.self) { try log.append([]) }
        #expect(log.logEndOffset == 0 && log.sizeInBytes == 0)
    }

    @Test func enforcesMaxMessageBytesAndKeysOnCompactedTopics() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["max.message.bytes": "200", "cleanup.policy": "compact"]))
        #expect(throws: StorageError.recordTooLarge(size: makeBatch(first: 0, count: 1, valueSize: 300).count, max: 200)) {
            try log.append(makeBatch(first: 0, count: 1, valueSize: 300))
        }
        var b = RecordBatchBuilder()
        b.append(timestamp: 1, key: nil, value: Array("x".utf8))
        #expect(throws: StorageError.self) { try log.append(b.build().bytes) }
        try log.append(makeBatch(first: 0, count: 1))
        #expect(log.logEndOffset == 1)
    }

    @Test func readFromEveryOffsetUsesIndexCorrectly() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        // Small index interval and segments so lookups cross index entries and segments.
        let log = try openLog(dir, config: config(["index.interval.bytes": "100", "segment.bytes": "500"]))
        var n = 0
        for size in [1, 3, 2, 5, 1, 4, 7, 2, 1, 6, 3, 3] {
            try log.append(makeBatch(first: n, count: size))
            n += size
        }
        #expect(log.segmentCount > 1)
        #expect(segmentFiles(dir, suffix: "log").count == log.segmentCount)
        for offset in 0 ..< n {
            let data = try log.read(from: Int64(offset), maxBytes: 1)
            let recs = try MemoryRecords.records(in: data.bytes)
            // The first batch returned holds the requested offset.
            #expect(recs.first!.offset <= Int64(offset) && recs.last!.offset >= Int64(offset), "offset \(offset)")
        }
        #expect(values(try readAll(log)) == (0 ..< n).map { "v\($0)" })
        #expect(try log.read(from: Int64(n), maxBytes: 100).bytes.isEmpty)
        #expect(throws: StorageError.offsetOutOfRange(requested: Int64(n + 1), logStartOffset: 0, logEndOffset: Int64(n))) {
            try log.read(from: Int64(n + 1), maxBytes: 100)
        }
    }

    @Test func readHonoursUpperBoundAndMaxBytes() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 5 { try log.append(makeBatch(first: i * 2, count: 2)) }
        let one = try log.read(from: 0, maxBytes: 1)
        #expect(try MemoryRecords.batches(in: one.bytes).count == 1)
        let bounded = try log.read(from: 0, maxBytes: 1 << 20, upTo: 4)
        #expect(try MemoryRecords.records(in: bounded.bytes).map(\.offset) == [0, 1, 2, 3])
        #expect(try log.read(from: 4, maxBytes: 1 << 20, upTo: 4).bytes.isEmpty)
    }

    @Test func rollsOnSegmentBytesAndSegmentMs() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 10_000)
        let log = try openLog(dir, config: config(["segment.ms": "1000"]), clock: clock)
        try log.append(makeBatch(first: 0, count: 1, timestamp: 10_000))
        clock.advance(ms: 999)
        try log.append(makeBatch(first: 1, count: 1, timestamp: 10_999))
        #expect(log.segmentCount == 1)
        clock.advance(ms: 2)
        try log.append(makeBatch(first: 2, count: 1, timestamp: 11_001))
        #expect(log.segmentCount == 2)
        #expect(log.segments.map(\.baseOffset) == [0, 2])
        #expect(segmentFiles(dir, suffix: "log") == ["00000000000000000000.log", "00000000000000000002.log"])

        let dir2 = TempDir(); defer { dir2.cleanup() }
        let batch = makeBatch(first: 0, count: 1)
        let log2 = try openLog(dir2, config: config(["segment.bytes": "\(batch.count * 2)"]))
        for i in 0 ..< 5 { try log2.append(makeBatch(first: i, count: 1)) }
        #expect(log2.segments.map(\.baseOffset) == [0, 2, 4])
    }

    @Test func offsetForTimestampFindsFirstRecordAtOrAfter() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["index.interval.bytes": "50", "segment.bytes": "600"]))
        // Records i have timestamp 1000 + 10*i.
        for i in 0 ..< 30 {
            var b = RecordBatchBuilder()
            b.append(timestamp: 1000 + Int64(i) * 10, key: Array("k".utf8), value: Array("v\(i)".utf8))
            try log.append(b.build().bytes)
        }
        #expect(try log.offset(forTimestamp: 0)?.offset == 0)
        #expect(try log.offset(forTimestamp: 1000)?.offset == 0)
        #expect(try log.offset(forTimestamp: 1001)?.offset == 1)
        #expect(try log.offset(forTimestamp: 1150)! == (15, 1150))
        #expect(try log.offset(forTimestamp: 1151)?.offset == 16)
        #expect(try log.offset(forTimestamp: 1290)?.offset == 29)
        #expect(try log.offset(forTimestamp: 1291) == nil)
    }

    @Test func logAppendTimeOverwritesTimestampsAndKeepsCRCValid() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock(nowMs: 5_000_000)
        let log = try openLog(dir, config: config(["message.timestamp.type": "LogAppendTime"]), clock: clock)
        let info = try log.append(makeBatch(first: 0, count: 2, timestamp: 1))
        #expect(info.logAppendTime == 5_000_000)
        let data = try log.read(from: 0, maxBytes: 1 << 20)
        let batch = try RecordBatch(bytes: data.bytes)
        try batch.validate()
        #expect(try batch.records().map(\.timestamp) == [5_000_000, 5_000_000])
    }

    @Test func flushMessagesAdvancesRecoveryPoint() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["flush.messages": "3"]))
        try log.append(makeBatch(first: 0, count: 2))
        #expect(log.recoveryPoint == 0)
        try log.append(makeBatch(first: 2, count: 1))
        #expect(log.recoveryPoint == 3)
        try log.append(makeBatch(first: 3, count: 1))
        #expect(log.recoveryPoint == 3)
        try log.flush()
        #expect(log.recoveryPoint == 4)
    }

    @Test func flushMsFlushesOnTime() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let clock = ManualClock()
        let log = try openLog(dir, config: config(["flush.ms": "1000"]), clock: clock)
        try log.append(makeBatch(first: 0, count: 2))
        #expect(try log.maybeFlushOnTime() == false)
        clock.advance(ms: 1000)
        #expect(try log.maybeFlushOnTime() == true)
        #expect(log.recoveryPoint == 2)
    }

    @Test func rolledSegmentsBecomeDurableInTheBackground() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 2))
        try log.roll()
        log.awaitBackgroundFlushes()
        #expect(log.recoveryPoint == 2)
    }

    @Test func truncateRemovesWholeBatchesAndLaterSegments() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["segment.bytes": "200"]))
        for i in 0 ..< 6 { try log.append(makeBatch(first: i * 2, count: 2)) }
        let segsBefore = log.segmentCount
        #expect(segsBefore > 2)
        try log.truncate(to: 5) // inside batch [4,5]: truncates to 4
        #expect(log.logEndOffset == 4)
        #expect(values(try readAll(log)) == ["v0", "v1", "v2", "v3"])
        try log.append(makeBatch(first: 100, count: 1))
        #expect(try readAll(log).last!.offset == 4)
        try log.truncate(to: 0)
        #expect(log.logEndOffset == 0 && log.segmentCount == 1)
        #expect(log.checkInvariants().isEmpty)
    }

    /// Overwrites `bytes` at `position` of the file at `path`, behind the open log's back.
    static func overwrite(_ path: String, at position: Int, with bytes: [UInt8]) throws {
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seek(toOffset: UInt64(position))
        try h.write(contentsOf: Data(bytes))
        try h.close()
    }

    /// A batch header damaged in place below the log end: reads that must pass it throw the
    /// corruption (CORRUPT_MESSAGE) instead of returning nothing as if the log ended there.
    /// Damaged magic: the batch's length still frames it, so a read from before it returns it and
    /// the client's check finds it. Damaged length: a read from before it stops before it.
    /// `fresh`: the log was reopened before the damage, so reads find batches by scanning from
    /// the index; otherwise the segment still knows its recent batches (`LogSegment`), which a
    /// read of a later batch does not scan past, while a read of the damaged one still fails.
    @Test(arguments: ["4096", "10"], ["magic", "length"])
    func damagedBatchBelowTheEndIsReportedNotSkipped(indexInterval: String, field: String) throws {
        for fresh in [true, false] {
            try damagedBatchBelowTheEnd(indexInterval: indexInterval, field: field, fresh: fresh)
        }
    }

    func damagedBatchBelowTheEnd(indexInterval: String, field: String, fresh: Bool) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        var log = try openLog(dir, config: config(["index.interval.bytes": indexInterval]))
        for i in 0 ..< 10 { try log.append(makeBatch(first: i * 3, count: 3)) }
        if fresh {
            try log.close()
            log = try openLog(dir, config: config(["index.interval.bytes": indexInterval]), recoveryPoint: 30, clean: true)
            #expect(log.activeSegment.recentBatchIndex(for: 15) == nil)
        } else {
            #expect(log.activeSegment.recentBatchIndex(for: 15) != nil)
        }
        log.maybeIncrementHighWatermark(30)
        let sizes = (0 ..< 10).map { makeBatch(first: $0 * 3, count: 3).count }
        let victim = sizes[0 ..< 5].reduce(0, +) // batch 5: offsets 15...17
        let path = dir.file("t-0/00000000000000000000.log")
        if field == "magic" {
            try Self.overwrite(path, at: victim + 16, with: [0x7F])
        } else {
            try Self.overwrite(path, at: victim + 8, with: [0x7F, 0xFF, 0xFF, 0xFF])
        }
        // Every read whose scan reaches the damaged batch fails, and so does every read of the
        // damaged batch itself. Without index entries the scan starts at 0, so that is every read
        // from offset 15 on; with them, or from the recent batches, a read starting past it does
        // not meet it. Zero-copy reads (the file range for sendfile) fail alike.
        let failing: [Int64] = indexInterval == "4096" && fresh ? [15, 16, 17, 21, 29] : [15, 16, 17]
        for offset in failing {
            do {
                let data = try log.read(from: offset, maxBytes: 1 << 16, upTo: log.highWatermark)
                Issue.record("read from \(offset) returned \(data.bytes.count) bytes instead of failing (fresh: \(fresh))")
            } catch let e as StorageError {
                guard case let .corruptBatch(p, position, _) = e else { Issue.record("read from \(offset): \(e)"); continue }
                #expect(e.errorCode == .corruptMessage)
                #expect(p == path && position == Int64(victim), "\(e)")
            }
            #expect(throws: StorageError.self, "fresh: \(fresh)") {
                try log.readFileRecords(from: offset, maxBytes: 1 << 16, upTo: log.highWatermark)
            }
        }
        if failing.count == 3 {
            #expect(try MemoryRecords.records(in: log.read(from: 21, maxBytes: 1 << 16).bytes).map(\.offset) == Array(21 ..< 30))
        }
        // The batches before the damage read back; the end of the log is not damage.
        let before = try log.read(from: 0, maxBytes: 1 << 16).bytes
        if field == "magic" {
            // Framed by its intact length, it goes out with the others; the reader's parse rejects it.
            #expect(before.count == sizes.reduce(0, +))
            #expect(throws: RecordBatchError.unsupportedMagic(0x7F)) { try MemoryRecords.batches(in: before) }
        } else {
            #expect(try MemoryRecords.batches(in: before).map(\.header.baseOffset) == [0, 3, 6, 9, 12])
        }
        #expect(try log.read(from: 30, maxBytes: 1 << 16).bytes.isEmpty)
        #expect(try log.read(from: 15, maxBytes: 1 << 16, upTo: 15).bytes.isEmpty)
    }
}
