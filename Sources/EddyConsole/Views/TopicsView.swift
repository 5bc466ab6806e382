/// View 2: one row per topic: name, partitions, replication factor, records/s in, bytes/s
/// in, records/s consumed (all groups), size, retention and cleanup policy, plus an
/// inflow sparkline when the screen is wide enough. Sortable (`s`), filterable (`/`). A topic
/// with an offline or unreachable partition is drawn in `error`, one with an under-replicated
/// partition in `warning`.
enum TopicsView {
    /// Screens at least this wide also show the inflow trend column.
    static let trendMinimumWidth = 110

    static func spec(model: ConsoleModel, width: Int) -> TableSpec<TopicSnapshot> {
        var columns = [
            TableColumn("TOPIC", width: .min(8)), TableColumn("PARTS", width: .min(5), alignment: .right),
            TableColumn("RF", width: .min(2), alignment: .right), TableColumn("IN/s", width: .min(6), alignment: .right),
            TableColumn("BYTES/s", width: .min(9), alignment: .right), TableColumn("CONS/s", width: .min(6), alignment: .right),
            TableColumn("SIZE", width: .min(8), alignment: .right), TableColumn("RETENTION", width: .min(7)),
            TableColumn("CLEANUP", width: .min(7)),
        ]
        if width >= trendMinimumWidth { columns.append(TableColumn("IN TREND", width: .flex(min: 10, weight: 1))) }
        let topicIn = model.topicIn, bytesIn = model.topicBytesIn, consumed = model.topicConsumed
        return TableSpec(
            columns: columns,
            orderings: [
                0: { $0.name < $1.name },
                1: { $0.partitions.count < $1.partitions.count },
                2: { $0.replicationFactor < $1.replicationFactor },
                3: { ascending(topicIn[$0.name]?.last, topicIn[$1.name]?.last) },
                4: { ascending(bytesIn[$0.name]?.last, bytesIn[$1.name]?.last) },
                5: { ascending(consumed[$0.name]?.last, consumed[$1.name]?.last) },
                6: { ascending($0.sizeBytes, $1.sizeBytes) },
                7: { ascending($0.retentionMs.map { $0 < 0 ? Int64.max : $0 }, $1.retentionMs.map { $0 < 0 ? Int64.max : $0 }) },
                8: { ascending($0.cleanupPolicy, $1.cleanupPolicy) },
            ],
            searchText: { $0.name },
            defaultSort: TableSort(column: 0))
    }

    static func items(_ model: ConsoleModel, _ state: ViewState, width: Int) -> [TopicSnapshot] {
        spec(model: model, width: width).arrange(model.latest?.topics ?? [], state: state)
    }

    static func tableRect(body: Rect) -> Rect { body.splitTop(1).rest }

    static func render(into grid: inout CellGrid, body: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        let model = context.model
        let viewState = context.viewState(.topics)
        let spec = spec(model: model, width: body.width)
        let all = model.latest?.topics ?? []
        let topics = spec.arrange(all, state: viewState)
        let partitions = all.reduce(0) { $0 + $1.partitions.count }
        SummaryLine.render(SummaryLine.pairs([("Topics", String(all.count), .text), ("partitions", String(partitions), .text)], glyphs: glyphs),
                           filter: viewState.filter, shown: topics.count, total: all.count, into: &grid, rect: body, glyphs: glyphs)
        let rows = topics.map { t -> TableRow in
            var cells: [TableCell] = [
                .text(t.name, t.isInternal ? Style(.muted) : nil), .text(String(t.partitions.count)), .text(String(t.replicationFactor)),
                .text(CellText.rate(model.topicIn[t.name]?.last)), .text(CellText.byteRate(t.sizeBytes != nil ? model.topicBytesIn[t.name]?.last : nil)),
                .text(CellText.rate(model.topicConsumed[t.name]?.last)), .text(CellText.bytes(t.sizeBytes)),
                .text(CellText.retention(ms: t.retentionMs, bytes: t.retentionBytes)), .text(t.cleanupPolicy ?? "-"),
            ]
            if spec.columns.count > 9 { cells.append(model.topicIn[t.name].map { .sparkline($0.sparkline) } ?? .text("")) }
            let style: Style = t.offlineCount > 0 || t.unreachableCount > 0 ? Style(.error)
                : t.underReplicatedCount > 0 ? Style(.warning) : .text
            return TableRow(cells, style: style)
        }
        let empty = model.latest == nil ? "waiting for the first sample..." : viewState.filter.isEmpty ? "no topics yet; press n to create one" : "no topic matches the filter"
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: tableRect(body: body), glyphs: glyphs)
    }
}
