import EddyClient

/// View 4: one row per consumer group: state, assignor, members, total lag, the largest time
/// lag, Burrow's status (the worst partition's; LOST with a count where records were deleted
/// before the group read them), a lag trend and the consumption rate. Sortable and filterable
/// (`/` by name, `:status S` by status); Enter opens the group.
enum GroupsView {
    static func spec(model: ConsoleModel) -> TableSpec<GroupSnapshot> {
        let consumed = model.groupConsumed
        let now = model.latest?.takenAtMs ?? 0
        return TableSpec(
            columns: [
                TableColumn("GROUP", width: .min(8)), TableColumn("STATE", width: .min(6)),
                TableColumn("ASSIGNOR", width: .min(8)), TableColumn("MEMBERS", width: .min(7), alignment: .right),
                TableColumn("LAG", width: .min(5), alignment: .right), TableColumn("TIME-LAG", width: .min(5), alignment: .right),
                TableColumn("STATUS", width: .min(6)),
                TableColumn("LAG TREND", width: .flex(min: 10, weight: 1)), TableColumn("CONS/s", width: .min(7), alignment: .right),
            ],
            orderings: [
                0: { $0.groupId < $1.groupId },
                1: { $0.state.name < $1.state.name },
                2: { $0.assignor < $1.assignor },
                3: { $0.members.count < $1.members.count },
                4: { ascending($0.totalLag, $1.totalLag) },
                5: { ascending($0.timeLagMs(nowMs: now), $1.timeLagMs(nowMs: now)) },
                6: { statusRank($0.status, $0.lost) < statusRank($1.status, $1.lost) },
                8: { ascending(consumed[$0.groupId]?.last, consumed[$1.groupId]?.last) },
            ],
            searchText: { $0.groupId },
            defaultSort: TableSort(column: 0))
    }

    static func items(_ model: ConsoleModel, _ state: ViewState) -> [GroupSnapshot] {
        spec(model: model).arrange(withStatus(model.latest?.groups ?? [], state.status), state: state)
    }

    /// The groups whose status is `status` (all for nil).
    static func withStatus(_ groups: [GroupSnapshot], _ status: LagStatus?) -> [GroupSnapshot] {
        guard let status else { return groups }
        return groups.filter { $0.status == status }
    }

    /// The STATUS cell: LOST and the count where records were deleted unread (it matters more
    /// than any lag), else Burrow's status, else `-`.
    static func statusCell(status: LagStatus?, lost: Int64?) -> TableCell {
        if let lost, lost > 0 { return .text("LOST \(lost)", Style(.error, attributes: .bold)) }
        guard let status else { return .text("-", Style(.muted)) }
        switch status {
        case .ok: return .text(status.name, Style(.ok))
        case .warn: return .text(status.name, Style(.warning))
        case .stop, .stall, .rewind: return .text(status.name, Style(.error, attributes: .bold))
        }
    }

    /// Sorting by STATUS: unknown, then Burrow's order, then LOST (worst).
    static func statusRank(_ status: LagStatus?, _ lost: Int64?) -> Int {
        (lost ?? 0) > 0 ? LagStatus.allCases.count + 1 : status?.rawValue ?? 0
    }

    static func timeLag(_ ms: Int64?) -> String { ms.map { HumanFormat.duration(ms: $0) } ?? "-" }

    static func tableRect(body: Rect) -> Rect { body.splitTop(1).rest }

    static func render(into grid: inout CellGrid, body: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        let model = context.model
        let viewState = context.viewState(.groups)
        let spec = spec(model: model)
        let all = model.latest?.groups ?? []
        let groups = spec.arrange(withStatus(all, viewState.status), state: viewState)
        let now = model.latest?.takenAtMs ?? 0
        let lag = all.compactMap(\.totalLag).reduce(0, +)
        var pairs: [(String, String, Style)] = [("Groups", String(all.count), .text), ("total lag", String(lag), .text)]
        if let status = viewState.status { pairs.append(("status", status.name + " (:status clears)", Style(.warning))) }
        SummaryLine.render(SummaryLine.pairs(pairs, glyphs: glyphs),
                           filter: viewState.filter, shown: groups.count, total: all.count, into: &grid, rect: body, glyphs: glyphs)
        let rows = groups.map { g -> TableRow in
            let demo = !model.demoConsumers(of: g.groupId).isEmpty
            return TableRow([
                .spans([Span(g.groupId)] + (demo ? [Span(" demo", Style(.muted))] : [])),
                CellText.groupState(g.state.name), .text(g.assignor.isEmpty ? "-" : g.assignor),
                .text(String(g.members.count)), .text(CellText.lag(g.totalLag)), .text(timeLag(g.timeLagMs(nowMs: now))),
                statusCell(status: g.status, lost: g.lost),
                model.groupLag[g.groupId].map { .sparkline($0.sparkline) } ?? .text(""),
                .text(CellText.rate(model.groupConsumed[g.groupId]?.last)),
            ])
        }
        let empty = model.latest == nil ? "waiting for the first sample..."
            : viewState.filter.isEmpty && viewState.status == nil ? "no consumer groups yet" : "no group matches the filter"
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: tableRect(body: body), glyphs: glyphs)
    }
}
