/// View 4: one row per consumer group: state, assignor, members, total lag, a lag trend and
/// the consumption rate. Sortable and filterable; Enter opens the group.
enum GroupsView {
    static func spec(model: ConsoleModel) -> TableSpec<GroupSnapshot> {
        let consumed = model.groupConsumed
        return TableSpec(
            columns: [
                TableColumn("GROUP", width: .min(8)), TableColumn("STATE", width: .min(6)),
                TableColumn("ASSIGNOR", width: .min(8)), TableColumn("MEMBERS", width: .min(7), alignment: .right),
                TableColumn("LAG", width: .min(5), alignment: .right), TableColumn("LAG TREND", width: .flex(min: 10, weight: 1)),
                TableColumn("CONS/s", width: .min(7), alignment: .right),
            ],
            orderings: [
                0: { $0.groupId < $1.groupId },
                1: { $0.state.name < $1.state.name },
                2: { $0.assignor < $1.assignor },
                3: { $0.members.count < $1.members.count },
                4: { ascending($0.totalLag, $1.totalLag) },
                6: { ascending(consumed[$0.groupId]?.last, consumed[$1.groupId]?.last) },
            ],
            searchText: { $0.groupId },
            defaultSort: TableSort(column: 0))
    }

    static func items(_ model: ConsoleModel, _ state: ViewState) -> [GroupSnapshot] {
        spec(model: model).arrange(model.latest?.groups ?? [], state: state)
    }

    static func tableRect(body: Rect) -> Rect { body.splitTop(1).rest }

    static func render(into grid: inout CellGrid, body: Rect, context: ViewContext) {
        let glyphs = context.glyphs
        let model = context.model
        let viewState = context.viewState(.groups)
        let spec = spec(model: model)
        let all = model.latest?.groups ?? []
        let groups = spec.arrange(all, state: viewState)
        let lag = all.compactMap(\.totalLag).reduce(0, +)
        SummaryLine.render(SummaryLine.pairs([("Groups", String(all.count), .text), ("total lag", String(lag), .text)], glyphs: glyphs),
                           filter: viewState.filter, shown: groups.count, total: all.count, into: &grid, rect: body, glyphs: glyphs)
        let rows = groups.map { g -> TableRow in
            let demo = !model.demoConsumers(of: g.groupId).isEmpty
            return TableRow([
                .spans([Span(g.groupId)] + (demo ? [Span(" demo", Style(.muted))] : [])),
                CellText.groupState(g.state.name), .text(g.assignor.isEmpty ? "-" : g.assignor),
                .text(String(g.members.count)), .text(CellText.lag(g.totalLag)),
                model.groupLag[g.groupId].map { .sparkline($0.sparkline) } ?? .text(""),
                .text(CellText.rate(model.groupConsumed[g.groupId]?.last)),
            ])
        }
        let empty = model.latest == nil ? "waiting for the first sample..." : viewState.filter.isEmpty ? "no consumer groups yet" : "no group matches the filter"
        Table(columns: spec.columns, rows: rows, sort: viewState.sort ?? spec.defaultSort, selection: viewState.selection,
              emptyMessage: empty).render(into: &grid, rect: tableRect(body: body), glyphs: glyphs)
    }
}
