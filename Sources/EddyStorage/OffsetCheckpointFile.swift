import EddyProtocol
import Foundation

/// Kafka's offset checkpoint file format (recovery-point-offset-checkpoint,
/// log-start-offset-checkpoint, replication-offset-checkpoint), plain text:
///
///     0                      version
///     2                      number of entries
///     orders 0 1234          topic, partition, offset (one line per entry)
///     orders 1 99
///
/// Written atomically (temp file, fsync, rename, fsync directory), so after a crash it holds
/// either the previous or the new content. A file that does not parse is reported as corrupt
/// and treated by callers as absent, which is always safe (it only causes more recovery work).
public enum OffsetCheckpointFile {
    public static func encode(_ offsets: [TopicPartition: Int64]) -> [UInt8] {
        var s = "0\n\(offsets.count)\n"
        for (tp, o) in offsets.sorted(by: { $0.key < $1.key }) { s += "\(tp.topic) \(tp.partition) \(o)\n" }
        return Array(s.utf8)
    }

    public static func decode(_ bytes: [UInt8]) throws -> [TopicPartition: Int64] {
        func bad(_ why: String) -> StorageError { .corruptFile(path: "checkpoint", reason: why) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0] == "0" else { throw bad("unsupported version line") }
        guard let n = Int(lines[1]), n >= 0, lines.count >= n + 2 else { throw bad("bad entry count") }
        var out: [TopicPartition: Int64] = [:]
        for line in lines[2 ..< 2 + n] {
            let f = line.split(separator: " ")
            guard f.count == 3, let p = Int32(f[1]), p >= 0, let o = Int64(f[2]) else { throw bad("bad entry '\(line)'") }
            out[TopicPartition(String(f[0]), p)] = o
        }
        guard lines.count == n + 2 || (lines.count == n + 3 && lines[n + 2].isEmpty) else { throw bad("trailing data") }
        return out
    }

    public static func read(_ path: String) throws -> [TopicPartition: Int64]? {
        guard FileSystem.exists(path) else { return nil }
        do { return try decode(try FileSystem.readAll(path)) } catch StorageError.corruptFile(_, let why) {
            throw StorageError.corruptFile(path: path, reason: why)
        }
    }

    public static func write(_ path: String, _ offsets: [TopicPartition: Int64]) throws {
        try FileSystem.writeAtomically(path, encode(offsets))
    }
}
