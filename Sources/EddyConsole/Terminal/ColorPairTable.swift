/// Curses colour pairs for the colour combinations a theme uses, allocated on first use.
///
/// Pair 0 is the terminal's default foreground and background and is never allocated; other
/// pairs are numbered from 1 up to `capacity`. When every pair is taken, further combinations
/// get pair 0 (default colours) rather than failing: a degraded look, never a crash.
struct ColorPairTable {
    struct Key: Hashable {
        var foreground: Int16
        var background: Int16
    }

    /// Pairs available besides pair 0.
    let capacity: Int
    private(set) var numbers: [Key: Int16] = [:]

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The pair for curses colour numbers (-1 for the default colour), and whether it was just
    /// allocated (so the caller must `init_pair` it).
    mutating func pair(foreground: Int16, background: Int16) -> (number: Int16, isNew: Bool) {
        if foreground == -1 && background == -1 { return (0, false) }
        let key = Key(foreground: foreground, background: background)
        if let number = numbers[key] { return (number, false) }
        guard numbers.count < capacity else { return (0, false) }
        let number = Int16(numbers.count + 1)
        numbers[key] = number
        return (number, true)
    }
}

extension ThemeColor {
    /// The curses colour number: -1 for the default colour (with `use_default_colors`), else
    /// the palette index. Without default-colour support the default becomes white on black.
    func cursesNumber(isForeground: Bool, defaultColors: Bool) -> Int16 {
        switch self {
        case .terminalDefault: return defaultColors ? -1 : (isForeground ? 7 : 0)
        case .indexed(let i): return Int16(i)
        }
    }
}
