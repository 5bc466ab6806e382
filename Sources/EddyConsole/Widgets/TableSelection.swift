/// A list's selected row and scroll position: view state kept between frames.
///
/// A nil `row` means the list has no selection (a read-only list such as a preview): keys
/// then scroll it instead. Invariant after `clamped`: `row` is nil when there are no rows,
/// and otherwise `scrollOffset <= row < scrollOffset + pageSize` when there is a selection.
public struct TableSelection: Hashable, Sendable {
    /// The selected row's index, nil when nothing is selected.
    public var row: Int?
    /// Index of the first row shown.
    public var scrollOffset: Int

    public init(row: Int? = 0, scrollOffset: Int = 0) {
        self.row = row
        self.scrollOffset = scrollOffset
    }

    /// Moves the selection (or, without one, the scroll position) for Up/Down/PgUp/PgDn/Home/End.
    /// Returns false for other keys.
    public mutating func handle(_ key: Key, rowCount: Int, pageSize: Int) -> Bool {
        guard rowCount > 0 else { return false }
        let page = max(1, pageSize)
        guard let current = row else {
            let last = max(0, rowCount - page)
            switch key {
            case .up: scrollOffset = max(0, scrollOffset - 1)
            case .down: scrollOffset = min(last, scrollOffset + 1)
            case .pageUp: scrollOffset = max(0, scrollOffset - page)
            case .pageDown: scrollOffset = min(last, scrollOffset + page)
            case .home: scrollOffset = 0
            case .end: scrollOffset = last
            default: return false
            }
            return true
        }
        switch key {
        case .up: row = max(0, current - 1)
        case .down: row = min(rowCount - 1, current + 1)
        case .pageUp: row = max(0, current - page)
        case .pageDown: row = min(rowCount - 1, current + page)
        case .home: row = 0
        case .end: row = rowCount - 1
        default: return false
        }
        self = clamped(rowCount: rowCount, pageSize: pageSize)
        return true
    }

    /// The selection kept inside the rows (the last row when rows went away) and the scroll
    /// moved the least to show it; without a selection, the scroll kept inside the rows.
    public func clamped(rowCount: Int, pageSize: Int) -> TableSelection {
        guard rowCount > 0 else { return TableSelection(row: nil, scrollOffset: 0) }
        let page = max(1, pageSize)
        var offset = min(max(0, scrollOffset), max(0, rowCount - page))
        guard let row else { return TableSelection(row: nil, scrollOffset: offset) }
        let selected = min(max(0, row), rowCount - 1)
        if selected < offset { offset = selected }
        if selected >= offset + page { offset = selected - page + 1 }
        return TableSelection(row: selected, scrollOffset: offset)
    }
}
