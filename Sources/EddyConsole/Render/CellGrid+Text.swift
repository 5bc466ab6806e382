extension CellGrid {
    /// Writes `text` from (x, y) to the right, clipped to `clip` and the grid; never wraps.
    /// Returns the columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .text, clip: Rect? = nil) -> Int {
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        guard y >= area.y, y < area.maxY, x < area.maxX else { return 0 }
        var column = x
        if DisplayWidth.isPrintableASCII(text) && x >= area.x {
            // One scalar per column: write cells directly.
            let rowStart = y * width
            let end = min(area.maxX, x + text.utf8.count)
            guard end > x else { return 0 }
            clearCutHalves(y: y, from: x, to: end)
            for byte in text.utf8 {
                if column >= end { break }
                cells[rowStart + column] = Cell(Character(Unicode.Scalar(byte)), style: style)
                column += 1
            }
            return column - x
        }
        for character in text {
            if column >= area.maxX { break }
            let w = max(1, DisplayWidth.of(character))
            if column >= area.x {
                column += max(1, put(character, x: column, y: y, style: style, clip: area))
            } else {
                column += w
            }
        }
        return max(0, column - max(x, area.x))
    }

    /// Writes styled spans one after another from (x, y). Returns the columns written.
    @discardableResult
    public mutating func put(_ spans: [Span], x: Int, y: Int, clip: Rect? = nil) -> Int {
        var column = x
        for span in spans {
            column += put(span.text, x: column, y: y, style: span.style, clip: clip)
        }
        return column - x
    }

    /// Writes `text` into one row of `rect`: cut with the ellipsis when too long, aligned, and
    /// padded with spaces in `style` so the whole row is painted.
    public mutating func put(_ text: String, in rect: Rect, alignment: Alignment = .left, style: Style = .text, ellipsis: String = "…") {
        guard rect.height > 0, rect.width > 0 else { return }
        let cut = TextLayout.truncate(text, to: rect.width, ellipsis: ellipsis)
        fill(rect.row(0), style: style)
        let offset = TextLayout.offset(of: DisplayWidth.of(cut), in: rect.width, alignment: alignment)
        put(cut, x: rect.x + offset, y: rect.y, style: style, clip: rect)
    }

    /// Writes spans into one row of `rect`, aligned; when they do not fit, the last visible span
    /// is cut with the ellipsis. The rest of the row keeps its cells.
    public mutating func put(_ spans: [Span], in rect: Rect, alignment: Alignment = .left, ellipsis: String = "…") {
        guard rect.height > 0, rect.width > 0 else { return }
        let fitted = Self.fit(spans, to: rect.width, ellipsis: ellipsis)
        let offset = TextLayout.offset(of: fitted.width, in: rect.width, alignment: alignment)
        put(fitted, x: rect.x + offset, y: rect.y, clip: rect)
    }

    /// Spans cut to at most `width` columns, with the ellipsis ending the cut span (also when
    /// the cut falls exactly between two spans, so a cut is always visible).
    static func fit(_ spans: [Span], to width: Int, ellipsis: String) -> [Span] {
        guard spans.width > width else { return spans }
        var result: [Span] = []
        var used = 0
        for span in spans {
            let w = span.width
            if used + w < width {
                result.append(span)
                used += w
                continue
            }
            let room = width - used
            guard room > 0 else { break }
            var cut = span
            // Text that fits exactly is still followed by cut-off spans: make room for the ellipsis.
            let text = w <= room ? span.text + " " : span.text
            cut.text = TextLayout.truncate(text, to: room, ellipsis: ellipsis)
            result.append(cut)
            break
        }
        return result
    }
}
