import EddyProtocol

/// The `cleaner-offset-checkpoint` file at the root of a log directory: each compacted
/// partition's first dirty offset (everything below it has been cleaned at least once).
/// Same text format as Kafka's other offset checkpoint files:
///
///     0                          version
///     2                          number of entries
///     orders 0 1500              topic, partition, offset; separated by single spaces
///     users 3 27
///
/// Lines end with "\n". Entries are written sorted by topic and partition. Reading accepts any
/// run of spaces or tabs between fields and an empty file (no entries), and rejects another
/// version, a count that disagrees with the entries, and malformed or negative values.
/// Writers replace the file atomically (write a temp file, fsync, rename, fsync the directory).
public enum CleanerOffsetCheckpoint {
    public static let fileName = "cleaner-offset-checkpoint"
    public static let version = 0

    public static func encode(_ offsets: [TopicPartition: Int64]) -> String {
        var s = "\(version)\n\(offsets.count)\n"
        for (tp, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            s += "\(tp.topic) \(tp.partition) \(offset)\n"
        }
        return s
    }

    public static func decode(_ text: String) throws(LogCleanerError) -> [TopicPartition: Int64] {
        // "\r\n" is one Character in Swift, and a newline.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { return [:] }
        guard let v = Int(first.trimmed), v == version else {
            throw .malformedCheckpoint(line: 1, reason: "unrecognized version '\(first)'")
        }
        guard lines.count >= 2 else { throw .malformedCheckpoint(line: 2, reason: "missing entry count") }
        guard let expected = Int(lines[1].trimmed), expected >= 0 else {
            throw .malformedCheckpoint(line: 2, reason: "invalid entry count '\(lines[1])'")
        }
        var out: [TopicPartition: Int64] = [:]
        for (i, line) in lines.dropFirst(2).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 3, let p = Int32(fields[1]), p >= 0, let o = Int64(fields[2]), o >= 0, !fields[0].isEmpty else {
                throw .malformedCheckpoint(line: i + 3, reason: "expected 'topic partition offset', got '\(line)'")
            }
            out[TopicPartition(String(fields[0]), p)] = o
        }
        guard out.count == expected, lines.count - 2 == expected else {
            throw .malformedCheckpoint(line: lines.count, reason: "expected \(expected) entries, found \(lines.count - 2)")
        }
        return out
    }
}

private extension Substring {
    var trimmed: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
