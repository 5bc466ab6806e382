import Foundation
import Testing

/// Retention and compaction as a user sees them from the shell: each command applies log
/// maintenance when it opens the data directory.
@Suite struct LogMaintenanceTests {
    /// Partition 0's row of `topics describe`: [partition, leader, epoch, replicas, isr, start, end, hw, segments, size].
    func row(_ topic: String, _ dir: TempDataDir) throws -> [String] {
        let d = try Eddy.run(["topics", "describe", "--topic", topic] + dir.flag)
        #expect(d.status == 0, "\(d)")
        return try #require(d.outLines.dropFirst(2).first).split(separator: " ").map(String.init)
    }

    @Test func retentionDeletesOldSegmentsOnTheNextCommand() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try #require(try Eddy.run(["topics", "create", "--topic", "events", "--partitions", "1", "--replication-factor", "3",
                                   "--config", "segment.bytes=300", "--config", "retention.ms=3600000"] + dir.flag).status == 0)
        let lines = (0 ..< 40).map { "event-\($0)" }.joined(separator: "\n") + "\n"
        try #require(try Eddy.run(["produce", "--topic", "events", "--batch-size", "100"] + dir.flag, stdin: Array(lines.utf8)).status == 0)
        let before = try row("events", dir)
        #expect(before[5] == "0" && before[6] == "40" && Int(before[8])! > 2, "\(before)")
        // An hour of retention keeps everything; a millisecond keeps only the active segment.
        try #require(try Eddy.run(["topics", "alter", "--topic", "events", "--config", "retention.ms=1"] + dir.flag).status == 0)
        let after = try row("events", dir)
        #expect(after[8] == "1", "\(after)")
        #expect(Int(after[5])! > 0 && after[6] == "40", "\(after)")
        let consumed = try Eddy.run(["consume", "--topic", "events", "--exit-at-end"] + dir.flag)
        #expect(consumed.outLines.last == "event-39")
        #expect(consumed.outLines.count == 40 - Int(after[5])!)
    }

    @Test func compactionKeepsTheLatestValuePerKey() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("state", partitions: 1,
                            configs: ["cleanup.policy=compact", "segment.bytes=300", "min.cleanable.dirty.ratio=0.01"])
        var input = ""
        for round in 0 ..< 10 { for k in 0 ..< 3 { input += "k\(k):v\(round)\n" } }
        try #require(try Eddy.run(["produce", "--topic", "state", "--key-separator", ":", "--batch-size", "100"] + dir.flag,
                                  stdin: Array(input.utf8)).status == 0)
        let consumed = try Eddy.run(["consume", "--topic", "state", "--exit-at-end", "--format", "%o %k=%s\\n"] + dir.flag)
        #expect(consumed.status == 0, "\(consumed)")
        let records = consumed.outLines.map { $0.split(separator: " ").map(String.init) }
        // Older values were compacted away (only the active segment may still hold duplicates)...
        #expect(records.count < 30, "\(consumed)")
        // ...offsets keep increasing with gaps, and each key's last value is its newest.
        let offsets = records.map { Int($0[0])! }
        #expect(offsets == offsets.sorted() && offsets.last == 29)
        var last: [String: String] = [:]
        for r in records { let kv = r[1].split(separator: "="); last[String(kv[0])] = String(kv[1]) }
        #expect(last == ["k0": "v9", "k1": "v9", "k2": "v9"])
    }
}
