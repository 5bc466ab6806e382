import EddyProtocol
import Testing
@testable import EddyConsole

@Suite struct CellGridTests {
    @Test func putClipsToGridAndClipRect() {
        var grid = CellGrid(width: 10, height: 2)
        #expect(grid.put("hello world", x: 2, y: 0) == 8)
        #expect(grid.line(0) == "  hello wo")
        #expect(grid.put("abcdef", x: -2, y: 1, clip: Rect(x: 0, y: 1, width: 3, height: 1)) == 3)
        #expect(grid.line(1) == "cde")
        #expect(grid.put("x", x: 0, y: 5) == 0)
        #expect(grid.put("x", x: 10, y: 0) == 0)
    }

    @Test func controlCharactersBecomeQuestionMarks() {
        var grid = CellGrid(width: 6, height: 1)
        grid.put("a\u{1}b\tc", x: 0, y: 0)
        #expect(grid.line(0) == "a?b?c")
    }

    @Test func wideCharactersTakeTwoCells() {
        var grid = CellGrid(width: 6, height: 1)
        #expect(grid.put("日本", x: 0, y: 0) == 4)
        #expect(grid[0, 0].character == "日" && grid[1, 0].isContinuation)
        #expect(grid.line(0) == "日本")
        // A wide character that would be cut at the edge becomes a space.
        #expect(grid.put("語", x: 5, y: 0) == 1)
        #expect(grid[5, 0].character == " " && !grid[5, 0].isContinuation)
        #expect(grid.checkWideInvariant())
    }

    @Test func overwritingHalfAWideCharacterClearsTheOtherHalf() {
        var grid = CellGrid(width: 4, height: 1)
        grid.put("日本", x: 0, y: 0)
        grid.put("x", x: 1, y: 0)  // the right half of 日
        #expect(grid.line(0) == " x本")
        grid.put("y", x: 2, y: 0)  // the left half of 本
        #expect(grid.line(0) == " xy")
        #expect(grid.checkWideInvariant())
    }

    /// Every way of writing narrow and wide text over narrow and wide text, at every position,
    /// keeps the invariant and never changes the grid's size.
    @Test func wideInvariantHoldsExhaustivelyOnSmallGrids() {
        let samples = ["a", "日", "ab", "日本", "a日", "日a", "—", "é"]
        for width in 1...5 {
            for first in samples {
                for second in samples {
                    for x1 in -1...width {
                        for x2 in -1...width {
                            var grid = CellGrid(width: width, height: 1)
                            grid.put(first, x: x1, y: 0)
                            grid.put(second, x: x2, y: 0)
                            #expect(grid.checkWideInvariant(), "width \(width): \(first)@\(x1) then \(second)@\(x2)")
                            #expect(grid.cells.count == width)
                        }
                    }
                }
            }
        }
    }

    @Test func fillAndSetBackgroundKeepTheInvariant() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<500 {
            var grid = CellGrid(width: 7, height: 3)
            for y in 0..<3 { grid.put("日本語abc", x: Int.random(in: -2...4, using: &random), y: y) }
            let rect = Rect(x: Int.random(in: -2...6, using: &random), y: Int.random(in: -1...2, using: &random),
                            width: Int.random(in: 0...8, using: &random), height: Int.random(in: 0...3, using: &random))
            grid.fill(rect, with: Bool.random(using: &random) ? "." : "本", style: Style(.muted))
            grid.setBackground(rect, to: .selected)
            #expect(grid.checkWideInvariant(), "rect \(rect)")
        }
    }

    @Test func boxWithTitle() {
        var grid = CellGrid(width: 12, height: 4)
        grid.drawBox(grid.bounds, glyphs: .unicode, title: "Topics and more")
        #expect(grid.plainText() == """
            ┌─ Topic… ─┐
            │          │
            │          │
            └──────────┘
            """)
        var ascii = CellGrid(width: 6, height: 3)
        ascii.drawBox(ascii.bounds, glyphs: .ascii)
        #expect(ascii.plainText() == "+----+\n|    |\n+----+")
        var tiny = CellGrid(width: 1, height: 1)
        tiny.drawBox(tiny.bounds, glyphs: .unicode)
        #expect(tiny.plainText() == "")
    }

    @Test func spansAreCutWithAnEllipsis() {
        var grid = CellGrid(width: 8, height: 1)
        grid.put([Span("abc", role: .ok), Span("defghij", role: .error)], in: grid.bounds)
        #expect(grid.line(0) == "abcdefg…")
        #expect(grid[2, 0].style == Style(.ok) && grid[7, 0].style == Style(.error))
        // A cut exactly between two spans still shows the ellipsis.
        var exact = CellGrid(width: 4, height: 1)
        exact.put([Span("abcd"), Span("efgh")], in: exact.bounds)
        #expect(exact.line(0) == "abc…")
        var fits = CellGrid(width: 8, height: 1)
        fits.put([Span("abcd"), Span("efgh")], in: fits.bounds)
        #expect(fits.line(0) == "abcdefgh")
    }

    @Test func alignedTextFillsTheRow() {
        var grid = CellGrid(width: 8, height: 1)
        grid.put("abc", in: grid.bounds, alignment: .right, style: Style(.header))
        #expect(grid.line(0) == "     abc")
        #expect(grid.cells.allSatisfy { $0.style == Style(.header) })
    }

    @Test func styleMaskNamesStylesInOrderOfAppearance() {
        var grid = CellGrid(width: 4, height: 2)
        grid.put("ab", x: 1, y: 0, style: Style(.error, attributes: .bold))
        grid.put("c", x: 0, y: 1, style: Style(foreground: .outOfISR, background: .selected))
        let (mask, legend) = grid.styleMask()
        #expect(mask == ".aa\nb")
        #expect(legend == "a = error +bold\nb = out-of-isr/selected")
    }
}
