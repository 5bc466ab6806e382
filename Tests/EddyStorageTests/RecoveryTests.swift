import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

@Suite struct RecoveryTests {
    /// Writes `batches` batches of 3 records, closes without flushing, returns the log's path pieces.
    func writeUnclean(_ dir: TempDir, batches: Int, config: LogConfig = LogConfig()) throws {
        let log = try openLog(dir, config: config)
        for i in 0 ..< batches { try log.append(makeBatch(first: i * 3, count: 3)) }
        log.closeWithoutFlush()
    }

    @Test func reopenAfterCleanCloseNeedsNoScan() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["index.interval.bytes": "10"]))
        for i in 0 ..< 10 { try log.append(makeBatch(first: i * 3, count: 3)) }
        try log.close()
        // Corrupt a byte in the middle: a clean open trusts the files and does not scan...
        let path = dir.file("t-0/00000000000000000000.log")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let size = bytes.count
        bytes[size / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let reopened = try openLog(dir, config: config(["index.interval.bytes": "10"]), clean: true)
        #expect(reopened.logEndOffset == 30)
        #expect(reopened.sizeInBytes == Int64(size))
        // ...while an unclean open scans and truncates at the corrupt batch.
        reopened.closeWithoutFlush()
        let recovered = try openLog(dir, config: config(["index.interval.bytes": "10"]), clean: false)
        #expect(recovered.logEndOffset < 30)
        #expect(recovered.sizeInBytes < Int64(size))
    }

    @Test func tornTailIsTruncatedAndAppendsContinue() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try writeUnclean(dir, batches: 5)
        let path = dir.file("t-0/00000000000000000000.log")
        let full = FileManager.default.contents(atPath: path)!
        let batchSize = makeBatch(first: 0, count: 3).count
        // Cut the last batch at every possible byte.
        for cut in 1 ..< batchSize {
            try full.prefix(full.count - cut).write(to: URL(fileURLWithPath: path))
            let log = try openLog(dir)
            #expect(log.logEndOffset == 12, "cut \(cut)")
            #expect(values(try readAll(log)) == (0 ..< 12).map { "v\($0)" })
            log.closeWithoutFlush()
        }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 12, count: 3))
        #expect(values(try readAll(log)) == (0 ..< 15).map { "v\($0)" })
    }

    @Test func flippedByteInLastBatchIsTruncated() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try writeUnclean(dir, batches: 4)
        let path = dir.file("t-0/00000000000000000000.log")
        var bytes = FileManager.default.contents(atPath: path)!
        let batchSize = makeBatch(first: 0, count: 3).count
        // Every byte of the last batch, except baseOffset/epoch bytes not covered by the CRC.
        for i in (bytes.count - batchSize + RecordBatchHeader.crcOffset) ..< bytes.count {
            var copy = bytes
            copy[i] ^= 0x5A
            try copy.write(to: URL(fileURLWithPath: path))
            let log = try openLog(dir)
            #expect(log.logEndOffset == 9, "flip at \(i)")
            log.closeWithoutFlush()
        }
        bytes[bytes.count - batchSize + 2] ^= 0x01 // baseOffset: not CRC-covered, caught by offset order
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try openLog(dir).logEndOffset == 9)
    }

    @Test func missingOrCorruptIndexIsRebuilt() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["index.interval.bytes": "10", "segment.bytes": "400"])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 12 { try log.append(makeBatch(first: i * 3, count: 3)) }
        try log.close()
        let indexes = segmentFiles(dir, suffix: "index")
        #expect(indexes.count > 1)
        try FileManager.default.removeItem(atPath: dir.file("t-0/" + indexes[0]))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir.file("t-0/" + indexes[1])))
        let reopened = try openLog(dir, config: cfg, recoveryPoint: 36, clean: true)
        #expect(values(try readAll(reopened)) == (0 ..< 36).map { "v\($0)" })
        #expect(FileManager.default.fileExists(atPath: dir.file("t-0/" + indexes[0])))
        #expect(FileSystem.fileSize(dir.file("t-0/" + indexes[1]))! % 8 == 0)
        for o in 0 ..< 36 {
            let recs = try MemoryRecords.records(in: try reopened.read(from: Int64(o), maxBytes: 1).bytes)
            #expect(recs.contains { $0.offset == Int64(o) })
        }
    }

    @Test func onlySegmentsFromTheRecoveryPointAreScanned() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["segment.bytes": "300"])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 8 { try log.append(makeBatch(first: i * 3, count: 3)) }
        log.awaitBackgroundFlushes()
        let rp = log.recoveryPoint
        let segs = log.segments
        #expect(segs.count >= 3 && rp == segs.last!.baseOffset)
        log.closeWithoutFlush()
        // Corrupt the first (flushed) segment's last batch: recovery does not look there.
        let first = dir.file("t-0/" + segmentFiles(dir, suffix: "log")[0])
        var bytes = FileManager.default.contents(atPath: first)!
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: first))
        // Tear the active segment's tail: recovery does look there.
        let last = dir.file("t-0/" + segmentFiles(dir, suffix: "log").last!)
        let tail = FileManager.default.contents(atPath: last)!
        try tail.prefix(tail.count - 5).write(to: URL(fileURLWithPath: last))
        let reopened = try openLog(dir, config: cfg, recoveryPoint: rp)
        #expect(reopened.segments.first!.sizeInBytes == Int64(bytes.count))
        #expect(reopened.logEndOffset == 21)
    }

    @Test func garbageAfterValidDataIsTruncated() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try writeUnclean(dir, batches: 2)
        let path = dir.file("t-0/00000000000000000000.log")
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data(repeating: 0, count: 4096)) // e.g. a preallocated or zero-filled tail after power loss
        h.closeFile()
        let log = try openLog(dir)
        #expect(log.logEndOffset == 6)
        #expect(log.sizeInBytes == Int64(2 * makeBatch(first: 0, count: 3).count))
    }

    @Test func leftoverFilesOfInterruptedOperationsAreRemoved() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try writeUnclean(dir, batches: 2)
        for name in ["00000000000000000099.log.deleted", "00000000000000000000.log.cleaned", "x.tmp", "00000000000000000050.index"] {
            _ = FileManager.default.createFile(atPath: dir.file("t-0/" + name), contents: Data([1, 2, 3]))
        }
        let log = try openLog(dir)
        #expect(log.logEndOffset == 6)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.file("t-0")).sorted()
        // Only the live segment's files may remain (its indexes are written at the next flush).
        #expect(names.allSatisfy { $0.hasPrefix("00000000000000000000.") && !$0.contains(".log.") }, "\(names)")
        #expect(names.contains("00000000000000000000.log"))
        try log.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("t-0")).filter { $0.hasPrefix("0000") }.sorted()
            == ["00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex",
                "00000000000000000006.snapshot"])
    }

    /// Random crash points: the reopened log is always a prefix of what was appended.
    @Test func randomTruncationsAlwaysRecoverAPrefix() throws {
        var rng = SplitMix64(seed: 42)
        for round in 0 ..< 30 {
            let dir = TempDir(); defer { dir.cleanup() }
            let cfg = config(["segment.bytes": "\(200 + Int(rng.next() % 600))", "index.interval.bytes": "64"])
            let log = try openLog(dir, config: cfg)
            var n = 0
            for _ in 0 ..< Int(rng.next() % 30) + 1 {
                let c = Int(rng.next() % 4) + 1
                try log.append(makeBatch(first: n, count: c))
                n += c
            }
            log.closeWithoutFlush()
            let files = segmentFiles(dir, suffix: "log")
            let victim = dir.file("t-0/" + files.last!)
            let data = FileManager.default.contents(atPath: victim)!
            let keep = data.isEmpty ? 0 : Int(rng.next() % UInt64(data.count + 1))
            try data.prefix(keep).write(to: URL(fileURLWithPath: victim))
            let reopened = try openLog(dir, config: cfg)
            let vals = values(try readAll(reopened))
            #expect(vals == (0 ..< vals.count).map { "v\($0)" }, "round \(round) seed 42")
            #expect(reopened.logEndOffset == Int64(vals.count))
            #expect(reopened.checkInvariants().isEmpty)
            try reopened.append(makeBatch(first: vals.count, count: 1))
            #expect(values(try readAll(reopened)).count == vals.count + 1)
        }
    }

    // MARK: The active segment's tail after a clean shutdown

    /// Appends `count` bytes to the file at `path`: zeros, or pseudo-random bytes that are no batch.
    static func appendGarbage(_ path: String, count: Int, random: Bool) throws {
        var rng = SplitMix64(seed: 7)
        let bytes = random ? (0 ..< count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } : [UInt8](repeating: 0, count: count)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seekToEnd()
        try h.write(contentsOf: Data(bytes))
        try h.close()
    }

    /// Bytes written to the active segment after a clean close are cut on the next (clean) open:
    /// the log ends where it did, the next append gets the next offset and every record reads
    /// back. With index.interval.bytes=200 the segment has several index entries, so only the
    /// batches after the last one are checked.
    @Test(arguments: ["4096", "200"], [true, false])
    func garbageAfterACleanCloseIsTruncated(indexInterval: String, randomGarbage: Bool) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["index.interval.bytes": indexInterval])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 10 { try log.append(makeBatch(first: i * 3, count: 3)) }
        try log.close()
        let path = dir.file("t-0/00000000000000000000.log")
        let validSize = FileSystem.fileSize(path)!
        if indexInterval == "200" { #expect(FileSystem.fileSize(dir.file("t-0/00000000000000000000.index"))! >= 2 * 8) }
        try Self.appendGarbage(path, count: 300, random: randomGarbage)

        let reopened = try openLog(dir, config: cfg, recoveryPoint: 30, clean: true)
        #expect(reopened.logEndOffset == 30)
        #expect(reopened.sizeInBytes == validSize)
        #expect(FileSystem.fileSize(path) == validSize)
        #expect(try reopened.append(makeBatch(first: 30, count: 3)).firstOffset == 30)
        let records = try readAll(reopened, from: 0)
        #expect(records.map(\.offset) == (0 ..< 33).map { Int64($0) })
        #expect(values(records) == (0 ..< 33).map { "v\($0)" })
        #expect(reopened.checkInvariants().isEmpty)
        try reopened.close()
        let again = try openLog(dir, config: cfg, recoveryPoint: 33, clean: true)
        #expect(again.logEndOffset == 33)
        #expect(values(try readAll(again)) == (0 ..< 33).map { "v\($0)" })
    }

    /// A damaged batch in the checked tail is cut with everything after it, and the segment's
    /// largest timestamp (from the time index entry written at close) no longer counts it. With
    /// index.interval.bytes=10 the damaged batch is the indexed one (the whole segment is then
    /// recovered); with 200, a batch after the last index entry; with 4096 there is no entry.
    @Test(arguments: ["4096", "200", "10"])
    func damagedBatchInTheTailAfterACleanCloseIsTruncated(indexInterval: String) throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["index.interval.bytes": indexInterval])
        let log = try openLog(dir, config: cfg)
        for i in 0 ..< 11 { try log.append(makeBatch(first: i * 3, count: 3, timestamp: 1_000 + Int64(i) * 10)) }
        try log.close()
        let path = dir.file("t-0/00000000000000000000.log")
        var bytes = FileManager.default.contents(atPath: path)!
        let batchSize = makeBatch(first: 30, count: 3, timestamp: 1_100).count
        bytes[bytes.count - batchSize + RecordBatchHeader.size + 2] ^= 0x5A // a record of the last batch
        try bytes.write(to: URL(fileURLWithPath: path))

        let reopened = try openLog(dir, config: cfg, recoveryPoint: 33, clean: true)
        #expect(reopened.logEndOffset == 30)
        #expect(reopened.sizeInBytes == Int64(bytes.count - batchSize))
        #expect(reopened.segments.last!.largestTimestamp == 1_000 + 90 + 2)
        #expect(try reopened.offset(forTimestamp: 1_100) == nil)
        #expect(reopened.checkInvariants().isEmpty)
        #expect(try reopened.append(makeBatch(first: 30, count: 3, timestamp: 1_100)).firstOffset == 30)
        #expect(values(try readAll(reopened)) == (0 ..< 33).map { "v\($0)" })
        #expect(try reopened.offset(forTimestamp: 1_100)?.offset == 30)
        try reopened.close()
        #expect(values(try readAll(try openLog(dir, config: cfg, recoveryPoint: 33, clean: true))) == (0 ..< 33).map { "v\($0)" })
    }

    /// Recovery reads a batch larger than its 8 MiB read buffer whole (it used to re-read the
    /// same 8 MiB for ever).
    @Test func batchLargerThanTheRecoveryBufferIsRecovered() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let cfg = config(["max.message.bytes": "\(16 << 20)"])
        let log = try openLog(dir, config: cfg)
        try log.append(makeBatch(first: 0, count: 1, valueSize: 9 << 20))
        try log.append(makeBatch(first: 1, count: 2))
        log.closeWithoutFlush()
        let reopened = try openLog(dir, config: cfg)
        #expect(reopened.logEndOffset == 3)
        #expect(try readAll(reopened).map(\.offset) == [0, 1, 2])
    }
}

