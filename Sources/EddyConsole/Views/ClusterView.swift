/// View 1: the brokers (state, leaders, replicas, bytes in and out per second), the
/// controller, counts of topics, partitions, under-replicated and offline partitions (and
/// unreachable ones, whose leader does not answer, when there are any), and
/// produce and consume throughput with sparklines; on a KRaft cluster that answers
/// DescribeQuorum, the quorum: leader, epoch, high watermark, and each voter's log end and lag
/// (observers counted), then the elections seen while watching (newest first; a lost leader
/// too). The controller is named "broker N" when it is a broker (combined mode), else "node N".
/// Controller-only nodes (separate mode) are rows of the table too, after a summary count of
/// them, so that `x`, `X` and `u` stop, kill and start them as they do brokers; they hold no
/// partitions and move no records.
///
///     controller broker 1 │ brokers 3 of 3 running │ cluster demo
///     topics 3 │ partitions 12 │ under-replicated 0 │ offline 0
///
///     BROKER STATE    LEADERS REPLICAS    IN/s   OUT/s TREND
///     1 ctl  running        4       12 1.2 KiB/s ...
///
///     Produce  120/s ▁▂▃▅▆▇
///     Consume  118/s ▁▂▃▅▆▇
enum ClusterView {
    static func spec() -> TableSpec<BrokerSnapshot> {
        TableSpec(
            columns: [
                TableColumn("BROKER", width: .min(6)), TableColumn("STATE", width: .min(7)),
                TableColumn("LEADERS", width: .min(7), alignment: .right), TableColumn("REPLICAS", width: .min(8), alignment: .right),
                TableColumn("IN/s", width: .min(9), alignment: .right), TableColumn("OUT/s", width: .min(9), alignment: .right),
                TableColumn("IN TREND", width: .flex(min: 8, weight: 1)),
            ],
            orderings: [0: { $0.id < $1.id }],
            searchText: { "\($0.id) \($0.state.rawValue) \($0.role.rawValue)" },
            defaultSort: TableSort(column: 0))
    }

    /// The brokers in display order (what the selection indexes).
    static func items(_ model: ConsoleModel, _ state: ViewState) -> [BrokerSnapshot] {
        spec().arrange(model.latest?.brokers ?? [], state: state)
    }

    /// The brokers table's rectangle inside the view's body.
    static func tableRect(body: Rect, model: ConsoleModel) -> Rect {
        let brokers = model.latest?.brokers.count ?? 0
        let rest = body.splitTop(3).rest
        let height = min(brokers + 1, max(2, rest.height - 5))
        return Rect(x: rest.x, y: rest.y, width: rest.width, height: max(2, height))
    }

