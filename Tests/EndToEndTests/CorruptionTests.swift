import EddyProtocol
import Foundation
import Testing

/// Damaged segment and index files, then the CLI reopens the directory: the recovery
/// contract holds (a CRC-valid prefix with contiguous offsets, a rebuilt index) and later
/// appends continue from the recovered end.
@Suite struct CorruptionTests {
    static let records = 1500

    /// A topic `c` with one partition in several small segments, closed cleanly.
    private func setUp(_ dir: TempDataDir) throws -> PartitionFiles {
        try dir.createTopic("c", partitions: 1, configs: ["segment.bytes=4096", "index.interval.bytes=128"])
        let input = Array((0 ..< CorruptionTests.records).map { "r\($0)\n" }.joined().utf8)
        let produced = try Eddy.run(["produce", "--topic", "c", "--batch-size", "256"] + dir.flag, stdin: input)
        try #require(produced.status == 0, "\(produced)")
        let files = PartitionFiles(directory: dir.partitionDirectory("c", 0))
        try #require(try files.segmentLogs().count >= 3, "expected several segments")
        return files
    }

    /// The log directory of the broker holding the partition (replication factor 1).
    private func brokerDirectory(_ dir: TempDataDir) -> String {
        URL(fileURLWithPath: dir.partitionDirectory("c", 0)).deletingLastPathComponent().path
    }

    /// What a crash leaves: no clean-shutdown marker, so the log is scanned from its recovery point.
    private func removeCleanShutdownMarker(_ dir: TempDataDir) throws {
        try FileManager.default.removeItem(atPath: brokerDirectory(dir) + "/.kafka_cleanshutdown")
    }

    private func consumeAll(_ dir: TempDataDir) throws -> (records: [ConsumedRecord], result: Eddy.Result) {
        let r = try Eddy.run(["consume", "--topic", "c", "--exit-at-end", "--format", ConsumedRecord.format] + dir.flag)
        try #require(r.status == 0, "\(r)")
        return (try ConsumedRecord.parse(r), r)
    }

    /// The recovered log is r0..r<n-1> at offsets 0..n-1, the files agree, and a later append lands at n.
    private func expectPrefix(_ dir: TempDataDir, _ files: PartitionFiles, count n: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (records, _) = try consumeAll(dir)
        #expect(records.map(\.value) == (0 ..< n).map { "r\($0)" }, sourceLocation: sourceLocation)
        #expect(records.map(\.offset) == (0 ..< Int64(n)).map { $0 }, sourceLocation: sourceLocation)
        #expect(try files.verifyContiguous("recovered") == Int64(n), sourceLocation: sourceLocation)
        let later = try Eddy.run(["produce", "--topic", "c"] + dir.flag, stdin: Array("later\n".utf8))
        try #require(later.status == 0, "\(later)", sourceLocation: sourceLocation)
        #expect(later.stderr.hasSuffix("partition 0 offsets \(n)..\(n)\n"), "\(later)", sourceLocation: sourceLocation)
        let after = try consumeAll(dir).records
        #expect(after.last == ConsumedRecord(partition: 0, offset: Int64(n), key: "", value: "later"), sourceLocation: sourceLocation)
        #expect(try files.verifyContiguous("after append") == Int64(n + 1), sourceLocation: sourceLocation)
    }

