/// What the console shows instead of a view when the terminal is below the minimum size.
///
/// The minimum is 80x24: the classic terminal size, which every view is designed to fit
/// (snapshots are taken at 80x24 and 160x48).
public struct TooSmallScreen: Hashable, Sendable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// True when a `width` x `height` terminal is below the minimum.
    public static func applies(width: Int, height: Int) -> Bool {
        width < minimumWidth || height < minimumHeight
    }

    /// Fills the grid with a centred message giving the size and the minimum.
    public func render(into grid: inout CellGrid, glyphs: Glyphs) {
        grid.fill(grid.bounds, style: .text)
        let lines: [(String, Style)] = [
            ("Terminal too small", Style(.warning, attributes: .bold)),
            ("\(width)x\(height), eddy needs at least \(Self.minimumWidth)x\(Self.minimumHeight)", .text),
            ("Enlarge the window, or press q to quit", Style(.muted)),
        ]
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, (text, style)) in lines.enumerated() where top + i < grid.height {
            grid.put([Span(text, style)], in: Rect(x: 0, y: top + i, width: grid.width, height: 1), alignment: .center, ellipsis: glyphs.ellipsis)
        }
    }
}
