/// The header line of every view: the program's name, the views with their keys (the current
/// one in `tab-active`), and context on the right (e.g. `orders › partition 3`).
///
///      eddy   1 Cluster  2 Topics  3 Groups  4 Messages              orders › partition 3
///
/// When the titles do not fit, tabs shrink to their keys (`1 2 3 4`) but the current view keeps
/// its title; the context is cut first.
public struct TabBar: Hashable, Sendable {
    public struct Tab: Hashable, Sendable {
        public var key: String
        public var title: String

        public init(key: String, title: String) {
            self.key = key
            self.title = title
        }
    }

    public var title: String
    public var tabs: [Tab]
    public var active: Int?
    public var context: String

    public init(title: String = "eddy", tabs: [Tab], active: Int?, context: String = "") {
        self.title = title
        self.tabs = tabs
        self.active = active
        self.context = context
    }

    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        guard rect.height > 0, rect.width > 0 else { return }
        let line = rect.row(0)
        grid.fill(line, style: Style(.header))
        var x = line.x + grid.put(" " + title + "  ", x: line.x, y: line.y, style: Style(.header, attributes: .bold), clip: line)

        func labels(short: Bool) -> [String] {
            tabs.enumerated().map { i, tab in
                short && i != active ? " \(tab.key) " : " \(tab.key) \(tab.title) "
            }
        }
        var items = labels(short: false)
        if x - line.x + items.reduce(0, { $0 + DisplayWidth.of($1) }) > line.width { items = labels(short: true) }
        for (i, item) in items.enumerated() {
            x += grid.put(item, x: x, y: line.y, style: Style(i == active ? .tabActive : .tab), clip: line)
        }
        let room = line.maxX - x - 2
        guard !context.isEmpty, room > 3 else { return }
        let cut = TextLayout.truncateHead(context, to: room, ellipsis: glyphs.ellipsis)
        grid.put(cut + " ", x: line.maxX - DisplayWidth.of(cut) - 1, y: line.y, style: Style(.header), clip: line)
    }
}
