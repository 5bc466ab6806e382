import EddyProtocol
import EddyStorage
import Foundation
@testable import EddyBroker

/// A fresh directory under the system temp directory, removed by `cleanup()`.
struct TempDirectory {
    let path: String

    init(_ label: String = "broker") {
        path = NSTemporaryDirectory() + "eddy-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

func listDirectory(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

func fileBytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

func writeFile(_ path: String, _ bytes: [UInt8]) { _ = FileManager.default.createFile(atPath: path, contents: Data(bytes)) }

func truncateFile(_ path: String, to size: Int) {
    let h = FileHandle(forWritingAtPath: path)!
    try! h.truncate(atOffset: UInt64(size))
    try! h.close()
}

/// One uncompressed batch of string values (keys optional).
func batch(_ values: [String], keys: [String?]? = nil, timestamp: Int64 = 1_700_000_000_000) -> [UInt8] {
    var b = RecordBatchBuilder()
    for (i, v) in values.enumerated() {
        b.append(timestamp: timestamp + Int64(i), key: keys?[i].map { Array($0.utf8) }, value: Array(v.utf8))
    }
    return b.build().bytes
}

/// Values of every record in fetched bytes.
func values(_ bytes: [UInt8]) throws -> [String] {
    try MemoryRecords.records(in: bytes).map { String(decoding: $0.value ?? [], as: UTF8.self) }
}

/// A deterministic metadata log whose snapshots and segments trigger after a few records.
func smallMetadataSettings(records: Int = 5) -> MetadataLog.Settings {
    var s = MetadataLog.Settings()
    s.maxRecordsBetweenSnapshots = records
    s.segmentBytes = 600
    s.recordsPerSnapshotBatch = 3
    return s
}

/// The seeded generator of the broker tests.
typealias TestRandom = SplitMix64
