/// The characters the console draws with, in two sets: `unicode` for UTF-8 locales and `ascii`
/// for everything else (`TerminalLocale.isUTF8`). Widgets take the set as a parameter and never
/// write a box or block character of their own, so the ASCII fallback is complete.
public struct Glyphs: Hashable, Sendable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    /// Truncation marker (one column).
    public var ellipsis: String
    /// Sparkline levels, lowest first: exactly 8.
    public var sparkBlocks: [Character]
    public var arrowUp: Character
    public var arrowDown: Character
    public var arrowLeft: Character
    public var arrowRight: Character
    /// Offset ruler track: consumed part, lag part, part above the high watermark.
    public var rulerConsumed: Character
    public var rulerLag: Character
    public var rulerUnreplicated: Character
    /// Offset ruler marks: committed, position, high watermark, last stable offset.
    public var markCommitted: Character
    public var markPosition: Character
    public var markHighWatermark: Character
    public var markLastStable: Character = "S"
    /// Radio buttons in choice lists.
    public var radioOn: String
    public var radioOff: String
    /// Separator between items in the status line and header.
    public var separator: String

    /// Box drawing (light lines), block elements for sparklines, arrows, `…`.
    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        ellipsis: "…", sparkBlocks: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        arrowUp: "▲", arrowDown: "▼", arrowLeft: "←", arrowRight: "→",
        rulerConsumed: "─", rulerLag: "━", rulerUnreplicated: "┄",
        markCommitted: "C", markPosition: "P", markHighWatermark: "H",
        radioOn: "(•)", radioOff: "( )", separator: " │ ")

    /// Plain ASCII: `+-|` boxes, `_.-~=+*#` sparklines, `^v<>` arrows, `~` for `…`.
    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        ellipsis: "~", sparkBlocks: ["_", ".", "-", "~", "=", "+", "*", "#"],
        arrowUp: "^", arrowDown: "v", arrowLeft: "<", arrowRight: ">",
        rulerConsumed: "-", rulerLag: "=", rulerUnreplicated: ".",
        markCommitted: "C", markPosition: "P", markHighWatermark: "H",
        radioOn: "(*)", radioOff: "( )", separator: " | ")

    /// The set for a locale: Unicode when its character set is UTF-8.
    public static func forLocale(utf8: Bool) -> Glyphs { utf8 ? .unicode : .ascii }
}
