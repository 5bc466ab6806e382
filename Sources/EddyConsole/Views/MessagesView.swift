import Foundation
import EddyClient
import EddyProtocol

/// View 6: records of one partition from an offset or a time: offset, timestamp, key, value
/// and headers, then the selected record in full below (headers, and the value as UTF-8,
/// pretty-printed JSON or a hex dump). `v` switches the format, `o` and `t` jump to an offset
/// or a time, `g`/`G` to the start or end, `[` and `]` page.
///
/// Transactions show as the log holds them: a COMMIT or ABORT marker is a row of its own (KEY
/// `COMMIT`/`ABORT`, VALUE its producer and epochs), and the records of aborted transactions,
/// which read_committed consumers never see, are dimmed.
enum MessagesView {
    static func spec(format: ValueFormat) -> TableSpec<MessageRecord> {
        TableSpec(
            columns: [
                TableColumn("OFFSET", width: .min(6), alignment: .right), TableColumn("TIMESTAMP", width: .fixed(23)),
                TableColumn("KEY", width: .min(3)), TableColumn("VALUE", width: .flex(min: 10, weight: 1)),
                TableColumn("HDRS", width: .min(4), alignment: .right),
            ],
            orderings: [0: { $0.offset < $1.offset }],
            searchText: { r in
                (r.marker.map { $0.committed ? "COMMIT " : "ABORT " } ?? "") + ValueFormatter.oneLine(r.key, format: .utf8) + " " + ValueFormatter.oneLine(r.value, format: .utf8) + " "
                    + r.headers.map(\.key).joined(separator: " ")
            },
            defaultSort: TableSort(column: 0))
    }

    /// The records shown for `tp` (none while another partition's page is loaded).
    static func items(_ state: ConsoleState, tp: TopicPartition) -> [MessageRecord] {
        guard let page = state.messages, page.query.topicPartition == tp else { return [] }
        return spec(format: state.valueFormat).arrange(page.records, state: state.viewState(.messages(tp)))
    }

    /// The table as tall as its rows (at most a little over half the body), the selected
    /// record's detail below it.
    static func layout(body: Rect, rowCount: Int) -> (table: Rect, detail: Rect) {
        let rest = body.splitTop(1).rest
        let tableHeight = max(3, min(rowCount + 1, rest.height * 11 / 20))
        let (table, detail) = rest.splitTop(tableHeight)
        return (table, detail)
    }

    static func tableRect(body: Rect, state: ConsoleState, tp: TopicPartition) -> Rect {
        layout(body: body, rowCount: items(state, tp: tp).count).table
    }

    static func render(into grid: inout CellGrid, body: Rect, topicPartition tp: TopicPartition, context: ViewContext) {
        let glyphs = context.glyphs
        let state = context.state
        let viewState = context.viewState(.messages(tp))
        let page = state.messages?.query.topicPartition == tp ? state.messages : nil
        let records = items(state, tp: tp)
        var pairs: [(String, String, Style)] = [("", tp.description, Style(.title, attributes: .bold))]
        if let page {
            let shown = page.records.isEmpty ? "none" : "\(page.records.first!.offset)-\(page.records.last!.offset)"
            pairs.append(("offsets", shown, .text))
            pairs.append(("log", "\(page.logStartOffset)-\(page.highWatermark) (HW)", .text))
            pairs.append(("from", startText(page.query.start, timeZone: state.timeZone), .text))
        }
        if let page {
            let aborted = page.records.filter(\.isAborted).count
            if aborted > 0 { pairs.append(("aborted", String(aborted), Style(.muted))) }
        }
        pairs.append(("value", state.valueFormat.rawValue, Style(.accent)))
        if state.pendingMessages?.topicPartition == tp { pairs.append(("", "loading...", Style(.muted))) }
        SummaryLine.render(SummaryLine.pairs(pairs, glyphs: glyphs), filter: viewState.filter, shown: records.count,
                           total: page?.records.count ?? 0, into: &grid, rect: body, glyphs: glyphs)

        let layout = layout(body: body, rowCount: records.count)
        let spec = spec(format: state.valueFormat)
        let rows = records.map { r in
            if let m = r.marker { return markerRow(m, timeZone: state.timeZone) }
            // An aborted transaction's record is dimmed whole; otherwise only a null key or value.
            let dim: Style? = r.isAborted ? Style(.muted, attributes: .dim) : nil
            return TableRow([
                .text(String(r.offset), dim), .text(HumanFormat.timestamp(epochMs: r.timestamp, timeZone: state.timeZone), dim),
                .text(ValueFormatter.oneLine(r.key, format: state.valueFormat == .hex ? .hex : .utf8), dim ?? (r.key == nil ? Style(.muted) : nil)),
                .text(ValueFormatter.oneLine(r.value, format: state.valueFormat), dim ?? (r.value == nil ? Style(.muted) : nil)),
                .text(r.headers.isEmpty ? "" : String(r.headers.count), dim),
            ])
        }
        let empty = page == nil ? "loading records..." : viewState.filter.isEmpty ? "no records here; g goes to the start, o to an offset" : "no record matches the filter"
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: layout.table, glyphs: glyphs)

