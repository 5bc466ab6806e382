/// The console's one pure entry point: a model and a state at a size and time in, a frame
/// out. Snapshot tests and the benchmarks call it; the app paints what it returns.
public enum ConsoleRenderer {
    /// - Parameter now: wall-clock ms since the epoch (only for what depends on the time).
    public static func render(model: ConsoleModel, state: ConsoleState, size: ScreenSize, now: Int64) -> CellGrid {
        var grid = CellGrid(width: size.width, height: size.height)
        let glyphs = state.glyphs
        if TooSmallScreen.applies(width: size.width, height: size.height) {
            TooSmallScreen(width: size.width, height: size.height).render(into: &grid, glyphs: glyphs)
            return grid
        }
        let layout = ConsoleLayout(size: size, model: model)
        let context = ViewContext(model: model, state: state, now: now)
        let view = state.view

        TabBar(tabs: ConsoleView.tabs, active: view.tabIndex, context: view.context).render(into: &grid, rect: layout.header, glyphs: glyphs)
        if let rect = layout.caption, let caption = model.caption {
            grid.put(" " + caption, in: rect, style: Style(.caption), ellipsis: glyphs.ellipsis)
        }
        switch view {
        case .cluster: ClusterView.render(into: &grid, body: layout.body, context: context)
        case .topics: TopicsView.render(into: &grid, body: layout.body, context: context)
        case let .topic(name): TopicDetailView.render(into: &grid, body: layout.body, topic: name, context: context)
        case .groups: GroupsView.render(into: &grid, body: layout.body, context: context)
        case let .group(id): GroupDetailView.render(into: &grid, body: layout.body, group: id, context: context)
        case let .messages(tp): MessagesView.render(into: &grid, body: layout.body, topicPartition: tp, context: context)
        case .transactions: TransactionsView.render(into: &grid, body: layout.body, context: context)
        }
        renderHints(state: state, into: &grid, rect: layout.hints)
        statusLine(model: model, state: state).render(into: &grid, rect: layout.status, glyphs: glyphs)
        if let dialog = state.dialog {
            renderDialog(dialog, into: &grid, area: grid.bounds, glyphs: glyphs)
        }
        return grid
    }

    /// The hint line: the `:` or `/` being typed, else the view's main keys.
    static func renderHints(state: ConsoleState, into grid: inout CellGrid, rect: Rect) {
        let glyphs = state.glyphs
        switch state.input {
        case let .command(field):
            grid.put(":", x: rect.x, y: rect.y, style: Style(.accent, attributes: .bold), clip: rect)
            field.render(into: &grid, rect: Rect(x: rect.x + 1, y: rect.y, width: rect.width - 1, height: 1), glyphs: glyphs, focused: true)
        case let .filter(field):
            grid.put("/", x: rect.x, y: rect.y, style: Style(.accent, attributes: .bold), clip: rect)
            field.render(into: &grid, rect: Rect(x: rect.x + 1, y: rect.y, width: rect.width - 1, height: 1), glyphs: glyphs, focused: true)
        case nil:
            var spans: [Span] = []
            for (i, (key, action)) in ConsoleHelp.hints(for: state).enumerated() {
                if i > 0 { spans.append(Span("  ")) }
                spans.append(Span(key, Style(.accent)))
                spans.append(Span(" " + action, Style(.muted)))
            }
            grid.put(spans, in: rect, ellipsis: glyphs.ellipsis)
        }
    }

    static func statusLine(model: ConsoleModel, state: ConsoleState) -> StatusLine {
        var badges: [String] = []
        if state.readOnly { badges.append("read-only") }
        if model.lastError != nil { badges.append("stale") }
        var message = state.status
        if message == nil, let error = model.lastError { message = .error("refresh failed: " + error) }
        if message == nil, state.pendingPreview != nil { message = StatusMessage("planning the reset...") }
        return StatusLine(cluster: state.clusterName, message: message, badges: badges, refreshedAtMs: model.latest?.takenAtMs,
                          refreshIntervalMs: state.refreshIntervalMs, timeZone: state.timeZone)
    }

    static func renderDialog(_ dialog: ConsoleDialog, into grid: inout CellGrid, area: Rect, glyphs: Glyphs) {
        switch dialog {
        case let .help(overlay): overlay.render(into: &grid, area: area, glyphs: glyphs)
        case let .resetOffsets(form): form.form.render(into: &grid, area: area, glyphs: glyphs)
        case let .resetPreview(preview): preview.dialog.render(into: &grid, area: area, glyphs: glyphs)
        case let .produce(form), let .createTopic(form), let .jumpToOffset(form), let .jumpToTime(form):
            form.render(into: &grid, area: area, glyphs: glyphs)
        case let .demoMenu(menu): menu.form.render(into: &grid, area: area, glyphs: glyphs)
        case let .abortTransaction(_, confirm): confirm.render(into: &grid, area: area, glyphs: glyphs)
        }
    }
}
