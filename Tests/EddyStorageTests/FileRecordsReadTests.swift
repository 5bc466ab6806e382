import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// `PartitionLog.readFileRecords`: the batches `read` returns, left in the segment file for
/// sendfile, on a descriptor that outlives the segment.
@Suite struct FileRecordsReadTests {
    func sameAsRead(_ log: PartitionLog, from offset: Int64, maxBytes: Int, upTo: Int64?) throws {
        let bytes = try log.read(from: offset, maxBytes: maxBytes, upTo: upTo).bytes
        let file = try log.readFileRecords(from: offset, maxBytes: maxBytes, upTo: upTo)
        #expect(try file?.bytes() ?? [] == bytes, "offset \(offset), maxBytes \(maxBytes), upTo \(String(describing: upTo))")
        if let file, let last = try MemoryRecords.batches(in: bytes).last {
            #expect(file.count == bytes.count)
            #expect(file.nextOffset == last.header.nextOffset)
        }
    }

    @Test func theSameBatchesAsReadUnderEveryBound() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        // Small segments: reads stop at segment ends, and some batches are larger than maxBytes.
        let log = try openLog(dir, config: config(["segment.bytes": "600"]))
        var first = 0
        for size in [3, 1, 8, 2, 2, 5, 1, 1, 9, 4] {
            try log.append(makeBatch(first: first, count: size, valueSize: 20))
            first += size
        }
        log.maybeIncrementHighWatermark(30)
        #expect(log.segmentCount > 2)
        for offset in Int64(0) ..< log.logEndOffset {
            for maxBytes in [1, 100, 250, 1 << 20] {
                try sameAsRead(log, from: offset, maxBytes: maxBytes, upTo: nil)
                try sameAsRead(log, from: offset, maxBytes: maxBytes, upTo: log.highWatermark)
            }
        }
        // At the bound or the end: nothing, as `read`.
        #expect(try log.readFileRecords(from: 30, maxBytes: 1 << 20, upTo: 30) == nil)
        #expect(try log.readFileRecords(from: log.logEndOffset, maxBytes: 1 << 20) == nil)
        #expect(throws: StorageError.self) { try log.readFileRecords(from: log.logEndOffset + 1, maxBytes: 100) }
    }

    @Test func recordsStayReadableAfterTheirSegmentIsDeleted() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["segment.bytes": "300"]))
        for i in 0 ..< 6 { try log.append(makeBatch(first: i * 3, count: 3, valueSize: 30)) }
        log.maybeIncrementHighWatermark(log.logEndOffset)
        let expected = try log.read(from: 0, maxBytes: 1 << 20).bytes
        let records = try #require(try log.readFileRecords(from: 0, maxBytes: 1 << 20))
        // The whole log goes (a follower reset past it), the segment's files are closed and
        // removed: the descriptor the records hold still reads them, and hands out copies.
        try log.truncateFully(startingAt: 100)
        #expect(segmentFiles(dir, suffix: "log").map { $0.hasPrefix("00000000000000000000") } == [false])
        #expect(try records.bytes() == expected)
        #expect(records.file.descriptor >= 0)
        #expect(try records.file.size() >= records.position + Int64(records.count))
    }

    @Test func fetchesOfOneSegmentShareOneDescriptor() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 4 { try log.append(makeBatch(first: i * 2, count: 2)) }
        let a = try #require(try log.readFileRecords(from: 0, maxBytes: 1 << 20))
        let b = try #require(try log.readFileRecords(from: 4, maxBytes: 1 << 20))
        #expect(a.file === b.file)
        #expect(a.position < b.position)
    }

    /// A segment costs one descriptor, read or not: the records share the segment's own (a
    /// descriptor of their own per segment read once doubled a server's descriptors, and with
    /// 10,000 partitions exhausted `ulimit -n`). It closes when the last holder lets go.
    @Test func readingASegmentOpensNoDescriptor() throws {
        let fm = FileManager.default
        func target(_ fd: String) -> String? { try? fm.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)") }
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        for i in 0 ..< 4 { try log.append(makeBatch(first: i * 2, count: 2)) }
        let descriptor: Int32, path: String
        do {
            let records = try #require(try log.readFileRecords(from: 0, maxBytes: 1 << 20))
            descriptor = records.file.descriptor
            path = try #require(target("\(descriptor)"))
            // Other suites open files meanwhile: count only the descriptors on this segment.
            let onSegment = try fm.contentsOfDirectory(atPath: "/proc/self/fd").filter { target($0) == path }
            #expect(onSegment == ["\(descriptor)"])
            // The log closes; the records still read through the descriptor they hold.
            try log.close()
            #expect(try records.bytes().count == records.count)
            #expect(target("\(descriptor)") == path)
        }
        #expect(target("\(descriptor)") != path, "closed with the last holder")
    }

    @Test func aTruncatedFileShowsInItsSize() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let log = try openLog(dir)
        try log.append(makeBatch(first: 0, count: 2))
        try log.append(makeBatch(first: 2, count: 2))
        let tail = try #require(try log.readFileRecords(from: 2, maxBytes: 1 << 20))
        // A follower truncating (after an unclean election) shortens the very file the records
        // point into: the server checks the size before it sends (see KafkaConnectionHandler).
        try log.truncate(to: 2)
        #expect(try tail.file.size() < tail.position + Int64(tail.count))
    }
}
