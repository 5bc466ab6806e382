import EddyClient
import EddyProtocol

/// View 5: one consumer group, one row per partition with the log start and eddy's five
/// positions side by side (log-end offset, high watermark, last stable offset, the live
/// consumer's position, the committed offset), both lags (high watermark − committed, high watermark − position), the
/// time lag, Burrow's status (or LOST and the count of records deleted before the group read
/// them, highlighted) and an offset ruler from log start to log end with C, P, S and H marked; then
/// the members with their assignments and the ruler's legend.
enum GroupDetailView {
    static func spec() -> TableSpec<GroupPositions.Row> {
        TableSpec(
            columns: [
                TableColumn("TOPIC", width: .min(5)), TableColumn("PART", width: .min(4), alignment: .right),
                TableColumn("MEMBER", width: .min(6)), TableColumn("LOG-START", width: .min(5), alignment: .right),
                TableColumn("LOG-END", width: .min(6), alignment: .right), TableColumn("HW", width: .min(5), alignment: .right),
                TableColumn("LSO", width: .min(3), alignment: .right),
                TableColumn("POSITION", width: .min(5), alignment: .right), TableColumn("COMMITTED", width: .min(6), alignment: .right),
                TableColumn("LAG", width: .min(3), alignment: .right), TableColumn("POS-LAG", width: .min(3), alignment: .right),
                TableColumn("TIME-LAG", width: .min(4), alignment: .right), TableColumn("STATUS", width: .min(4)),
                TableColumn("OFFSETS", width: .flex(min: 10, weight: 1)),
            ],
            orderings: [
                0: { $0.topicPartition < $1.topicPartition },
                1: { ($0.topicPartition.partition, $0.topicPartition.topic) < ($1.topicPartition.partition, $1.topicPartition.topic) },
                2: { ascending($0.clientId ?? $0.memberId, $1.clientId ?? $1.memberId) },
                3: { ascending($0.logStartOffset, $1.logStartOffset) },
                4: { ascending($0.logEndOffset, $1.logEndOffset) },
                5: { ascending($0.highWatermark, $1.highWatermark) },
                6: { ascending($0.lastStableOffset, $1.lastStableOffset) },
                7: { ascending($0.position, $1.position) },
                8: { ascending($0.committedOffset, $1.committedOffset) },
                9: { ascending($0.lag, $1.lag) },
                10: { ascending($0.positionLag, $1.positionLag) },
                11: { ascending($0.committedRecordTimestampMs.map { -$0 }, $1.committedRecordTimestampMs.map { -$0 }) },
                12: { GroupsView.statusRank($0.status, $0.lost) < GroupsView.statusRank($1.status, $1.lost) },
            ],
            searchText: { "\($0.topicPartition.topic)-\($0.topicPartition.partition) \($0.clientId ?? "") \($0.memberId ?? "")" },
            defaultSort: TableSort(column: 0))
    }

    static func items(_ model: ConsoleModel, group: String, _ state: ViewState) -> [GroupPositions.Row] {
        spec().arrange(model.latest?.group(group)?.rows ?? [], state: state)
    }

    /// The partition table, the members section and the legend line inside the body.
    static func layout(body: Rect, memberCount: Int) -> (table: Rect, members: Rect, legend: Rect) {
        let (rest, legend) = body.splitTop(1).rest.splitBottom(1)
        let membersHeight = min(memberCount + 1, max(2, rest.height / 3))
        let (table, members) = rest.splitBottom(membersHeight + 1)
        return (table, Rect(x: members.x, y: members.y + 1, width: members.width, height: membersHeight), legend)
    }

    static func tableRect(body: Rect, model: ConsoleModel, group: String) -> Rect {
        layout(body: body, memberCount: model.latest?.group(group)?.members.count ?? 0).table
    }

