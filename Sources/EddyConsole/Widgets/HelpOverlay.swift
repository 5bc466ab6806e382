/// The `?` overlay: every key of the current view, in titled sections, in a centred box.
///
/// Keys: Up/Down/PgUp/PgDn/Home/End scroll when the list is taller than the screen; Esc, `?`,
/// `q` and Enter close it (`cancelled`).
public struct HelpOverlay: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var keys: String
        public var action: String

        public init(_ keys: String, _ action: String) {
            self.keys = keys
            self.action = action
        }
    }

    public struct Section: Hashable, Sendable {
        public var title: String
        public var entries: [Entry]

        public init(_ title: String, _ entries: [Entry]) {
            self.title = title
            self.entries = entries
        }
    }

    public var title: String
    public var sections: [Section]
    /// First line shown.
    public private(set) var scrollOffset: Int = 0
    /// Lines the last layout could show, for paging (set by the view from `visibleLines(in:)`).
    public var pageSize: Int = 10

    public init(title: String = "Keys", sections: [Section]) {
        self.title = title
        self.sections = sections
    }

    /// The overlay's lines: per section a title line, its entries, and a blank line between
    /// sections. Keys are padded to the widest key.
    func lines() -> [[Span]] {
        let keyWidth = sections.flatMap(\.entries).map { DisplayWidth.of($0.keys) }.max() ?? 0
        var lines: [[Span]] = []
        for (i, section) in sections.enumerated() {
            if i > 0 { lines.append([]) }
            lines.append([Span(section.title, Style(foreground: .title, background: .dialog, attributes: .bold))])
            for entry in section.entries {
                lines.append([
                    Span("  " + TextLayout.pad(entry.keys, to: keyWidth), Style(foreground: .accent, background: .dialog)),
                    Span("  " + entry.action, Style(.dialog)),
                ])
            }
        }
        return lines
    }

    public mutating func handle(_ key: Key) -> DialogOutcome {
        switch key {
        case .escape, .enter, .character("?"), .character("q"): return .cancelled
        default:
            // Scrolls as a list without a selection does.
            var scroll = TableSelection(row: nil, scrollOffset: scrollOffset)
            _ = scroll.handle(key, rowCount: lines().count, pageSize: pageSize)
            scrollOffset = scroll.scrollOffset
            return .continuing
        }
    }

    /// Lines of help that fit on a screen `area` (what `pageSize` should be).
    public static func visibleLines(in area: Rect) -> Int { max(1, area.height - 4) }

    /// Draws the overlay centred in `area`, as wide as its longest line (up to the area) and as
    /// tall as its lines (up to the area less a margin). When not every line fits, the bottom
    /// edge says how many more there are.
    public func render(into grid: inout CellGrid, area: Rect, glyphs: Glyphs) {
        let all = lines()
        let width = min(max(30, all.map(\.width).max() ?? 0), max(0, area.width - 6))
        let room = Self.visibleLines(in: area)
        let offset = min(scrollOffset, max(0, all.count - room))
        let shown = Array(all.dropFirst(offset).prefix(room))
        let below = all.count - offset - shown.count
        var footer = DialogFrame.hints([("Esc", "close")])
        if offset > 0 || below > 0 {
            footer = DialogFrame.hint("\(glyphs.arrowUp)\(glyphs.arrowDown)", below > 0 ? "\(below) more" : "scroll") + [Span("  ", Style(.dialog))] + footer
        }
        let inner = DialogFrame.render(title: title, contentWidth: width, contentHeight: shown.count, in: area, into: &grid, glyphs: glyphs, footer: footer)
        for (i, line) in shown.enumerated() where i < inner.height {
            grid.put(line, in: inner.row(i), ellipsis: glyphs.ellipsis)
        }
    }
}
