import EddyProtocol
import Testing
@testable import EddyConsole

@Suite struct TableTests {
    func table(_ widths: [TableColumn.Width], rows: [[String]] = []) -> Table {
        Table(columns: widths.enumerated().map { TableColumn("C\($0.offset)", width: $0.element) }, rows: rows.map { TableRow($0.map { .text($0) }) })
    }

    @Test func fixedMinAndFlexWidths() {
        let t = table([.fixed(5), .min(3), .flex(min: 4, weight: 1), .flex(min: 2, weight: 3)], rows: [["a", "abcdefg", "x", "y"]])
        // 5 + 7 + 4 + 2 + 3 gaps = 21; 19 more columns shared 1:3 (4.75 and 14.25, the leftover
        // column to the first flex column).
        #expect(t.columnWidths(width: 40) == [5, 7, 9, 16])
        #expect(t.columnWidths(width: 21) == [5, 7, 4, 2])
        // Too narrow: the min column gives up to its minimum, then the table overflows.
        #expect(t.columnWidths(width: 18) == [5, 4, 4, 2])
        #expect(t.columnWidths(width: 10) == [5, 3, 4, 2])
        #expect(t.naturalWidth() == 21)
    }

    @Test func minColumnsFitTitlesAndTheSortArrow() {
        var t = table([.min(0)], rows: [["ab"]])
        #expect(t.columnWidths(width: 50) == [2])
        t.sort = TableSort(column: 0)
        #expect(t.columnWidths(width: 50) == [4])
    }

    /// For every width, the layout fills the table exactly when it has flex columns and can fit,
    /// never drops below a column's floor, and is deterministic.
    @Test func layoutPropertiesOverManyWidths() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<200 {
            let widths: [TableColumn.Width] = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                switch Int.random(in: 0..<3, using: &random) {
                case 0: return .fixed(Int.random(in: 0...8, using: &random))
                case 1: return .min(Int.random(in: 0...8, using: &random))
                default: return .flex(min: Int.random(in: 0...8, using: &random), weight: Int.random(in: 1...3, using: &random))
                }
            }
            let row = widths.map { _ in String(repeating: "x", count: Int.random(in: 0...12, using: &random)) }
            let t = table(widths, rows: [row])
            let floor = widths.reduce(0) { sum, w in
                switch w { case .fixed(let n), .min(let n), .flex(let n, _): return sum + n }
            } + (widths.count - 1)
            let hasFlex = widths.contains { if case .flex = $0 { return true } else { return false } }
            for width in 0...60 {
                let result = t.columnWidths(width: width)
                let total = result.reduce(0, +) + widths.count - 1
                if width >= floor {
                    #expect(total <= width, "seed 11 widths \(widths) at \(width): \(result)")
                    if hasFlex { #expect(total == width) }
                }
                for (w, policy) in zip(result, widths) {
                    switch policy { case .fixed(let n): #expect(w == n); case .min(let n), .flex(let n, _): #expect(w >= n) }
                }
                #expect(result == t.columnWidths(width: width))
            }
        }
    }

    /// Exhaustive over small lists: after any key the selection is in range and visible.
    @Test func selectionStaysVisible() {
        let keys: [Key] = [.up, .down, .pageUp, .pageDown, .home, .end]
        for rows in 0...7 {
            for page in 1...4 {
                for start in -1...8 {
                    for offset in 0...8 {
                        for key in keys {
                            var s = TableSelection(row: start, scrollOffset: offset)
                            _ = s.handle(key, rowCount: rows, pageSize: page)
                            let c = s.clamped(rowCount: rows, pageSize: page)
                            if rows == 0 {
                                #expect(c.row == nil)
                            } else {
                                let row = try! #require(c.row)
                                #expect(row >= 0 && row < rows)
                                #expect(c.scrollOffset <= row && row < c.scrollOffset + page)
                                #expect(c.scrollOffset + page <= max(rows, page))
                            }
                        }
                    }
                }
            }
        }
        var s = TableSelection(row: 3)
        #expect(s.handle(.down, rowCount: 10, pageSize: 4) && s == TableSelection(row: 4, scrollOffset: 1))
        let other = s.handle(.character("x"), rowCount: 10, pageSize: 4)
        #expect(!other)
    }

    @Test func sortToggles() {
        let sort = TableSort(column: 2)
        #expect(sort.choosing(2) == TableSort(column: 2, ascending: false))
        #expect(sort.choosing(1) == TableSort(column: 1, ascending: true))
    }

    @Test func headTruncationKeepsTheEnd() {
        let t = Table(columns: [TableColumn("GROUP", width: .fixed(8), truncation: .head)], rows: [TableRow([.text("consumer-group-billing")])], selection: TableSelection(row: nil))
        var grid = CellGrid(width: 8, height: 2)
        t.render(into: &grid, rect: grid.bounds, glyphs: .unicode)
        #expect(grid.line(1) == "…billing")
    }
}
