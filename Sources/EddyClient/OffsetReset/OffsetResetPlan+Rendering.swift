/// Text renderings of a plan. Pure: plan in, lines out (no trailing newlines, no I/O).
extension OffsetResetPlan {
    /// Kafka's table: `GROUP TOPIC PARTITION NEW-OFFSET`, group and topic columns as wide as the
    /// longest value but at least 15, partition 10, one space between columns. No lines at all
    /// for an empty plan (Kafka prints no header then).
    public func kafkaTableLines() -> [String] {
        guard !entries.isEmpty else { return [] }
        let groupWidth = max(15, group.count)
        let topicWidth = max(15, entries.map(\.topicPartition.topic.count).max() ?? 0)
        func row(_ g: String, _ t: String, _ p: String, _ o: String) -> String {
            "\(g.padded(groupWidth)) \(t.padded(topicWidth)) \(p.padded(10)) \(o)"
        }
        return [row("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")] + entries.map {
            row(group, $0.topicPartition.topic, String($0.topicPartition.partition), String($0.newOffset))
        }
    }

    /// `--export`: Kafka's CSV, `topic,partition,offset` per entry with the new offset (the
    /// single-group format that `OffsetResetFile`, so `--from-file`, reads back). No lines for an
    /// empty plan.
    public func exportLines() -> [String] {
        entries.map { "\($0.topicPartition.topic),\($0.topicPartition.partition),\($0.newOffset)" }
    }

    /// eddy's preview: `TOPIC PARTITION OLD-OFFSET NEW-OFFSET OLD-LAG NEW-LAG`, lags relative to
    /// the high watermark, `-` where there is no committed offset. Each column is as wide as its
    /// widest cell; columns are separated by two spaces; trailing spaces are trimmed.
    public func previewLines() -> [String] {
        var rows = [["TOPIC", "PARTITION", "OLD-OFFSET", "NEW-OFFSET", "OLD-LAG", "NEW-LAG"]]
        for e in entries {
            rows.append([
                e.topicPartition.topic, String(e.topicPartition.partition),
                e.oldOffset.map(String.init) ?? "-", String(e.newOffset),
                e.oldLag.map(String.init) ?? "-", String(e.newLag),
            ])
        }
        let widths = (0..<6).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            var line = zip(row, widths).map { $0.padded($1) }.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}

fileprivate extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
