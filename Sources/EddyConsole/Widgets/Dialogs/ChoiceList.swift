/// A radio-button choice among options, laid out vertically (one per row, Up/Down change it)
/// or horizontally (on one row, Left/Right change it). Home/End pick the first and last.
///
/// Invariant: `selected` is a valid index when there are options.
public struct ChoiceList: Hashable, Sendable {
    public enum Axis: Hashable, Sendable {
        case vertical, horizontal
    }

    public var options: [String]
    public private(set) var selected: Int
    public var axis: Axis

    public init(_ options: [String], selected: Int = 0, axis: Axis = .vertical) {
        self.options = options
        self.selected = options.isEmpty ? 0 : min(max(0, selected), options.count - 1)
        self.axis = axis
    }

    /// The selected option's text (empty when there are no options).
    public var selectedOption: String { options.isEmpty ? "" : options[selected] }

    public mutating func select(_ index: Int) {
        guard !options.isEmpty else { return }
        selected = min(max(0, index), options.count - 1)
    }

    /// Handles a key; true when it changed the choice.
    public mutating func handle(_ key: Key) -> Bool {
        guard !options.isEmpty else { return false }
        let before = selected
        switch (key, axis) {
        case (.up, .vertical), (.left, .horizontal): select(selected - 1)
        case (.down, .vertical), (.right, .horizontal): select(selected + 1)
        case (.home, _): select(0)
        case (.end, _): select(options.count - 1)
        default: return false
        }
        return selected != before
    }

    /// Rows the list takes.
    public var height: Int { axis == .vertical ? max(1, options.count) : 1 }

    /// Columns the list needs to show every option whole.
    public var naturalWidth: Int {
        let items = options.map { 4 + DisplayWidth.of($0) }
        return axis == .vertical ? (items.max() ?? 0) : items.reduce(0, +) + 2 * max(0, items.count - 1)
    }

    /// Draws the options as `(•) option` (ASCII `(*)`); the selected one in `selected` when
    /// the list has focus. A vertical list taller than `rect` scrolls to keep the choice in view.
    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs, focused: Bool) {
        guard rect.height > 0, rect.width > 0 else { return }
        func spans(_ i: Int) -> [Span] {
            let on = i == selected
            let style = on && focused ? Style(.selected) : Style(.dialog)
            return [Span((on ? glyphs.radioOn : glyphs.radioOff) + " " + options[i], style)]
        }
        switch axis {
        case .vertical:
            let first = max(0, selected - rect.height + 1)
            for (row, i) in (first..<min(options.count, first + rect.height)).enumerated() {
                grid.put(spans(i), in: rect.row(row), ellipsis: glyphs.ellipsis)
            }
        case .horizontal:
            var all: [Span] = []
            for i in options.indices {
                if i > 0 { all.append(Span("  ", Style(.dialog))) }
                all += spans(i)
            }
            grid.put(all, in: rect.row(0), ellipsis: glyphs.ellipsis)
        }
    }
}
