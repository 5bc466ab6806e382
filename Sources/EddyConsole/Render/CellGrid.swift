/// A frame: `width` x `height` styled cells, row-major. Views render into one; the painter draws
/// it. Every write is clipped to the grid (and to an optional clip rectangle), so renderers never
/// need to check bounds and a too-small grid never traps.
///
/// Invariant: a cell holding a wide character is always followed, on the same row, by its
/// continuation cell, and a continuation cell always follows a wide character.
public struct CellGrid: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public internal(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: fill, count: self.width * self.height)
    }

    /// The whole grid as a rectangle.
    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The cell at (x, y), or a blank cell outside the grid.
    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return .blank }
        return cells[y * width + x]
    }

    /// Writes one grapheme at (x, y) if it fits inside `clip` (and the grid), keeping wide
    /// characters whole. Returns the columns it takes (0 when clipped, 2 for a wide character,
    /// 1 for a space written because a wide character would have been cut at the clip edge).
    /// Control characters are written as `?`.
    @discardableResult
    public mutating func put(_ character: Character, x: Int, y: Int, style: Style, clip: Rect? = nil) -> Int {
        let area = clip.map { $0.intersection(bounds) } ?? bounds
        guard area.contains(x: x, y: y) else { return 0 }
        var character = character
        var columns = DisplayWidth.of(character)
        if columns == 0 { character = "?"; columns = 1 }
        if columns == 2 && x + 1 >= area.maxX {
            character = " "
            columns = 1
        }
        clearCutHalves(y: y, from: x, to: x + columns)
        let index = y * width + x
        cells[index] = Cell(character, style: style)
        if columns == 2 { cells[index + 1] = .continuation(style: style) }
        return columns
    }

    /// Before cells `start..<end` of row `y` are overwritten, turns the other half of any wide
    /// character they cut (at either end) into a space, keeping the invariant.
    mutating func clearCutHalves(y: Int, from start: Int, to end: Int) {
        let rowStart = y * width
        if start > 0, cells[rowStart + start].isContinuation {
            cells[rowStart + start - 1] = Cell(" ", style: cells[rowStart + start - 1].style)
        }
        if end < width, cells[rowStart + end].isContinuation {
            cells[rowStart + end] = Cell(" ", style: cells[rowStart + end].style)
        }
    }

    /// Fills a rectangle (clipped to the grid) with one character.
    public mutating func fill(_ rect: Rect, with character: Character = " ", style: Style = .text) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        if DisplayWidth.of(character) == 1 {
            // The fast path: every cell gets the same one-column cell, except halves of wide
            // characters cut at the edges of the area.
            let cell = Cell(character, style: style)
            for y in area.y..<area.maxY {
                clearCutHalves(y: y, from: area.x, to: area.maxX)
                let rowStart = y * width
                for x in area.x..<area.maxX { cells[rowStart + x] = cell }
            }
        } else {
            for y in area.y..<area.maxY {
                var x = area.x
                while x < area.maxX { x += max(1, put(character, x: x, y: y, style: style, clip: area)) }
            }
        }
    }

    /// Changes the background role of every cell in a rectangle, keeping characters,
    /// foregrounds and attributes: how a selected row or a dialog shade is laid over content.
    public mutating func setBackground(_ rect: Rect, to role: ThemeRole) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { cells[y * width + x].style.background = role }
        }
    }
}