    @Test func flippedByteInTheLastBatchTruncatesIt() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let last = try #require(try files.segmentLogs().last)
        let lastBatch = try #require(try files.batches(last).last)
        var bytes = try files.bytes(last)
        bytes[lastBatch.position + RecordBatchHeader.size + 3] ^= 0x5a
        try Data(bytes).write(to: URL(fileURLWithPath: last))
        try removeCleanShutdownMarker(dir)
        let (_, result) = try consumeAll(dir)
        #expect(result.stderr.contains("eddy: warning: "), "the truncation is logged: \(result)")
        try expectPrefix(dir, files, count: Int(lastBatch.header.baseOffset))
    }

    @Test func batchCutInTheMiddleIsTruncated() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let last = try #require(try files.segmentLogs().last)
        let lastBatch = try #require(try files.batches(last).last)
        try #require(truncate(last, off_t(lastBatch.position + lastBatch.header.totalSize / 2)) == 0)
        try removeCleanShutdownMarker(dir)
        try expectPrefix(dir, files, count: Int(lastBatch.header.baseOffset))
    }

    @Test func zeroFilledTailIsTruncated() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let last = try #require(try files.segmentLogs().last)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(count: 1000))
        try handle.close()
        try removeCleanShutdownMarker(dir)
        try expectPrefix(dir, files, count: CorruptionTests.records)
    }

    @Test func corruptBatchInAnOlderSegmentWithoutCheckpointCutsEverythingAfterIt() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let segments = try files.segmentLogs()
        let victim = segments[1]
        let batch = try #require(try files.batches(victim).dropFirst().first)
        var bytes = try files.bytes(victim)
        bytes[batch.position + RecordBatchHeader.crcOffset] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        // No recovery checkpoint either: every segment is scanned.
        try removeCleanShutdownMarker(dir)
        try FileManager.default.removeItem(atPath: brokerDirectory(dir) + "/recovery-point-offset-checkpoint")
        try expectPrefix(dir, files, count: Int(batch.header.baseOffset))
        #expect(try files.segmentLogs().count == 2, "the segments after the corrupt batch are gone")
    }

    /// Bytes appended to the active segment after a clean shutdown (the marker stays, so only
    /// that segment's tail is checked): the next command cuts them and says so, the records
    /// produced after them get the next offsets, and a consume returns every record once.
    @Test func garbageAfterACleanShutdownIsTruncatedAndLaterRecordsStayReadable() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let last = try #require(try files.segmentLogs().last)
        var rng = SplitMix64(seed: 11)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((0 ..< 300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        try handle.close()
        let n = CorruptionTests.records
        let produced = try Eddy.run(["produce", "--topic", "c"] + dir.flag, stdin: Array("g0\ng1\ng2\n".utf8))
        try #require(produced.status == 0, "\(produced)")
        #expect(produced.stderr.contains("eddy: warning: "), "the truncation is logged: \(produced)")
        #expect(produced.stderr.hasSuffix("partition 0 offsets \(n)..\(n + 2)\n"), "\(produced)")
        let records = try consumeAll(dir).records
        #expect(records.map(\.offset) == (0 ..< Int64(n + 3)).map { $0 })
        #expect(records.map(\.value) == (0 ..< n).map { "r\($0)" } + ["g0", "g1", "g2"])
        #expect(try files.verifyContiguous("after the produce") == Int64(n + 3))
        let later = try Eddy.run(["produce", "--topic", "c"] + dir.flag, stdin: Array("later\n".utf8))
        #expect(later.status == 0 && later.stderr.hasSuffix("partition 0 offsets \(n + 3)..\(n + 3)\n"), "\(later)")
    }

    /// A batch whose length was damaged inside an older segment after a clean shutdown (opening
    /// checks only the active segment's tail): `eddy consume` prints the records before it, then
    /// fails with CORRUPT_MESSAGE instead of ending there as if the partition had no more.
    @Test func damagedBatchBelowTheEndFailsTheConsumeWithCorruptMessage() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let victim = try files.segmentLogs()[1]
        let batch = try #require(try files.batches(victim).dropFirst().first)
        // Before the segment's last index entry, so that opening it (which reads only from
        // there) still finds the segment's end.
        let index = try files.bytes(String(victim.dropLast(4)) + ".index")
        let lastIndexed = index.suffix(4).reduce(0) { $0 << 8 | Int($1) }
        try #require(index.count >= 8 && lastIndexed > batch.position, "index \(index.count) bytes, last at \(lastIndexed)")
        var bytes = try files.bytes(victim)
        bytes.replaceSubrange(batch.position + 8 ..< batch.position + 12, with: [0x7F, 0xFF, 0xFF, 0xFF])
        try Data(bytes).write(to: URL(fileURLWithPath: victim))
        let r = try Eddy.run(["consume", "--topic", "c", "--exit-at-end", "--format", ConsumedRecord.format] + dir.flag)
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("CORRUPT_MESSAGE"), "\(r)")
        #expect(try ConsumedRecord.parse(r).map(\.offset) == (0 ..< batch.header.baseOffset).map { $0 })
    }

    @Test(arguments: [true, false])
    func deletedIndexIsRebuilt(cleanShutdown: Bool) throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let files = try setUp(dir)
        let segments = try files.segmentLogs()
        let first = try files.batches(segments[0])
        let second = try files.batches(segments[1])
        let indexes = [segments[0], segments[1]].map { String($0.dropLast(4)) + ".index" }
        for index in indexes { try FileManager.default.removeItem(atPath: index) }
        try FileManager.default.removeItem(atPath: String(segments[1].dropLast(4)) + ".timeindex")
        if !cleanShutdown { try removeCleanShutdownMarker(dir) }
        // Reads from the middle of both segments find the right records.
        for target in [first[first.count / 2].header.baseOffset + 1, second[second.count - 1].header.baseOffset] {
            let r = try Eddy.run(["consume", "--topic", "c", "--exit-at-end", "--offset", "\(target)", "--max-messages", "1",
                                  "--format", ConsumedRecord.format] + dir.flag)
            #expect(r.status == 0, "\(r)")
            #expect(try ConsumedRecord.parse(r) == [ConsumedRecord(partition: 0, offset: target, key: "", value: "r\(target)")])
        }
        for index in indexes {
            var st = stat()
            #expect(stat(index, &st) == 0 && st.st_size > 0, "\(index) was rebuilt")
        }
        try expectPrefix(dir, files, count: CorruptionTests.records)
    }
}
