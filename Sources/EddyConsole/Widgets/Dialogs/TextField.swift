/// A one-line text input: its text and cursor, edited by keys.
///
/// Keys: printable characters insert at the cursor; Backspace and Delete remove before and at
/// the cursor; Left/Right, Home/End, Ctrl-A/Ctrl-E move; Ctrl-U deletes to the start, Ctrl-K
/// to the end, Ctrl-W the word before the cursor. Enter submits, Esc cancels; other keys are
/// ignored (the form may use them).
///
/// Invariant: `0 <= cursor <= characters.count`.
public struct TextField: Hashable, Sendable {
    public private(set) var characters: [Character]
    public private(set) var cursor: Int
    /// Shown (muted) while the field is empty.
    public var placeholder: String
    /// Longest text accepted, in characters.
    public var maxLength: Int

    public init(_ text: String = "", placeholder: String = "", maxLength: Int = 4096) {
        characters = Array(text.prefix(maxLength))
        cursor = characters.count
        self.placeholder = placeholder
        self.maxLength = maxLength
    }

    public var text: String {
        get { String(characters) }
        set {
            characters = Array(newValue.prefix(maxLength))
            cursor = characters.count
        }
    }

    public enum Event: Hashable, Sendable {
        case edited, moved, submitted, cancelled, ignored
    }

    public mutating func handle(_ key: Key) -> Event {
        switch key {
        case .character(let c):
            guard characters.count < maxLength else { return .ignored }
            characters.insert(c, at: cursor)
            cursor += 1
            return .edited
        case .backspace:
            guard cursor > 0 else { return .ignored }
            characters.remove(at: cursor - 1)
            cursor -= 1
            return .edited
        case .delete, .control("d"):
            guard cursor < characters.count else { return .ignored }
            characters.remove(at: cursor)
            return .edited
        case .left, .control("b"):
            guard cursor > 0 else { return .ignored }
            cursor -= 1
            return .moved
        case .right, .control("f"):
            guard cursor < characters.count else { return .ignored }
            cursor += 1
            return .moved
        case .home, .control("a"):
            cursor = 0
            return .moved
        case .end, .control("e"):
            cursor = characters.count
            return .moved
        case .control("u"):
            guard cursor > 0 else { return .ignored }
            characters.removeSubrange(0..<cursor)
            cursor = 0
            return .edited
        case .control("k"):
            guard cursor < characters.count else { return .ignored }
            characters.removeSubrange(cursor...)
            return .edited
        case .control("w"):
            guard cursor > 0 else { return .ignored }
            var start = cursor
            while start > 0, characters[start - 1] == " " { start -= 1 }
            while start > 0, characters[start - 1] != " " { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
            return .edited
        case .enter:
            return .submitted
        case .escape:
            return .cancelled
        default:
            return .ignored
        }
    }

    /// Draws the field in the first row of `rect`: its text in `input`, scrolled so the cursor
    /// shows, and (when focused) the cursor as a reversed cell. The terminal's own cursor stays
    /// hidden.
    public func render(into grid: inout CellGrid, rect: Rect, glyphs: Glyphs, focused: Bool) {
        guard rect.height > 0, rect.width > 0 else { return }
        let line = rect.row(0)
        let style = Style(.input)
        grid.fill(line, style: style)
        if characters.isEmpty && !placeholder.isEmpty {
            grid.put(TextLayout.truncate(placeholder, to: line.width - 1, ellipsis: glyphs.ellipsis), x: line.x + 1, y: line.y, style: Style(foreground: .muted, background: .input), clip: line)
        }
        // First character shown: the earliest one that keeps the cursor cell on screen.
        var first = cursor
        var used = cursor < characters.count ? max(1, DisplayWidth.of(characters[cursor])) : 1
        while first > 0 {
            let w = max(1, DisplayWidth.of(characters[first - 1]))
            if used + w > line.width { break }
            used += w
            first -= 1
        }
        var x = line.x
        var index = first
        while index < characters.count, x < line.maxX {
            let isCursor = focused && index == cursor
            x += max(1, grid.put(characters[index], x: x, y: line.y, style: isCursor ? style.adding(.reverse) : style, clip: line))
            index += 1
        }
        if focused && cursor == characters.count {
            grid.put(" ", x: x, y: line.y, style: style.adding(.reverse), clip: line)
        }
    }
}
