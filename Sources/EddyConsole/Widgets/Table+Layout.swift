extension Table {
    /// Column widths for a table `width` columns wide (see `TableColumn.Width`). The widths
    /// plus gaps never exceed `width` when every column can shrink to fit; fixed and minimum
    /// widths that cannot fit push the last columns past the right edge, where they are cut.
    public func columnWidths(width: Int) -> [Int] {
        let n = columns.count
        guard n > 0 else { return [] }
        let gaps = columnGap * (n - 1)
        var (widths, floors) = naturalWidths()
        var total = widths.reduce(0, +) + gaps
        if total > width {
            // Shrink the `min` columns with the most to give, one column of text at a time.
            var overflow = total - width
            while overflow > 0 {
                var best = -1
                var bestSurplus = 0
                for i in 0..<n where widths[i] - floors[i] > bestSurplus {
                    best = i
                    bestSurplus = widths[i] - floors[i]
                }
                if best < 0 { break }
                widths[best] -= 1
                overflow -= 1
            }
            total = widths.reduce(0, +) + gaps
        }
        if total < width {
            var extra = width - total
            let flex = columns.indices.compactMap { i -> (Int, Int)? in
                if case .flex(_, let weight) = columns[i].width, weight > 0 { return (i, weight) }
                return nil
            }
            let weights = flex.reduce(0) { $0 + $1.1 }
            if weights > 0 {
                let share = extra
                for (i, weight) in flex {
                    let add = share * weight / weights
                    widths[i] += add
                    extra -= add
                }
                for (i, _) in flex where extra > 0 {
                    widths[i] += 1
                    extra -= 1
                }
            }
        }
        return widths
    }

    /// Columns the table needs to show every cell whole (flex columns at their minimum).
    public func naturalWidth() -> Int {
        naturalWidths().widths.reduce(0, +) + columnGap * max(0, columns.count - 1)
    }

    /// Each column's width before fitting to a table width, and how far it may shrink.
    func naturalWidths() -> (widths: [Int], floors: [Int]) {
        var widths = [Int](repeating: 0, count: columns.count)
        var floors = [Int](repeating: 0, count: columns.count)
        for (i, column) in columns.enumerated() {
            switch column.width {
            case .fixed(let w):
                widths[i] = max(0, w)
                floors[i] = widths[i]
            case .min(let w):
                floors[i] = max(0, w)
                widths[i] = max(floors[i], contentWidth(of: i))
            case .flex(let w, _):
                widths[i] = max(0, w)
                floors[i] = widths[i]
            }
        }
        return (widths, floors)
    }

    /// The widest cell of a column, or its title plus room for the sort arrow.
    func contentWidth(of column: Int) -> Int {
        var widest = DisplayWidth.of(columns[column].title) + (sort?.column == column ? 2 : 0)
        for row in rows where column < row.cells.count {
            let w = row.cells[column].naturalWidth
            if w > widest { widest = w }
        }
        return widest
    }
}
