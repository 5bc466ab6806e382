import EddyProtocol
import Foundation
import Testing

/// Direct reads of a partition directory's segment files, to check the recovery contract
/// independently of eddy's own read path.
struct PartitionFiles {
    let directory: String

    /// `.log` files sorted by base offset.
    func segmentLogs() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
            .map { directory + "/" + $0 }
    }

    func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    /// Batches of one segment file with their positions; the file must hold only whole batches.
    func batches(_ path: String) throws -> [MemoryRecords.BatchLocation] {
        try MemoryRecords.batches(in: try bytes(path), allowPartialTail: false)
    }

    /// Checks every segment: whole batches only, each with a valid CRC and valid records, and
    /// offsets contiguous from 0 with no gap or duplicate across segments. Returns the next offset.
    func verifyContiguous(_ context: String) throws -> Int64 {
        var next: Int64 = 0
        for path in try segmentLogs() {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let base = try #require(Int64(name.dropLast(4)), "\(context): bad segment name \(name)")
            #expect(base == next, "\(context): segment \(name) starts at \(base), expected \(next)")
            let data = try bytes(path)
            for loc in try MemoryRecords.batches(in: data, allowPartialTail: false) {
                let batch = try RecordBatch(bytes: Array(data[loc.range]))
                #expect(throws: Never.self, "\(context): batch at \(loc.position) of \(name)") { try batch.validate(records: true) }
                #expect(loc.header.baseOffset == next, "\(context): batch at \(loc.position) of \(name) has base \(loc.header.baseOffset), expected \(next)")
                next = loc.header.nextOffset
            }
        }
        return next
    }
}

/// A consumed record: `%p %o %k %s` split into fields.
struct ConsumedRecord: Equatable {
    var partition: Int
    var offset: Int64
    var key: String
    var value: String

    static let format = "%p %o %k %s\\n"

    static func parse(_ result: Eddy.Result) throws -> [ConsumedRecord] {
        try result.outLines.map { line in
            let f = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            try #require(f.count == 4, "bad consume line '\(line)'")
            return ConsumedRecord(partition: try #require(Int(f[0])), offset: try #require(Int64(f[1])), key: f[2], value: f[3])
        }
    }
}
