/// What the terminal can show, decided once when the console starts.
public enum ColorCapability: Hashable, Sendable {
    /// 256 colours: theme colours are used as written.
    case colors256
    /// The 8 basic colours: other colours map to the nearest basic colour.
    case colors8
    /// No colour (a monochrome terminal, or `NO_COLOR` set): attributes only.
    case none

    /// The capability for a terminal reporting `colors` (curses `COLORS`, 0 when it has none),
    /// given the environment: `NO_COLOR` set to any non-empty value disables colour
    /// (https://no-color.org).
    public static func detect(colors: Int, environment: [String: String]) -> ColorCapability {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .none }
        if colors >= 256 { return .colors256 }
        if colors >= 8 { return .colors8 }
        return .none
    }
}
