/// eddy's signature: one partition's offsets for one consumer on a bar, from the log start
/// offset (left edge) to the log-end offset (right edge).
///
///     Unicode:  ─────────C─P━━━━━━━━━H┄┄┄     ASCII:  ---------C-P=========H...
///
/// Track, by what each column's middle offset is:
/// - `─` / `-` (`ruler-consumed`): below the consumer's position (or the committed offset when
///   the position is unknown): already read;
/// - `━` / `=` (`ruler-lag`): from there up to the high watermark: the lag;
/// - `┄` / `.` (`ruler-unreplicated`): from the high watermark to the log end: written to the
///   leader but not yet replicated to the whole ISR, invisible to consumers.
/// Marks, drawn over the track: `C` committed offset, `P` position, `H` high watermark, and `S`
/// the last stable offset when an open transaction holds it below the high watermark (where
/// read_committed consumers stop).
/// Column of offset o: `(o - logStart) * width / (logEnd - logStart)`, clamped to the bar, so
/// offsets outside the log (a committed offset below a new log start) sit on the nearest edge.
///
/// Collisions: marks that land on the same column are placed side by side in the order C, P, S,
/// H (ties by offset, then that order), the rightmost at its true column and the others pushed
/// left; when that runs past the left edge they are pushed right instead. So `CPH` at the right
/// end reads "committed, position and high watermark all at the log end". A bar narrower than
/// the marks drops marks, C first, then P, then S.
public struct OffsetRuler: Hashable, Sendable {
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64
    /// The consumer's position, when a live consumer reports one.
    public var position: Int64?
    /// The group's committed offset, when there is one.
    public var committed: Int64?
    /// The last stable offset, when known; marked only below the high watermark.
    public var lastStableOffset: Int64?

    public init(logStartOffset: Int64, logEndOffset: Int64, highWatermark: Int64, position: Int64? = nil, committed: Int64? = nil,
                lastStableOffset: Int64? = nil) {
        self.lastStableOffset = lastStableOffset
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.highWatermark = highWatermark
        self.position = position
        self.committed = committed
    }

    public enum Mark: Int, Hashable, Sendable, CaseIterable {
        case committed, position, lastStable, highWatermark

        public var role: ThemeRole {
            switch self {
            case .committed: return .rulerCommitted
            case .position: return .rulerPosition
            case .lastStable: return .rulerLastStable
            case .highWatermark: return .rulerHighWatermark
            }
        }

        public func glyph(_ glyphs: Glyphs) -> Character {
            switch self {
            case .committed: return glyphs.markCommitted
            case .position: return glyphs.markPosition
            case .lastStable: return glyphs.markLastStable
            case .highWatermark: return glyphs.markHighWatermark
            }
        }
    }

    /// The column of an offset on a bar `width` wide.
    public func column(of offset: Int64, width: Int) -> Int {
        guard width > 1 else { return 0 }
        let span = logEndOffset - logStartOffset
        guard span > 0 else { return width - 1 }
        let fraction = Double(offset - logStartOffset) / Double(span)
        return min(width - 1, max(0, Int((fraction * Double(width)).rounded(.down))))
    }

    /// Where each mark is drawn on a bar `width` wide, after collision handling.
    public func markColumns(width: Int) -> [(mark: Mark, column: Int)] {
        var marks: [(mark: Mark, offset: Int64)] = []
        if let committed { marks.append((.committed, committed)) }
        if let position { marks.append((.position, position)) }
        if let lastStableOffset, lastStableOffset < highWatermark { marks.append((.lastStable, lastStableOffset)) }
        marks.append((.highWatermark, highWatermark))
        // Too narrow for every mark: keep H, then S, then P, then C.
        while marks.count > width, !marks.isEmpty { marks.removeFirst() }
        guard !marks.isEmpty else { return [] }
        let ordered = marks.map { (mark: $0.mark, offset: $0.offset, column: column(of: $0.offset, width: width)) }
            .sorted { ($0.column, $0.offset, $0.mark.rawValue) < ($1.column, $1.offset, $1.mark.rawValue) }
        var columns = ordered.map(\.column)
        for i in stride(from: columns.count - 2, through: 0, by: -1) {
            columns[i] = min(columns[i], columns[i + 1] - 1)
        }
        if let first = columns.first, first < 0 {
            columns[0] = 0
            for i in 1..<columns.count { columns[i] = max(columns[i], columns[i - 1] + 1) }
        }
        return zip(ordered, columns).map { ($0.mark, $1) }
    }

    /// The track glyph and role of one column (see the type's documentation).
    func track(column: Int, width: Int, glyphs: Glyphs) -> (Character, ThemeRole) {
        let span = logEndOffset - logStartOffset
        guard span > 0 else { return (glyphs.rulerUnreplicated, .rulerUnreplicated) }
        let middle = Double(logStartOffset) + (Double(column) + 0.5) * Double(span) / Double(width)
        let consumedUpTo = Double(position ?? committed ?? logStartOffset)
        if middle < consumedUpTo && middle < Double(highWatermark) { return (glyphs.rulerConsumed, .rulerConsumed) }
        if middle < Double(highWatermark) { return (glyphs.rulerLag, .rulerLag) }
        return (glyphs.rulerUnreplicated, .rulerUnreplicated)
    }

    /// Draws the bar into the first row of `rect`. `background` is the row's background role
    /// (`selected` inside a selected table row).
    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs, background: ThemeRole? = nil) {
        guard rect.height > 0, rect.width > 0 else { return }
        func style(_ role: ThemeRole) -> Style { background.map { Style(role).over($0) } ?? Style(role) }
        for column in 0..<rect.width {
            let (glyph, role) = track(column: column, width: rect.width, glyphs: glyphs)
            grid.put(glyph, x: rect.x + column, y: rect.y, style: style(role), clip: rect)
        }
        for (mark, column) in markColumns(width: rect.width) {
            grid.put(mark.glyph(glyphs), x: rect.x + column, y: rect.y, style: style(mark.role), clip: rect)
        }
    }

    /// The key to the bar, for a view's footer: each mark and track glyph with its meaning.
    public static func legend(glyphs: Glyphs) -> [Span] {
        [
            Span(String(glyphs.markCommitted), role: .rulerCommitted), Span(" committed  "),
            Span(String(glyphs.markPosition), role: .rulerPosition), Span(" position  "),
            Span(String(glyphs.markHighWatermark), role: .rulerHighWatermark), Span(" high watermark  "),
            Span(String(glyphs.rulerConsumed), role: .rulerConsumed), Span(" read  "),
            Span(String(glyphs.rulerLag), role: .rulerLag), Span(" lag  "),
            Span(String(glyphs.rulerUnreplicated), role: .rulerUnreplicated), Span(" not yet replicated  "),
            Span(String(glyphs.markLastStable), role: .rulerLastStable), Span(" last stable (open transaction)"),
        ]
    }
}