    static func render(into grid: inout CellGrid, body: Rect, group id: String, context: ViewContext) {
        let glyphs = context.glyphs
        let model = context.model
        guard let group = model.latest?.group(id) else {
            let text = model.latest == nil ? "waiting for the first sample..." : "group \(id) does not exist (any more); Esc goes back"
            grid.put(text, in: body.row(0), style: Style(.muted), ellipsis: glyphs.ellipsis)
            return
        }
        let view = ConsoleView.group(id)
        let viewState = context.viewState(view)
        let spec = spec()
        let rows = spec.arrange(group.rows, state: viewState)
        let demo = model.demoConsumers(of: id)
        var pairs: [(String, String, Style)] = [
            ("", id, Style(.title, attributes: .bold)), ("", group.state.name, stateStyle(group.state.name)),
            ("", group.assignor.isEmpty ? "no assignor" : group.assignor, .text),
            ("", group.members.count == 1 ? "1 member" : "\(group.members.count) members", .text),
            ("lag", CellText.lag(group.totalLag), .text), ("consumed", CellText.rate(model.groupConsumed[id]?.last), .text),
            ("status", group.status?.name ?? "-", group.status.map { $0 == .ok ? Style(.ok) : $0 == .warn ? Style(.warning) : Style(.error) } ?? Style(.muted)),
            ("coordinator", group.coordinator.map(String.init) ?? "-", .text),
        ]
        if let lost = group.lost, lost > 0 {
            pairs.append(("lost", "\(lost) records deleted unread", Style(.error, attributes: .bold)))
        }
        if !demo.isEmpty {
            let paused = demo.filter(\.paused).count
            pairs.append(("demo", paused > 0 ? "\(paused) of \(demo.count) paused" : "\(demo.count) running", paused > 0 ? Style(.warning) : Style(.muted)))
        }
        SummaryLine.render(SummaryLine.pairs(pairs, glyphs: glyphs), filter: viewState.filter, shown: rows.count,
                           total: group.rows.count, into: &grid, rect: body, glyphs: glyphs)

        let layout = layout(body: body, memberCount: group.members.count)
        let tableRows = rows.map { r -> TableRow in
            let ruler: TableCell
            if let start = r.logStartOffset, let end = r.logEndOffset, let hw = r.highWatermark {
                ruler = .ruler(OffsetRuler(logStartOffset: start, logEndOffset: end, highWatermark: hw, position: r.position, committed: r.committedOffset,
                                           lastStableOffset: r.lastStableOffset))
            } else {
                ruler = .text("offline", Style(.error))
            }
            let lagStyle: Style? = (r.lag ?? 0) > 0 ? Style(.warning) : nil
            let now = model.latest?.takenAtMs ?? 0
            return TableRow([
                .text(r.topicPartition.topic), .text(String(r.topicPartition.partition)), .text(r.clientId ?? r.memberId ?? "-"),
                .text(CellText.offset(r.logStartOffset)), .text(CellText.offset(r.logEndOffset)), .text(CellText.offset(r.highWatermark)),
                CellText.lastStable(r.lastStableOffset, hold: model.transactionHold(r.topicPartition)),
                .text(CellText.offset(r.position)),
                .text(CellText.offset(r.committedOffset), (r.lost ?? 0) > 0 ? Style(.error, attributes: .bold) : nil),
                .text(CellText.lag(r.lag), lagStyle), .text(CellText.lag(r.positionLag)),
                .text(GroupsView.timeLag(r.timeLagMs(nowMs: now))), GroupsView.statusCell(status: r.status, lost: r.lost), ruler,
            ])
        }
        let empty = group.rows.isEmpty ? "no committed offsets or assigned partitions" : "no partition matches the filter"
        Table(columns: spec.columns, rows: tableRows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: layout.table, glyphs: glyphs)

        renderMembers(group, into: &grid, rect: layout.members, glyphs: glyphs)
        grid.put(OffsetRuler.legend(glyphs: glyphs), in: layout.legend, ellipsis: glyphs.ellipsis)
    }

    static func stateStyle(_ state: String) -> Style {
        switch state {
        case "Stable": Style(.ok)
        case "Empty", "Dead": Style(.muted)
        default: Style(.warning)
        }
    }

    /// `Members` then one line per member: client id, assigned partitions, member id and host.
    static func renderMembers(_ group: GroupSnapshot, into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        guard rect.height > 0 else { return }
        grid.put([Span("Members", Style(.title)), Span(" (\(group.members.count))", Style(.muted))], in: rect.row(0), ellipsis: glyphs.ellipsis)
        let members = group.members.sorted { ($0.clientId, $0.memberId) < ($1.clientId, $1.memberId) }
        let clientWidth = min(24, members.map { DisplayWidth.of($0.clientId) }.max() ?? 0)
        for (i, m) in members.enumerated() {
            let row = i + 1
            guard row < rect.height else {
                break
            }
            if row == rect.height - 1 && members.count > rect.height - 1 {
                grid.put("  ... \(members.count - row) more", in: rect.row(row), style: Style(.muted), ellipsis: glyphs.ellipsis)
                break
            }
            let assignment = assignmentText(m.assignment)
            grid.put([
                Span("  " + TextLayout.pad(m.clientId.isEmpty ? "-" : m.clientId, to: clientWidth, ellipsis: glyphs.ellipsis) + "  "),
                Span(assignment.isEmpty ? "(no partitions)" : assignment, assignment.isEmpty ? Style(.muted) : .text),
                Span("  " + m.memberId + (m.host.isEmpty ? "" : " " + m.host), Style(.muted)),
            ], in: rect.row(row), ellipsis: glyphs.ellipsis)
        }
    }

    /// `orders-0,1,2 payments-0`: partitions grouped by topic.
    static func assignmentText(_ partitions: [TopicPartition]) -> String {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        return byTopic.keys.sorted().map { topic in
            topic + "-" + byTopic[topic]!.map(\.partition).sorted().map(String.init).joined(separator: ",")
        }.joined(separator: " ")
    }
}