        let selected = viewState.selection.clamped(rowCount: records.count, pageSize: Table.bodyHeight(for: layout.table)).row
        guard let index = selected, records.indices.contains(index), layout.detail.height > 1 else { return }
        renderDetail(records[index], into: &grid, rect: layout.detail, context: context)
    }

    /// A transaction marker's row: COMMIT in the ok colour, ABORT in the error colour.
    static func markerRow(_ m: PartitionTransactionLayout.Marker, timeZone: TimeZone) -> TableRow {
        let muted = Style(.muted)
        return TableRow([
            .text(String(m.offset), muted), .text(HumanFormat.timestamp(epochMs: m.timestamp, timeZone: timeZone), muted),
            .text(m.committed ? "COMMIT" : "ABORT", Style(m.committed ? .ok : .error, attributes: .bold)),
            .text("marker of producer \(m.producerId), epoch \(m.producerEpoch)", muted), .text(""),
        ])
    }

    /// What the detail says of a record's transaction.
    static func transactionText(_ t: MessageTransaction) -> String {
        switch t.fate {
        case .committed: "committed (producer \(t.producerId))"
        case .aborted: "aborted (producer \(t.producerId)): read_committed consumers skip it"
        case .open: "open (producer \(t.producerId)): read_committed consumers wait at the last stable offset"
        case .unknown: "producer \(t.producerId); its marker was not found within the bytes read"
        }
    }

    /// The selected record: a rule with its offset and time, its key and headers, its value.
    static func renderDetail(_ record: MessageRecord, into grid: inout CellGrid, rect: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        let state = context.state
        grid.horizontalLine(x: rect.x, y: rect.y, length: rect.width, glyphs: glyphs)
        var title = " offset \(record.offset), \(HumanFormat.timestamp(epochMs: record.timestamp, timeZone: state.timeZone))"
        title += record.isLogAppendTime ? " (log append time) " : " (create time) "
        grid.put(title, x: rect.x + 2, y: rect.y, style: Style(.title), clip: rect)
        var y = rect.y + 1
        func line(_ spans: [Span]) {
            guard y < rect.maxY else { return }
            grid.put(spans, in: Rect(x: rect.x, y: y, width: rect.width, height: 1), ellipsis: glyphs.ellipsis)
            y += 1
        }
        if let m = record.marker {
            line([Span("marker  ", Style(.muted)), Span(m.committed ? "COMMIT" : "ABORT", Style(m.committed ? .ok : .error, attributes: .bold)),
                  Span(" ends the transaction of producer \(m.producerId) (epoch \(m.producerEpoch)) in this partition")])
            line([Span("        ", Style(.muted)), Span("written by its coordinator at coordinator epoch \(m.coordinatorEpoch)", Style(.muted))])
            return
        }
        if let t = record.transaction {
            line([Span("txn     ", Style(.muted)), Span(transactionText(t), t.fate == .aborted ? Style(.warning) : Style(.text))])
        }
        line([Span("key     ", Style(.muted)), Span(ValueFormatter.oneLine(record.key, format: state.valueFormat == .hex ? .hex : .utf8))])
        if !record.headers.isEmpty {
            line([Span("headers ", Style(.muted))] + record.headers.enumerated().flatMap { i, h -> [Span] in
                [Span(i == 0 ? "" : ", "), Span(h.key, Style(.accent)), Span("=" + ValueFormatter.oneLine(h.value, format: .utf8))]
            })
        }
        var label = "value   "
        if state.valueFormat == .json && !ValueFormatter.isJSON(record.value) && record.value != nil { label = "value (not JSON) " }
        line([Span(label, Style(.muted)), Span("\(record.value?.count ?? 0) bytes", Style(.muted))])
        for text in ValueFormatter.lines(record.value, format: state.valueFormat, width: rect.width - 2) {
            guard y < rect.maxY else { break }
            line([Span("  " + text)])
        }
    }

    static func startText(_ start: MessagesStart, timeZone: TimeZone) -> String {
        switch start {
        case .earliest: "earliest"
        case .latest: "latest"
        case let .offset(o): "offset \(o)"
        case let .timestamp(ms): HumanFormat.timestamp(epochMs: ms, timeZone: timeZone)
        case let .ago(ms): HumanFormat.duration(ms: ms) + " ago"
        }
    }
}
