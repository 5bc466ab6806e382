/// Where the parts of a frame go on a screen at least 80x24:
///
///     row 0            header: eddy, the view tabs, the context
///     row 1            the scenario caption (only while a scenario runs)
///     rows ...         the view's body
///     row height - 2   key hints, or the `:` / `/` line being typed
///     row height - 1   status line
struct ConsoleLayout {
    var header: Rect
    var caption: Rect?
    var body: Rect
    var hints: Rect
    var status: Rect

    init(size: ScreenSize, caption: Bool) {
        let screen = Rect(x: 0, y: 0, width: size.width, height: size.height)
        let (top, rest) = screen.splitTop(1)
        header = top
        var middle = rest
        if caption {
            let split = rest.splitTop(1)
            self.caption = split.top
            middle = split.rest
        } else {
            self.caption = nil
        }
        let (upper, statusRow) = middle.splitBottom(1)
        let (body, hintRow) = upper.splitBottom(1)
        self.body = body
        hints = hintRow
        status = statusRow
    }

    /// The layout a model and state produce at a size.
    init(size: ScreenSize, model: ConsoleModel) {
        self.init(size: size, caption: model.caption != nil)
    }

    /// The table rectangle of `view`, which key handling uses for paging and scrolling.
    static func tableRect(for view: ConsoleView, size: ScreenSize, model: ConsoleModel, state: ConsoleState) -> Rect {
        let body = ConsoleLayout(size: size, model: model).body
        switch view {
        case .cluster: return ClusterView.tableRect(body: body, model: model)
        case .topics: return TopicsView.tableRect(body: body)
        case .topic: return TopicDetailView.tableRect(body: body)
        case .groups: return GroupsView.tableRect(body: body)
        case let .group(id): return GroupDetailView.tableRect(body: body, model: model, group: id)
        case let .messages(tp): return MessagesView.tableRect(body: body, state: state, tp: tp)
        case .transactions: return TransactionsView.tableRect(body: body)
        }
    }
}
