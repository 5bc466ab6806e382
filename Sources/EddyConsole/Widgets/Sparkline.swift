/// A row of block characters showing a series, newest value at the right.
///
/// Scaling: values are drawn relative to `maximum` (or, when nil, to the largest value shown).
/// Zero and negative values draw the lowest block, so an idle series still shows a baseline;
/// any positive value draws at least the second block, so a trickle is never mistaken for
/// nothing; the maximum draws the full block. NaN counts as zero, infinity as the maximum.
/// With fewer values than columns, the left columns stay blank.
public struct Sparkline: Hashable, Sendable {
    public var values: [Double]
    public var maximum: Double?

    public init(values: [Double], maximum: Double? = nil) {
        self.values = values
        self.maximum = maximum
    }

    /// The glyphs for the newest `width` values.
    public func characters(width: Int, glyphs: Glyphs) -> [Character] {
        guard width > 0 else { return [] }
        let shown = values.suffix(width).map { $0.isNaN ? 0 : $0 }
        let finite = shown.filter(\.isFinite)
        let top = maximum ?? finite.max() ?? 0
        let blocks = glyphs.sparkBlocks
        let levels = blocks.count
        var result = Array(repeating: Character(" "), count: width - shown.count)
        for value in shown {
            if value <= 0 {
                result.append(blocks[0])
            } else if !value.isFinite || top <= 0 || value >= top {
                result.append(blocks[levels - 1])
            } else {
                let level = Int((value / top * Double(levels - 1)).rounded(.up))
                result.append(blocks[min(levels - 1, max(1, level))])
            }
        }
        return result
    }

    /// Draws into the first row of `rect`.
    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs, style: Style = Style(.sparkline)) {
        guard rect.height > 0 else { return }
        for (i, c) in characters(width: rect.width, glyphs: glyphs).enumerated() {
            grid.put(c, x: rect.x + i, y: rect.y, style: style, clip: rect)
        }
    }
}