    static func render(into grid: inout CellGrid, body: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        guard let snapshot = context.snapshot else {
            grid.put("Waiting for the first sample of the cluster...", in: body.row(0), style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        let brokerNodes = snapshot.brokerNodes
        let running = brokerNodes.filter { $0.state == .running }.count
        let controllerNodes = snapshot.brokers.filter { $0.role == .controller }
        let under = snapshot.topics.reduce(0) { $0 + $1.underReplicatedCount }
        let offline = snapshot.topics.reduce(0) { $0 + $1.offlineCount }
        let controllerName = snapshot.controllerId.map { id in snapshot.brokerNodes.contains { $0.id == id } ? "broker \(id)" : "node \(id)" }
        let controller: (String, String, Style) = ("controller", controllerName ?? "none",
                                                    snapshot.controllerId == nil ? Style(.error, attributes: .bold) : Style(.text, attributes: .bold))
        let brokerCount: (String, String, Style) = ("brokers", "\(running) of \(brokerNodes.count) running",
                                                running < brokerNodes.count ? Style(.warning, attributes: .bold) : Style(.ok))
        var pairs = [controller, brokerCount]
        if !controllerNodes.isEmpty {
            let up = controllerNodes.filter { $0.state == .running }.count
            pairs.append(("controllers", "\(up) of \(controllerNodes.count) running",
                          up < controllerNodes.count ? Style(.warning, attributes: .bold) : Style(.ok)))
        }
        pairs.append(("cluster", snapshot.clusterId ?? "-", Style(.muted)))
        grid.put(SummaryLine.pairs(pairs, glyphs: glyphs), in: body.row(0), ellipsis: glyphs.ellipsis)
        let unreachable = snapshot.topics.reduce(0) { $0 + $1.unreachableCount }
        var counts: [(String, String, Style)] = [
            ("topics", String(snapshot.topics.count), .text),
            ("partitions", String(snapshot.partitionCount), .text),
            ("under-replicated", String(under), under > 0 ? Style(.warning, attributes: .bold) : Style(.ok)),
            ("offline", String(offline), offline > 0 ? Style(.error, attributes: .bold) : Style(.ok)),
        ]
        if unreachable > 0 { counts.append(("unreachable", String(unreachable), Style(.error, attributes: .bold))) }
        grid.put(SummaryLine.pairs(counts, glyphs: glyphs), in: body.row(1), ellipsis: glyphs.ellipsis)

        let viewState = context.viewState(.cluster)
        let spec = spec()
        let brokers = spec.arrange(snapshot.brokers, state: viewState)
        let load = context.model.brokerLoad()
        let rows = brokers.map { b -> TableRow in
            let (leaders, replicas) = load[b.id] ?? (0, 0)
            let stateStyle: Style = switch b.state {
            case .running: Style(.ok)
            case .stopped, .fenced: Style(.warning, attributes: .bold)
            case .killed, .unreachable: Style(.error, attributes: .bold)
            }
            let id = [Span(String(b.id))] + (b.isController ? [Span(" ctl", Style(.accent))] : [])
            if b.role == .controller {
                let none = TableCell.text("-", Style(.muted))
                return TableRow([.spans(id), .text(b.state.rawValue, stateStyle), none, none, none, none,
                                 .text("controller only", Style(.muted))])
            }
            let bytesIn = context.model.brokerBytesIn[b.id]
            return TableRow([
                .spans(id),
                .text(b.state.rawValue, stateStyle),
                .text(String(leaders)), .text(String(replicas)),
                .text(CellText.byteRate(bytesIn?.last)), .text(CellText.byteRate(context.model.brokerBytesOut[b.id]?.last)),
                bytesIn.map { .sparkline($0.sparkline) } ?? .text("-", Style(.muted)),
            ])
        }
        let tableRect = tableRect(body: body, model: context.model)
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: "no brokers").render(into: &grid, rect: tableRect, glyphs: glyphs)

        var y = tableRect.maxY + 1
        let label = 9
        for (name, series) in [("Produce", context.model.clusterIn), ("Consume", context.model.clusterConsumed)] where y < body.maxY {
            grid.put(name, x: body.x, y: y, style: Style(.title), clip: body)
            let rate = TextLayout.pad(CellText.rate(series.last), to: 9, alignment: .right)
            grid.put(rate, x: body.x + label, y: y, style: .text, clip: body)
            let spark = Rect(x: body.x + label + 10, y: y, width: max(0, body.width - label - 10), height: 1)
            series.sparkline.render(into: &grid, rect: spark, glyphs: glyphs)
            y += 1
        }
        if let q = snapshot.quorum, y + 1 < body.maxY {
            y += 1
            grid.put(SummaryLine.pairs([("Quorum leader", q.leaderId >= 0 ? "\(q.leaderId)" : "none", q.leaderId >= 0 ? Style(.ok) : Style(.error, attributes: .bold)),
                                        ("epoch", String(q.leaderEpoch), .text), ("high watermark", String(q.highWatermark), .text),
                                        ("observers", String(q.observers.count), .text)], glyphs: glyphs),
                     in: body.row(y - body.y), ellipsis: glyphs.ellipsis)
            y += 1
            if y < body.maxY {
                var spans: [Span] = [Span("voters", Style(.title))]
                for v in q.voters.sorted(by: { $0.replicaId < $1.replicaId }) {
                    let lag = q.lag(v)
                    spans.append(Span("  \(v.replicaId)\(v.replicaId == q.leaderId ? "*" : ""): ", .text))
                    spans.append(Span(lag.map { "lag \($0)" } ?? "unknown", (lag ?? 1) > 0 ? Style(.warning) : Style(.ok)))
                }
                grid.put(spans, in: body.row(y - body.y), ellipsis: glyphs.ellipsis)
                y += 1
            }
            let changes = context.model.quorumChanges
            if !changes.isEmpty, y < body.maxY {
                var spans: [Span] = [Span("elections", Style(.title))]
                for change in changes.suffix(4).reversed() {
                    let ago = "\(max(0, snapshot.takenAtMs - change.atMs) / 1000)s ago"
                    if let leader = change.leaderId {
                        spans.append(Span("  epoch \(change.epoch): node \(leader) leads (\(ago))", .text))
                    } else {
                        spans.append(Span("  leader lost (\(ago))", Style(.error, attributes: .bold)))
                    }
                }
                grid.put(spans, in: body.row(y - body.y), ellipsis: glyphs.ellipsis)
                y += 1
            }
        }
        if !snapshot.problems.isEmpty, y + 1 < body.maxY {
            y += 1
            for problem in snapshot.problems where y < body.maxY {
                grid.put(problem, in: body.row(y - body.y), style: Style(.warning), ellipsis: glyphs.ellipsis)
                y += 1
            }
        }
    }
}
