import Foundation

/// The result of the last action, as the status line shows it.
public struct StatusMessage: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case info, success, error
    }

    public var text: String
    public var kind: Kind

    public init(_ text: String, kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }

    public static func error(_ text: String) -> StatusMessage { StatusMessage(text, kind: .error) }
    public static func success(_ text: String) -> StatusMessage { StatusMessage(text, kind: .success) }
}

/// The bottom line of every view:
///
///     demo │ Reset group audit: 6 partitions to earliest     read-only │ 12:03:04 every 1s │ ? help
///
/// Left: the cluster's name, then the last action's result (in `status-error` when it failed),
/// cut with the ellipsis to the room left. Right: badges (modes such as `read-only`), the time
/// of the last refresh and the refresh interval, and the help hint. When the line is too narrow
/// the hint goes first, then the badges, then the refresh time; the cluster name stays.
public struct StatusLine: Hashable, Sendable {
    public var cluster: String
    public var message: StatusMessage?
    public var badges: [String]
    /// When the model was last refreshed (epoch ms), nil before the first refresh.
    public var refreshedAtMs: Int64?
    public var refreshIntervalMs: Int64?
    public var hint: String
    public var timeZone: TimeZone

    public init(
        cluster: String, message: StatusMessage? = nil, badges: [String] = [], refreshedAtMs: Int64? = nil,
        refreshIntervalMs: Int64? = nil, hint: String = "? help", timeZone: TimeZone = .current
    ) {
        self.cluster = cluster
        self.message = message
        self.badges = badges
        self.refreshedAtMs = refreshedAtMs
        self.refreshIntervalMs = refreshIntervalMs
        self.hint = hint
        self.timeZone = timeZone
    }

    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs) {
        guard rect.height > 0, rect.width > 0 else { return }
        let base = Style(.status)
        let line = rect.row(0)
        grid.fill(line, style: base)

        var refreshed: String?
        if let refreshedAtMs {
            refreshed = HumanFormat.timeOfDay(epochMs: refreshedAtMs, timeZone: timeZone)
            if let refreshIntervalMs { refreshed! += " every " + HumanFormat.duration(ms: refreshIntervalMs) }
        }
        var shownBadges = badges
        var showHint = !hint.isEmpty
        func rightText() -> String {
            let groups = [refreshed].compactMap { $0 } + shownBadges + (showHint ? [hint] : [])
            return groups.isEmpty ? "" : groups.joined(separator: glyphs.separator) + " "
        }
        let left = " " + cluster
        let leftWidth = DisplayWidth.of(left)
        // Keep the cluster name and at least a few columns for the message.
        while leftWidth + DisplayWidth.of(rightText()) + 8 > line.width {
            if showHint { showHint = false } else if !shownBadges.isEmpty { shownBadges.removeLast() } else if refreshed != nil { refreshed = nil } else { break }
        }
        let rightString = rightText()
        let rightWidth = DisplayWidth.of(rightString)
        grid.put(rightString, x: line.maxX - rightWidth, y: line.y, style: base, clip: line)

        let leftRoom = line.width - rightWidth
        var x = line.x + grid.put(TextLayout.truncate(left, to: leftRoom, ellipsis: glyphs.ellipsis), x: line.x, y: line.y, style: Style(.status, attributes: .bold), clip: line)
        guard let message, !message.text.isEmpty else { return }
        let separator = glyphs.separator
        let room = line.x + leftRoom - x - DisplayWidth.of(separator) - 1
        guard room > 0 else { return }
        x += grid.put(separator, x: x, y: line.y, style: base, clip: line)
        let style: Style
        switch message.kind {
        case .info: style = base
        case .success: style = Style(foreground: .ok, background: .status)
        case .error: style = Style(.statusError)
        }
        grid.put(TextLayout.truncate(message.text, to: room, ellipsis: glyphs.ellipsis), x: x, y: line.y, style: style, clip: line)
    }
}
