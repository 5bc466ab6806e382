extension CellGrid {
    /// A horizontal line of `length` cells from (x, y).
    public mutating func horizontalLine(x: Int, y: Int, length: Int, glyphs: Glyphs, style: Style = Style(.border)) {
        fill(Rect(x: x, y: y, width: length, height: 1), with: glyphs.horizontal, style: style)
    }

    /// A vertical line of `length` cells from (x, y) down.
    public mutating func verticalLine(x: Int, y: Int, length: Int, glyphs: Glyphs, style: Style = Style(.border)) {
        fill(Rect(x: x, y: y, width: 1, height: length), with: glyphs.vertical, style: style)
    }

    /// A box outline on the edge of `rect`, with an optional title in the top edge
    /// (`┌─ Title ───┐`), cut to fit. Boxes smaller than 2x2 are not drawn. The inside is
    /// untouched; `Rect.inset(dx: 1, dy: 1)` is the area inside the lines.
    public mutating func drawBox(
        _ rect: Rect, glyphs: Glyphs, style: Style = Style(.border),
        title: String? = nil, titleStyle: Style = Style(.title)
    ) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        horizontalLine(x: rect.x + 1, y: rect.y, length: rect.width - 2, glyphs: glyphs, style: style)
        horizontalLine(x: rect.x + 1, y: rect.maxY - 1, length: rect.width - 2, glyphs: glyphs, style: style)
        verticalLine(x: rect.x, y: rect.y + 1, length: rect.height - 2, glyphs: glyphs, style: style)
        verticalLine(x: rect.maxX - 1, y: rect.y + 1, length: rect.height - 2, glyphs: glyphs, style: style)
        put(glyphs.topLeft, x: rect.x, y: rect.y, style: style)
        put(glyphs.topRight, x: rect.maxX - 1, y: rect.y, style: style)
        put(glyphs.bottomLeft, x: rect.x, y: rect.maxY - 1, style: style)
        put(glyphs.bottomRight, x: rect.maxX - 1, y: rect.maxY - 1, style: style)
        if let title, !title.isEmpty, rect.width >= 6 {
            let room = rect.width - 4
            let text = " " + TextLayout.truncate(title, to: room - 2, ellipsis: glyphs.ellipsis) + " "
            put(text, x: rect.x + 2, y: rect.y, style: titleStyle, clip: Rect(x: rect.x + 2, y: rect.y, width: room, height: 1))
        }
    }
}
