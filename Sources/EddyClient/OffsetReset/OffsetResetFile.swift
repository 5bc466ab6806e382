import EddyProtocol

/// A `--from-file` reset plan in Kafka's CSV format (the one `--export` writes).
///
/// Each non-blank line is either `topic,partition,offset` (single-group format) or
/// `group,topic,partition,offset` (multi-group format); every line of a file must use the same
/// format. Fields may be padded with spaces; lines may end in `\n`, `\r\n` or `\r`. The partition must be a
/// non-negative 32-bit integer and the offset a 64-bit integer (out-of-range offsets are clamped
/// later, with a warning, as Kafka does). When a partition appears twice, the later line wins,
/// as in Kafka.
public struct OffsetResetFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// nil in the single-group format.
        public var group: String?
        public var topicPartition: TopicPartition
        public var offset: Int64
        /// 1-based line in the file.
        public var line: Int
    }

    public var entries: [Entry]

    public init(csv: String) throws {
        var entries: [Entry] = []
        var fieldCount: Int?
        for (index, rawLine) in csv.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.offsetResetTrimmed
            if line.isEmpty { continue }
            func fail(_ reason: String) -> OffsetResetError {
                .invalidResetFile(line: lineNumber, text: String(line), reason: reason)
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(\.offsetResetTrimmed)
            guard fields.count == 3 || fields.count == 4 else {
                throw fail("expected topic,partition,offset or group,topic,partition,offset but found \(fields.count) field(s)")
            }
            if let expected = fieldCount, expected != fields.count {
                throw fail("expected \(expected) fields like the first line, found \(fields.count)")
            }
            fieldCount = fields.count
            let group: String? = fields.count == 4 ? String(fields[0]) : nil
            let rest = fields.suffix(3)
            let topic = rest[rest.startIndex], partition = rest[rest.startIndex + 1], offset = rest[rest.startIndex + 2]
            if let group, group.isEmpty { throw fail("empty group") }
            guard !topic.isEmpty else { throw fail("empty topic") }
            guard let p = Int32(partition), p >= 0 else { throw fail("invalid partition '\(partition)'") }
            guard let o = Int64(offset) else { throw fail("invalid offset '\(offset)'") }
            entries.append(Entry(group: group, topicPartition: TopicPartition(String(topic), p), offset: o, line: lineNumber))
        }
        self.entries = entries
    }

    /// The requested offset per partition for `group` (single-group lines apply to any group).
    /// Throws `noResetPlanForGroup` when no line applies.
    public func offsets(forGroup group: String) throws -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for e in entries where e.group == nil || e.group == group {
            result[e.topicPartition] = e.offset
        }
        guard !result.isEmpty else { throw OffsetResetError.noResetPlanForGroup(group) }
        return result
    }
}
