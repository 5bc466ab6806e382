import CNCurses

extension Key {
    /// What `wget_wch` returned: a character (`OK`) or a function key code (`KEY_CODE_YES`).
    public enum Input: Hashable, Sendable {
        case character(UInt32)
        case functionKey(Int32)
    }

    /// Decodes one `wget_wch` result. Characters: CR/LF are enter, TAB tab, ESC escape,
    /// DEL and BS backspace, other C0 controls `control(letter)`, invalid scalars `unknown`.
    /// Function keys: the curses KEY_* codes for arrows, paging, home/end, insert/delete,
    /// back-tab, F1-F24, keypad enter, and KEY_RESIZE.
    public static func decode(_ input: Input) -> Key {
        switch input {
        case .character(let value):
            switch value {
            case 10, 13: return .enter
            case 9: return .tab
            case 27: return .escape
            case 8, 127: return .backspace
            case 1...26: return .control(Character(Unicode.Scalar(UInt8(value + 96))))
            case 0, 28...31, 128...159: return .unknown(Int32(value))
            default:
                guard let scalar = Unicode.Scalar(value) else { return .unknown(Int32(bitPattern: value)) }
                return .character(Character(scalar))
            }
        case .functionKey(let code):
            switch code {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_HOME, KEY_A1: return .home
            case KEY_END, KEY_C1: return .end
            case KEY_IC: return .insert
            case KEY_DC: return .delete
            case KEY_BACKSPACE: return .backspace
            case KEY_ENTER: return .enter
            case KEY_BTAB: return .backTab
            case KEY_RESIZE: return .resize
            default:
                let f1 = eddy_key_f(1)
                if code >= f1 && code <= eddy_key_f(24) { return .function(Int(code - f1) + 1) }
                return .unknown(code)
            }
        }
    }
}
