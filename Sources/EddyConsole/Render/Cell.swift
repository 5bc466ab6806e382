/// One terminal cell: a grapheme and its style.
///
/// Wide characters (East Asian wide and fullwidth forms, most emoji) take two cells: the first
/// holds the character, the second is a `continuation` cell the painter skips. `CellGrid`
/// keeps the pair together: overwriting either half turns the other half into a space.
public struct Cell: Hashable, Sendable {
    public var character: Character
    public var style: Style
    /// The right half of a wide character written in the cell to the left.
    public var isContinuation: Bool

    public init(_ character: Character = " ", style: Style = .text) {
        self.character = character
        self.style = style
        self.isContinuation = false
    }

    public static let blank = Cell()

    static func continuation(style: Style) -> Cell {
        var cell = Cell(" ", style: style)
        cell.isContinuation = true
        return cell
    }
}

/// A rectangle of cells, in grid coordinates (x to the right, y down, origin top-left).
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var description: String { "\(width)x\(height)@\(x),\(y)" }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    /// The overlap of two rectangles (empty, at self's origin, when they do not meet).
    public func intersection(_ other: Rect) -> Rect {
        let nx = max(x, other.x), ny = max(y, other.y)
        let nw = min(maxX, other.maxX) - nx, nh = min(maxY, other.maxY) - ny
        guard nw > 0, nh > 0 else { return Rect(x: x, y: y, width: 0, height: 0) }
        return Rect(x: nx, y: ny, width: nw, height: nh)
    }

    /// This rectangle shrunk by `dx` columns on the left and right and `dy` rows on top and bottom.
    public func inset(dx: Int, dy: Int) -> Rect {
        Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy)
    }

    /// A `width` x `height` rectangle centred in this one (clamped to fit).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    /// The first `n` rows, and the rest.
    public func splitTop(_ n: Int) -> (top: Rect, rest: Rect) {
        let k = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: k), Rect(x: x, y: y + k, width: width, height: height - k))
    }

    /// The last `n` rows, and the rest.
    public func splitBottom(_ n: Int) -> (rest: Rect, bottom: Rect) {
        let k = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: height - k), Rect(x: x, y: maxY - k, width: width, height: k))
    }

    /// One row of this rectangle, `row` counted from its top.
    public func row(_ row: Int) -> Rect { Rect(x: x, y: y + row, width: width, height: row < height ? 1 : 0) }
}
