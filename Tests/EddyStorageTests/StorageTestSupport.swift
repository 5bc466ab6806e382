import EddyProtocol
@testable import EddyStorage
import Foundation

/// A fresh temporary directory, removed by `cleanup()`.
struct TempDir {
    let path: String
    init(_ name: String = "eddy-test") {
        path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// A batch of `count` records "v<first+i>" with keys "k<first+i>" and the given timestamps.
func makeBatch(first: Int, count: Int, timestamp: Int64 = 1_000, valueSize: Int = 0) -> [UInt8] {
    var b = RecordBatchBuilder()
    for i in first ..< first + count {
        var v = Array("v\(i)".utf8)
        if valueSize > v.count { v += [UInt8](repeating: UInt8(ascii: "x"), count: valueSize - v.count) }
        b.append(timestamp: timestamp + Int64(i - first), key: Array("k\(i)".utf8), value: v)
    }
    return b.build().bytes
}

/// Every record readable from `log`, from its start to its end.
func readAll(_ log: PartitionLog, from start: Int64? = nil) throws -> [Record] {
    var out: [Record] = []
    var next = start ?? log.logStartOffset
    while next < log.logEndOffset {
        let data = try log.read(from: next, maxBytes: 1 << 16)
        if data.bytes.isEmpty { break }
        let recs = try MemoryRecords.records(in: data.bytes, allowPartialTail: false).filter { $0.offset >= next }
        out += recs
        next = (recs.last?.offset ?? next) + 1
    }
    return out
}

/// The header of every batch readable from `log`, from its start to its end, in order.
func batchHeaders(_ log: PartitionLog) throws -> [RecordBatchHeader] {
    var out: [RecordBatchHeader] = []
    var next = log.logStartOffset
    while next < log.logEndOffset {
        let data = try log.read(from: next, maxBytes: 1 << 16)
        let locations = try MemoryRecords.batches(in: data.bytes)
        guard let last = locations.last else { break }
        out += locations.map(\.header)
        next = last.header.nextOffset
    }
    return out
}

func values(_ records: [Record]) -> [String] { records.map { String(decoding: $0.value ?? [], as: UTF8.self) } }

func openLog(_ dir: TempDir, config: LogConfig = LogConfig(), clock: any Clock = ManualClock(nowMs: 10_000),
             recoveryPoint: Int64 = 0, clean: Bool = false, logStart: Int64? = nil, highWatermark: Int64? = nil) throws -> PartitionLog {
    try PartitionLog(directory: dir.file("t-0"), topicPartition: TopicPartition("t", 0), config: config, clock: clock,
                     recoveryPoint: recoveryPoint, logStartOffset: logStart, highWatermark: highWatermark, hadCleanShutdown: clean)
}

func config(_ kv: [String: String]) -> LogConfig { try! LogConfig(overrides: kv) }

func segmentFiles(_ dir: TempDir, suffix: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.file("t-0"))) ?? []).filter { $0.hasSuffix("." + suffix) }.sorted()
}
