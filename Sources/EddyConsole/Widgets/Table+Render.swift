extension Table {
    /// Draws the header row and the rows that fit in `rect`, scrolled so the selected row
    /// shows, with the selected row in the `selected` background. Returns the selection it
    /// used (clamped and scrolled): store it back as the view's state.
    @discardableResult
    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) -> TableSelection {
        let area = rect.intersection(grid.bounds)
        let pageSize = Self.bodyHeight(for: rect)
        let used = selection.clamped(rowCount: rows.count, pageSize: pageSize)
        guard area.width > 0, area.height > 0 else { return used }
        let widths = columnWidths(width: rect.width)

        grid.fill(rect.row(0), style: Style(.columnHeader))
        var x = rect.x
        for (i, column) in columns.enumerated() {
            let cellRect = Rect(x: x, y: rect.y, width: widths[i], height: 1).intersection(rect)
            renderTitle(column, index: i, into: &grid, rect: cellRect, glyphs: glyphs)
            x += widths[i] + columnGap
        }

        guard pageSize > 0 else { return used }
        if rows.isEmpty {
            grid.put(emptyMessage, in: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: 1), style: Style(.muted).overPlain(baseStyle), ellipsis: glyphs.ellipsis)
            return used
        }
        let end = min(rows.count, used.scrollOffset + pageSize)
        for (line, index) in (used.scrollOffset..<end).enumerated() {
            let rowRect = Rect(x: rect.x, y: rect.y + 1 + line, width: rect.width, height: 1)
            renderRow(rows[index], selected: index == used.row, widths: widths, into: &grid, rect: rowRect, glyphs: glyphs)
        }
        return used
    }

    private func renderTitle(_ column: TableColumn, index: Int, into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        guard rect.width > 0 else { return }
        let style = Style(.columnHeader)
        guard let sort, sort.column == index, rect.width >= 3 else {
            grid.put(column.title, in: rect, alignment: column.alignment, style: style, ellipsis: glyphs.ellipsis)
            return
        }
        let arrow = String(sort.ascending ? glyphs.arrowUp : glyphs.arrowDown)
        let title = TextLayout.truncate(column.title, to: rect.width - 2, ellipsis: glyphs.ellipsis)
        let spans = [Span(title, style), Span(" ", style), Span(arrow, Style(foreground: .accent, background: .columnHeader))]
        grid.put(spans, in: rect, alignment: column.alignment, ellipsis: glyphs.ellipsis)
    }

    private func renderRow(_ row: TableRow, selected: Bool, widths: [Int], into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        let background: ThemeRole? = selected ? .selected : (baseStyle == .text ? nil : baseStyle.background)
        func look(_ style: Style) -> Style { background.map { style.over($0) } ?? style }
        let plain = row.style == .text
        let rowStyle = selected && plain ? Style(.selected) : (plain ? baseStyle : look(row.style))
        grid.fill(rect, style: rowStyle)
        var x = rect.x
        for (i, column) in columns.enumerated() {
            defer { x += widths[i] + columnGap }
            guard i < row.cells.count, widths[i] > 0 else { continue }
            let cellRect = Rect(x: x, y: rect.y, width: widths[i], height: 1).intersection(rect)
            guard cellRect.width > 0 else { continue }
            switch row.cells[i] {
            case .text(let text, let style):
                let cut = column.truncation == .head
                    ? TextLayout.truncateHead(text, to: cellRect.width, ellipsis: glyphs.ellipsis)
                    : TextLayout.truncate(text, to: cellRect.width, ellipsis: glyphs.ellipsis)
                let offset = TextLayout.offset(of: DisplayWidth.of(cut), in: cellRect.width, alignment: column.alignment)
                grid.put(cut, x: cellRect.x + offset, y: cellRect.y, style: style.map(look) ?? rowStyle, clip: cellRect)
            case .spans(let spans):
                let restyled = spans.map { Span($0.text, $0.style == .text ? rowStyle : look($0.style)) }
                grid.put(restyled, in: cellRect, alignment: column.alignment, ellipsis: glyphs.ellipsis)
            case .sparkline(let sparkline):
                sparkline.render(into: &grid, rect: cellRect, glyphs: glyphs, style: look(Style(.sparkline)))
            case .ruler(let ruler):
                ruler.render(into: &grid, rect: cellRect, glyphs: glyphs, background: background)
            }
        }
    }
}
