/// A table column: title, width policy, alignment and which end of long text is cut.
public struct TableColumn: Hashable, Sendable {
    /// How wide a column is. Fixed columns get exactly their width. `min` columns fit their
    /// widest cell and title (at least the given width) and are the first to shrink, towards
    /// that width, when the table is too wide. Flex columns get their minimum plus a share of
    /// the leftover width by weight (ruler and sparkline columns are usually flex).
    public enum Width: Hashable, Sendable {
        case fixed(Int)
        case min(Int)
        case flex(min: Int, weight: Int)

        public static let flex: Width = .flex(min: 4, weight: 1)
    }

    /// Which end of text too long for the column is replaced by the ellipsis.
    public enum Truncation: Hashable, Sendable {
        case tail, head
    }

    public var title: String
    public var width: Width
    public var alignment: Alignment
    public var truncation: Truncation

    public init(_ title: String, width: Width = .min(0), alignment: Alignment = .left, truncation: Truncation = .tail) {
        self.title = title
        self.width = width
        self.alignment = alignment
        self.truncation = truncation
    }
}

/// One cell's content.
public enum TableCell: Hashable, Sendable {
    /// Text, in the row's style unless `style` is given.
    case text(String, Style? = nil)
    /// Styled runs, e.g. a replica list with the replicas out of the ISR highlighted.
    case spans([Span])
    /// A sparkline filling the cell.
    case sparkline(Sparkline)
    /// An offset ruler filling the cell.
    case ruler(OffsetRuler)

    /// Columns the content needs; 0 for sparklines and rulers, which fill what they get.
    var naturalWidth: Int {
        switch self {
        case .text(let text, _): return DisplayWidth.of(text)
        case .spans(let spans): return spans.width
        case .sparkline, .ruler: return 0
        }
    }
}

extension TableCell: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
}

/// A table row. Missing cells (fewer than columns) render empty.
public struct TableRow: Hashable, Sendable {
    public var cells: [TableCell]
    /// The row's style (e.g. an offline partition in `error`); cells without their own style use it.
    public var style: Style

    public init(_ cells: [TableCell], style: Style = .text) {
        self.cells = cells
        self.style = style
    }
}

/// Which column the rows are sorted by, shown as an arrow after its title. The table does not
/// sort: the view sorts its model and says so here.
public struct TableSort: Hashable, Sendable {
    public var column: Int
    public var ascending: Bool

    public init(column: Int, ascending: Bool = true) {
        self.column = column
        self.ascending = ascending
    }

    /// The sort after choosing `column`: the same column flips direction, another starts ascending.
    public func choosing(_ column: Int) -> TableSort {
        column == self.column ? TableSort(column: column, ascending: !ascending) : TableSort(column: column)
    }
}

/// A table: a header row of column titles, then one line per row, scrolled to keep the
/// selected row in view. Pure: `render` draws and reports the selection it used.
public struct Table: Hashable, Sendable {
    public var columns: [TableColumn]
    public var rows: [TableRow]
    public var sort: TableSort?
    public var selection: TableSelection
    /// Blank columns between columns.
    public var columnGap: Int
    /// Shown (muted) in the first row when there are no rows.
    public var emptyMessage: String
    /// The look of rows in plain `text` style and of the gaps between cells (`dialog` for a
    /// table inside a dialog).
    public var baseStyle: Style

    public init(
        columns: [TableColumn], rows: [TableRow], sort: TableSort? = nil,
        selection: TableSelection = TableSelection(), columnGap: Int = 1, emptyMessage: String = "(none)",
        baseStyle: Style = .text
    ) {
        self.baseStyle = baseStyle
        self.columns = columns
        self.rows = rows
        self.sort = sort
        self.selection = selection
        self.columnGap = columnGap
        self.emptyMessage = emptyMessage
    }

    /// Rows of `rect` that show table rows (all but the header row).
    public static func bodyHeight(for rect: Rect) -> Int { max(0, rect.height - 1) }
}
