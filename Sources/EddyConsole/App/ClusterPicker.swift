import Foundation

/// The screen `eddy console` opens with when it was not told which cluster to watch and the
/// clusters file names some: one row per named cluster (name and bootstrap servers, and whether
/// the console may change it), plus this machine's data directory when there is one. Up/Down
/// (or the row's number) choose, Enter opens, q or Esc quits. Pure: `handle` takes keys,
/// `render` draws; `run` is the terminal loop around them.
public struct ClusterPicker: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        /// What `pick` returns for this row: a cluster's name, or the data directory's path.
        public var id: String
        public var title: String
        public var detail: String

        public init(id: String, title: String, detail: String) {
            self.id = id
            self.title = title
            self.detail = detail
        }
    }

    public enum Outcome: Hashable, Sendable {
        case pick(Entry)
        case quit
    }

    public let entries: [Entry]
    public private(set) var selected = 0

    public init(entries: [Entry], selected: Int = 0) {
        self.entries = entries
        self.selected = entries.isEmpty ? 0 : min(max(0, selected), entries.count - 1)
    }

    /// A key; an outcome once the user chose or quit.
    public mutating func handle(_ key: Key) -> Outcome? {
        switch key {
        case .up: selected = max(0, selected - 1)
        case .down: selected = min(max(0, entries.count - 1), selected + 1)
        case .home: selected = 0
        case .end: selected = max(0, entries.count - 1)
        case .enter: return entries.isEmpty ? .quit : .pick(entries[selected])
        case .escape, .character("q"), .control("c"): return .quit
        case let .character(c):
            if let n = c.wholeNumberValue, n >= 1, n <= entries.count { selected = n - 1; return .pick(entries[n - 1]) }
        default: break
        }
        return nil
    }

    /// The picker in a dialog centred on a screen of `size`.
    public func render(size: ScreenSize, glyphs: Glyphs) -> CellGrid {
        var grid = CellGrid(width: size.width, height: size.height)
        let screen = Rect(x: 0, y: 0, width: size.width, height: size.height)
        let titleWidth = min(28, entries.map { DisplayWidth.of($0.title) }.max() ?? 0)
        let lines = entries.enumerated().map { i, e in
            (i < 9 ? "\(i + 1) " : "  ") + TextLayout.pad(e.title, to: titleWidth, ellipsis: glyphs.ellipsis) + "  " + e.detail
        }
        let width = min(size.width - 4, max(50, (lines.map { DisplayWidth.of($0) }.max() ?? 0) + 2))
        let content = DialogFrame.render(
            title: " Which cluster? ", contentWidth: width, contentHeight: entries.count + 2, in: screen, into: &grid, glyphs: glyphs,
            footer: DialogFrame.hints([("Enter", "open"), ("1-9", "pick"), ("q", "quit")]))
        grid.put("From $XDG_CONFIG_HOME/eddy/clusters.properties:", in: content.row(0), style: Style(.dialog), ellipsis: glyphs.ellipsis)
        let list = Rect(x: content.x, y: content.y + 2, width: content.width, height: max(0, content.height - 2))
        let first = max(0, selected - list.height + 1)
        for (row, i) in (first ..< min(entries.count, first + list.height)).enumerated() {
            grid.put(lines[i], in: list.row(row), style: i == selected ? Style(.selected) : Style(.dialog), ellipsis: glyphs.ellipsis)
        }
        return grid
    }

    /// Shows the picker until the user chooses (nil: quit).
    /// - Throws: `TerminalError` when the terminal cannot show it; `ThemeError` for a bad theme.
    public static func run(entries: [Entry], theme name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Entry? {
        if let error = TerminalCheck.check(environment: environment) { throw error }
        let theme = try ThemeLocator.live().load(name)
        let painter = try Painter(theme: theme, environment: environment, ctrlCAsKey: true)
        defer { painter.shutdown() }
        var picker = ClusterPicker(entries: entries)
        while true {
            painter.draw(picker.render(size: ScreenSize(width: painter.width, height: painter.height), glyphs: painter.glyphs))
            guard let key = painter.readKey(timeoutMs: 1_000) else { continue }
            switch picker.handle(key) {
            case let .pick(entry)?: return entry
            case .quit?: return nil
            case nil: continue
            }
        }
    }
}
