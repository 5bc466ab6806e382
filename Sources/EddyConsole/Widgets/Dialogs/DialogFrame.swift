/// The shared look of dialogs and overlays: a box centred in the screen, its inside painted in
/// the `dialog` role, its title in the top edge, and a footer line of key hints.
public enum DialogFrame {
    /// Draws a frame around `contentWidth` x `contentHeight` cells (plus a one-column margin
    /// each side and the border), centred in `area` and clamped to it. Returns the content
    /// rectangle, possibly smaller than asked for when the area is small.
    @discardableResult
    public static func render(
        title: String, contentWidth: Int, contentHeight: Int, in area: Rect,
        into grid: inout CellGrid, glyphs: Glyphs, footer: [Span] = []
    ) -> Rect {
        let box = area.centered(width: contentWidth + 4, height: contentHeight + 2)
        grid.fill(box, style: Style(.dialog))
        grid.drawBox(box, glyphs: glyphs, style: Style(foreground: .border, background: .dialog), title: title, titleStyle: Style(foreground: .title, background: .dialog))
        if !footer.isEmpty, box.width > 6 {
            let room = box.width - 4
            let padding = Span(" ", Style(.dialog))
            let spans = CellGrid.fit([padding] + footer + [padding], to: room, ellipsis: glyphs.ellipsis)
            grid.put(spans, x: box.maxX - 2 - spans.width, y: box.maxY - 1, clip: Rect(x: box.x + 2, y: box.maxY - 1, width: room, height: 1))
        }
        return box.inset(dx: 2, dy: 1)
    }

    /// A key hint for a footer: the key in `accent`, the action in `dialog`.
    public static func hint(_ key: String, _ action: String) -> [Span] {
        [Span(key, Style(foreground: .accent, background: .dialog)), Span(" " + action, Style(.dialog))]
    }

    /// Several hints as one footer, separated by two spaces.
    public static func hints(_ pairs: [(String, String)]) -> [Span] {
        var spans: [Span] = []
        for (i, pair) in pairs.enumerated() {
            if i > 0 { spans.append(Span("  ", Style(.dialog))) }
            spans.append(contentsOf: hint(pair.0, pair.1))
        }
        return spans
    }
}
