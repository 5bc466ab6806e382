/// A keystroke, decoded from curses input (`Key.decode`). Views and dialogs handle these and
/// never see curses codes.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    /// A printable character, including any UTF-8 text the terminal sends.
    case character(Character)
    /// Control plus a letter, as the lowercase letter (`.control("u")` for Ctrl-U). Ctrl-H, -I,
    /// -J, -M and -[ arrive as backspace, tab, enter and escape instead.
    case control(Character)
    case enter, escape, backspace, delete, tab, backTab, insert
    case up, down, left, right, pageUp, pageDown, home, end
    /// Function key F1-F24.
    case function(Int)
    /// The terminal changed size; re-read the size and redraw everything.
    case resize
    /// A key code eddy does not decode (ignored by widgets).
    case unknown(Int32)

    public var description: String {
        switch self {
        case .character(let c): return String(c)
        case .control(let c): return "Ctrl-" + String(c).uppercased()
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .delete: return "Delete"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .insert: return "Insert"
        case .up: return "Up"
        case .down: return "Down"
        case .left: return "Left"
        case .right: return "Right"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        case .unknown(let code): return "key \(code)"
        }
    }
}
