import EddyProtocol
import Foundation

/// What every view renders from: the model, the console state and the frame's time.
struct ViewContext {
    let model: ConsoleModel
    let state: ConsoleState
    /// Wall-clock ms since the epoch.
    let now: Int64

    var glyphs: Glyphs { state.glyphs }
    var snapshot: ConsoleSnapshot? { model.latest }
    func viewState(_ view: ConsoleView) -> ViewState { state.viewState(view) }
}

/// One sortable, filterable table: its columns and how each sortable column orders items.
struct TableSpec<Item> {
    var columns: [TableColumn]
    /// Column index -> "ascending order" predicate; columns without one cannot be sorted.
    var orderings: [Int: (Item, Item) -> Bool]
    /// The text the `/` filter searches.
    var searchText: (Item) -> String
    /// The sort used when the view state has none (shown with its arrow).
    var defaultSort: TableSort?

    /// The sortable columns, in column order (what `s` cycles through).
    var sortableColumns: [Int] { orderings.keys.sorted() }

    /// `items` kept by the filter and ordered by the sort. Stable: items that compare equal keep
    /// their order in `items`.
    func arrange(_ items: [Item], state: ViewState) -> [Item] {
        var kept = items
        let needle = state.filter.lowercased()
        if !needle.isEmpty { kept = kept.filter { searchText($0).lowercased().contains(needle) } }
        guard let sort = state.sort ?? defaultSort, let less = orderings[sort.column] else { return kept }
        let indexed = kept.enumerated().map { ($0.offset, $0.element) }
        return indexed.sorted { a, b in
            if less(a.1, b.1) { return sort.ascending }
            if less(b.1, a.1) { return !sort.ascending }
            return a.0 < b.0
        }.map(\.1)
    }
}

/// Orderings for optional values: nil sorts first (unknown before zero).
func ascending<T: Comparable>(_ a: T?, _ b: T?) -> Bool {
    switch (a, b) {
    case (nil, nil): false
    case (nil, _): true
    case (_, nil): false
    case let (x?, y?): x < y
    }
}

/// Cell texts shared by the views.
enum CellText {
    /// An offset, or `-` when unknown.
    static func offset(_ value: Int64?) -> String { value.map { String($0) } ?? "-" }

    /// The last stable offset; when an open transaction holds it below the high watermark, in
    /// `warning` with how long it has stood there (`118 held 2m03s`).
    static func lastStable(_ value: Int64?, hold: (lastStableOffset: Int64, ageMs: Int64)?) -> TableCell {
        guard let value, let hold, hold.lastStableOffset == value else { return .text(offset(value)) }
        return .spans([Span(String(value), Style(.warning, attributes: .bold)), Span(" held " + HumanFormat.duration(ms: hold.ageMs), Style(.warning))])
    }

    /// A lag: `-` when unknown.
    static func lag(_ value: Int64?) -> String { value.map { String($0) } ?? "-" }

    static func rate(_ value: Double?) -> String { value.map(HumanFormat.rate) ?? "-" }

    static func byteRate(_ value: Double?) -> String { value.map(HumanFormat.byteRate) ?? "-" }

    static func bytes(_ value: Int64?) -> String { value.map { HumanFormat.bytes($0) } ?? "-" }

    /// retention.ms: `forever` for -1.
    static func retention(ms: Int64?, bytes: Int64?) -> String {
        guard let ms else { return "-" }
        let time = ms < 0 ? "forever" : HumanFormat.duration(ms: ms)
        if let bytes, bytes >= 0 { return time + "/" + HumanFormat.bytes(bytes) }
        return time
    }

    /// Replica ids with the ones out of the ISR in `out-of-isr`.
    static func replicas(_ replicas: [Int32], isr: [Int32]) -> TableCell {
        guard !replicas.isEmpty else { return .text("-") }
        var spans: [Span] = []
        for (i, r) in replicas.enumerated() {
            if i > 0 { spans.append(Span(",")) }
            spans.append(Span(String(r), isr.contains(r) ? .text : Style(.outOfISR, attributes: .bold)))
        }
        return .spans(spans)
    }

    static func ids(_ ids: [Int32]) -> String { ids.isEmpty ? "-" : ids.map(String.init).joined(separator: ",") }

    /// A partition's leader: `none` when offline, `N down` (marked in `error`) when the
    /// leader does not answer.
    static func leader(_ p: PartitionSnapshot) -> TableCell {
        guard let leader = p.leader else { return .text("none") }
        guard p.leaderUnreachable else { return .text(String(leader)) }
        return .spans([Span(String(leader)), Span(" down", Style(.error, attributes: .bold))])
    }

    /// ISR ids with the ones whose broker is down in `error`: they still count for acks=all.
    static func isr(_ isr: [Int32], offline: [Int32]) -> TableCell {
        guard isr.contains(where: offline.contains) else { return .text(ids(isr)) }
        var spans: [Span] = []
        for (i, r) in isr.enumerated() {
            if i > 0 { spans.append(Span(",")) }
            spans.append(Span(String(r), offline.contains(r) ? Style(.error, attributes: .bold) : .text))
        }
        return .spans(spans)
    }

    /// A group state in its health colour.
    static func groupState(_ state: String) -> TableCell {
        switch state {
        case "Stable": .text(state, Style(.ok))
        case "Empty", "Dead": .text(state, Style(.muted))
        case "Unknown": .text(state, Style(.error))
        default: .text(state, Style(.warning))
        }
    }
}

/// The line at the top of a view's body: spans, then the filter and sort in effect.
enum SummaryLine {
    static func render(_ spans: [Span], filter: String, shown: Int, total: Int, into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        var all = spans
        if !filter.isEmpty {
            all.append(Span(glyphs.separator, Style(.muted)))
            all.append(Span("filter ", Style(.muted)))
            all.append(Span("\"\(filter)\"", Style(.accent)))
            all.append(Span(" \(shown) of \(total)", Style(.muted)))
        }
        grid.put(all, in: rect.row(0), ellipsis: glyphs.ellipsis)
    }

    /// `label value` pairs joined by the separator.
    static func pairs(_ items: [(String, String, Style)], glyphs: Glyphs) -> [Span] {
        var spans: [Span] = []
        for (i, item) in items.enumerated() {
            if i > 0 { spans.append(Span(glyphs.separator, Style(.muted))) }
            if !item.0.isEmpty { spans.append(Span(item.0 + " ", Style(.muted))) }
            spans.append(Span(item.1, item.2))
        }
        return spans
    }
}
