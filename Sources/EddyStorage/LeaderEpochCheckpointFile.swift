/// Kafka's `leader-epoch-checkpoint` file, one per partition directory, plain text:
///
///     0              version
///     2              number of entries
///     3 0            leader epoch, start offset (one line per entry, oldest first)
///     5 1200
///
/// Written atomically (temp file, fsync, rename, fsync directory). A file that does not
/// parse, or whose entries are not in strictly increasing epoch order with non-decreasing
/// offsets, is reported as corrupt; the log then rebuilds its cache from the batches'
/// partitionLeaderEpoch fields, which is always possible because every batch carries one.
public enum LeaderEpochCheckpointFile {
    public static let fileName = "leader-epoch-checkpoint"

    public static func encode(_ entries: [LeaderEpochEntry]) -> [UInt8] {
        var s = "0\n\(entries.count)\n"
        for e in entries { s += "\(e.epoch) \(e.startOffset)\n" }
        return Array(s.utf8)
    }

    public static func decode(_ bytes: [UInt8]) throws -> [LeaderEpochEntry] {
        func bad(_ why: String) -> StorageError { .corruptFile(path: fileName, reason: why) }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 2, lines[0] == "0" else { throw bad("unsupported version line") }
        guard let n = Int(lines[1]), n >= 0, lines.count >= n + 2 else { throw bad("bad entry count") }
        var out: [LeaderEpochEntry] = []
        out.reserveCapacity(n)
        for line in lines[2 ..< 2 + n] {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count == 2, let epoch = Int32(f[0]), epoch >= 0, let offset = Int64(f[1]), offset >= 0 else {
                throw bad("bad entry '\(line)'")
            }
            if let prev = out.last, !(prev.epoch < epoch && prev.startOffset <= offset) {
                throw bad("entry '\(line)' is out of order")
            }
            out.append(LeaderEpochEntry(epoch: epoch, startOffset: offset))
        }
        guard lines.count == n + 2 || (lines.count == n + 3 && lines[n + 2].isEmpty) else { throw bad("trailing data") }
        return out
    }

    /// The entries in `path`, nil if the file does not exist.
    public static func read(_ path: String) throws -> [LeaderEpochEntry]? {
        guard FileSystem.exists(path) else { return nil }
        do { return try decode(try FileSystem.readAll(path)) } catch StorageError.corruptFile(_, let why) {
            throw StorageError.corruptFile(path: path, reason: why)
        }
    }

    public static func write(_ path: String, _ entries: [LeaderEpochEntry]) throws {
        try FileSystem.writeAtomically(path, encode(entries))
    }
}
