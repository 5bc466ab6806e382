import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// `LogSegment`'s recent batches: `locate` and `slice` answer fetches of what was just
/// appended without reading the file, and give exactly what the scan from the index hint gives.
@Suite struct RecentBatchesTests {
    /// For every offset of `segment`: whether the recent batches cover it, and that `locate` and
    /// `slice` (under several byte and offset bounds) agree with their scanning versions.
    /// - Returns: the offsets answered from the recent batches.
    @discardableResult
    func checkAgainstScan(_ segment: LogSegment, _ comment: Comment) throws -> [Int64] {
        var covered: [Int64] = []
        for offset in segment.baseOffset ..< segment.nextOffset + 1 {
            if segment.recentBatchIndex(for: offset) != nil { covered.append(offset) }
            let fast = try segment.locate(offset: offset), scanned = try segment.locateByScan(offset: offset)
            #expect(fast?.position == scanned?.position && fast?.header == scanned?.header, "locate(\(offset)): \(comment)")
            for maxBytes in [1, 150, 400, 1 << 20] {
                for maxOffset in [offset + 1, offset + 4, segment.nextOffset, Int64.max] {
                    let a = try segment.slice(offset: offset, maxBytes: maxBytes, maxOffset: maxOffset)
                    let b = try segment.sliceByScan(offset: offset, maxBytes: maxBytes, maxOffset: maxOffset)
                    #expect(a?.position == b?.position && a?.count == b?.count && a?.nextOffset == b?.nextOffset,
                            "slice(\(offset), \(maxBytes), \(maxOffset)): \(comment)")
                }
            }
        }
        return covered
    }

    @Test func appendedBatchesAreFoundWithoutAScanAndAsTheScanFindsThem() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        // A small index interval: the scan starts from real index entries, not from position 0.
        let log = try openLog(dir, config: config(["index.interval.bytes": "300"]))
        var first = 0
        for i in 0 ..< 3 * LogSegment.recentBatchLimit {
            let count = [1, 3, 2, 5][i % 4]
            try log.append(makeBatch(first: first, count: count, valueSize: 20))
            first += count
        }
        let segment = log.activeSegment
        #expect(segment.offsetIndex.count > 3)
        let covered = try checkAgainstScan(segment, "appends")
        // Only the newest batches are kept, and they run to the end of the log.
        #expect(covered.count > 0 && covered.count < Int(log.logEndOffset))
        #expect(covered.last == log.logEndOffset - 1)
        #expect(covered == Array(covered.first! ..< log.logEndOffset))
    }

    @Test func batchesWithOffsetGapsAsAFollowerOfACompactedLogStoresThem() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.appendAsFollower(leaderBatch(base: 0, count: 2, epoch: 0))
        try log.appendAsFollower(leaderBatch(base: 5, count: 2, epoch: 0, deltas: [0, 2]))
        try log.appendAsFollower(leaderBatch(base: 12, count: 3, epoch: 0))
        // Offsets 2...4 and 8...11 are gaps: they read from the batch after them.
        let covered = try checkAgainstScan(log.activeSegment, "gaps")
        #expect(covered == Array(0 ..< 15))
        #expect(try log.activeSegment.locate(offset: 3)?.header.baseOffset == 5)
        #expect(try log.activeSegment.locate(offset: 9)?.header.baseOffset == 12)
    }

    @Test func aTruncationForgetsThemAndLaterAppendsStartAgain() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 6 { try log.append(makeBatch(first: i * 2, count: 2, valueSize: 10)) }
        try log.truncate(to: 7)  // whole batches: the log now ends at 6
        #expect(log.logEndOffset == 6)
        #expect(try checkAgainstScan(log.activeSegment, "after truncation").isEmpty)
        // New batches of other sizes where the old ones were: found where they are now.
        try log.append(makeBatch(first: 6, count: 5, valueSize: 40))
        try log.append(makeBatch(first: 11, count: 1, valueSize: 40))
        #expect(try checkAgainstScan(log.activeSegment, "appends after truncation") == Array(6 ..< 12))
        #expect(try readAll(log).map(\.offset) == Array(0 ..< 12))
    }

    @Test func aRolledSegmentForgetsThem() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 4 { try log.append(makeBatch(first: i, count: 1)) }
        let old = log.activeSegment
        #expect(old.recentBatchIndex(for: 3) != nil)
        try log.roll()
        try log.append(makeBatch(first: 4, count: 2))
        #expect(old.recentBatchIndex(for: 3) == nil)
        try checkAgainstScan(old, "rolled")
        #expect(try checkAgainstScan(log.activeSegment, "new active") == [4, 5])
    }

    @Test func recoveryFindsThemAgainAndACleanOpenStartsWithout() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        do {
            let log = try openLog(dir)
            for i in 0 ..< 5 { try log.append(makeBatch(first: i * 3, count: 3)) }
            log.closeWithoutFlush()
        }
        // After a crash every batch is recovered, in file order: the newest are recent again.
        let recovered = try openLog(dir)
        #expect(try checkAgainstScan(recovered.activeSegment, "recovered") == Array(0 ..< 15))
        try recovered.close()
        // After a clean shutdown only the tail is checked: reads scan until the next append.
        let reopened = try openLog(dir, recoveryPoint: 15, clean: true)
        #expect(try checkAgainstScan(reopened.activeSegment, "clean open").isEmpty)
        try reopened.append(makeBatch(first: 15, count: 2))
        #expect(try checkAgainstScan(reopened.activeSegment, "append after clean open") == [15, 16])
        #expect(try readAll(reopened).map(\.offset) == Array(0 ..< 17))
    }
}

extension RecentBatchesTests {
    /// LogAppendTime batches are re-sealed as they are written (new timestamps, new CRC): the
    /// segment remembers them as written, so reads still use the recent batches.
    @Test func logAppendTimeBatchesAreRememberedAsWritten() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["message.timestamp.type": "LogAppendTime"]))
        for i in 0 ..< 4 { try log.append(makeBatch(first: i * 2, count: 2)) }
        let segment = log.activeSegment
        #expect(try checkAgainstScan(segment, "LogAppendTime") == Array(0 ..< 8))
        for offset: Int64 in [0, 3, 7] {
            let i = try #require(segment.recentBatchIndex(for: offset))
            let (position, remembered) = segment.recentBatches[i]
            let onDisk = try segment.log.read(at: position, count: RecordBatchHeader.size)
            #expect(try onDisk.withUnsafeBytes { try RecordBatchHeader(parsing: $0, at: 0) } == remembered)
            #expect(remembered.attributes.timestampType == .logAppendTime)
        }
    }
}
