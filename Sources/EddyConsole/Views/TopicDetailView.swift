import EddyProtocol

/// View 3: one topic, one row per partition: leader, replicas (those out of the ISR
/// highlighted), ISR, log start, log-end offset, high watermark, last stable offset (in
/// `warning`, with how long it has stood there, while an open transaction holds it below the
/// high watermark), size, records/s and a sparkline. Offline partitions are drawn in `error`, under-replicated ones in `warning`;
/// so are partitions whose leader does not answer (`N down` in LEADER, counted as
/// `unreachable`), and ISR members whose broker is down are marked in `error`: they hold the
/// high watermark until the controller fences them. Enter opens the partition's messages.
enum TopicDetailView {
    static func spec(model: ConsoleModel, topic: String) -> TableSpec<PartitionSnapshot> {
        let rates = model.partitionIn
        func rate(_ p: PartitionSnapshot) -> Double? { rates[TopicPartition(topic, p.partition)]?.last }
        return TableSpec(
            columns: [
                TableColumn("PART", width: .min(4), alignment: .right), TableColumn("LEADER", width: .min(6), alignment: .right),
                TableColumn("REPLICAS", width: .min(8)), TableColumn("ISR", width: .min(5)),
                TableColumn("LOG-START", width: .min(6), alignment: .right), TableColumn("LOG-END", width: .min(7), alignment: .right),
                TableColumn("HW", width: .min(6), alignment: .right), TableColumn("LSO", width: .min(5), alignment: .right),
                TableColumn("SIZE", width: .min(7), alignment: .right),
                TableColumn("REC/s", width: .min(6), alignment: .right), TableColumn("TREND", width: .flex(min: 6, weight: 1)),
            ],
            orderings: [
                0: { $0.partition < $1.partition },
                1: { ascending($0.leader, $1.leader) },
                3: { $0.isr.count < $1.isr.count },
                4: { ascending($0.logStartOffset, $1.logStartOffset) },
                5: { ascending($0.logEndOffset, $1.logEndOffset) },
                6: { ascending($0.highWatermark, $1.highWatermark) },
                7: { ascending($0.lastStableOffset, $1.lastStableOffset) },
                8: { ascending($0.sizeBytes, $1.sizeBytes) },
                9: { ascending(rate($0), rate($1)) },
            ],
            searchText: { "\($0.partition)" },
            defaultSort: TableSort(column: 0))
    }

    static func items(_ model: ConsoleModel, topic: String, _ state: ViewState) -> [PartitionSnapshot] {
        spec(model: model, topic: topic).arrange(model.latest?.topic(topic)?.partitions ?? [], state: state)
    }

    static func tableRect(body: Rect) -> Rect { body.splitTop(1).rest }

    static func render(into grid: inout CellGrid, body: Rect, topic name: String, context: ViewContext) {
        let glyphs = context.glyphs
        let model = context.model
        guard let topic = model.latest?.topic(name) else {
            let text = model.latest == nil ? "waiting for the first sample..." : "topic \(name) does not exist (any more); Esc goes back"
            grid.put(text, in: body.row(0), style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        let view = ConsoleView.topic(name)
        let viewState = context.viewState(view)
        let spec = spec(model: model, topic: name)
        let partitions = spec.arrange(topic.partitions, state: viewState)
        // The partition counts that need attention come first, so a narrow screen shows them.
        var pairs: [(String, String, Style)] = [("", name, Style(.title, attributes: .bold)), ("partitions", String(topic.partitions.count), .text)]
        if topic.unreachableCount > 0 { pairs.append(("unreachable", String(topic.unreachableCount), Style(.error, attributes: .bold))) }
        if topic.offlineCount > 0 { pairs.append(("offline", String(topic.offlineCount), Style(.error, attributes: .bold))) }
        if topic.underReplicatedCount > 0 { pairs.append(("under-replicated", String(topic.underReplicatedCount), Style(.warning, attributes: .bold))) }
        pairs += [
            ("RF", String(topic.replicationFactor), .text), ("cleanup", topic.cleanupPolicy ?? "-", .text),
            ("retention", CellText.retention(ms: topic.retentionMs, bytes: topic.retentionBytes), .text),
            ("in", CellText.rate(model.topicIn[name]?.last), .text),
        ]
        SummaryLine.render(SummaryLine.pairs(pairs, glyphs: glyphs), filter: viewState.filter, shown: partitions.count,
                           total: topic.partitions.count, into: &grid, rect: body, glyphs: glyphs)
        let rows = partitions.map { p -> TableRow in
            let series = model.partitionIn[TopicPartition(name, p.partition)]
            let style: Style = p.isOffline || p.leaderUnreachable ? Style(.error) : p.isUnderReplicated ? Style(.warning) : .text
            return TableRow([
                .text(String(p.partition)), CellText.leader(p),
                CellText.replicas(p.replicas, isr: p.isr), CellText.isr(p.isr, offline: p.offlineReplicas),
                .text(CellText.offset(p.logStartOffset)), .text(CellText.offset(p.logEndOffset)),
                .text(CellText.offset(p.highWatermark)),
                CellText.lastStable(p.lastStableOffset, hold: model.transactionHold(TopicPartition(name, p.partition))),
                .text(CellText.bytes(p.sizeBytes)),
                .text(CellText.rate(series?.last)), series.map { .sparkline($0.sparkline) } ?? .text(""),
            ], style: style)
        }
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: "no partition matches the filter").render(into: &grid, rect: tableRect(body: body), glyphs: glyphs)
    }
}
