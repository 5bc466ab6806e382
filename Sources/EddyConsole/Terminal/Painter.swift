#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// The only code that talks to the terminal: starts curses, draws `CellGrid` frames, reads
/// keys, and restores the terminal. Everything it draws was decided by pure renderers.
///
/// Not thread-safe: create, use and shut it down on one thread (the console's main loop).
/// Only one painter may exist at a time (curses has one screen).
///
/// The terminal is restored by `shutdown()` (also called on deinit). SIGINT, SIGTERM and SIGHUP
/// only set `Painter.stopSignal`; the console's loop then ends as for `q`, so its caller can
/// stop the cluster cleanly. With `ctrlCAsKey`, Ctrl-C arrives as `Key.control("c")`.
public final class Painter {
    /// Current terminal size, updated on `Key.resize`.
    public private(set) var width: Int
    public private(set) var height: Int
    public let capability: ColorCapability
    /// True when the locale's character set is UTF-8 (see `glyphs`).
    public let isUTF8: Bool
    /// The glyph set for this locale.
    public var glyphs: Glyphs { Glyphs.forLocale(utf8: isUTF8) }
    /// The theme as this terminal shows it.
    public private(set) var theme: Theme

    private var screen: OpaquePointer?
    private let window: UnsafeMutablePointer<WINDOW>
    private var previous: CellGrid?
    private var pairs: ColorPairTable
    private var styleCache: [Style: (attr_t, Int16)] = [:]
    private let defaultColors: Bool

    /// Starts curses on the process's terminal. Run `TerminalCheck.check` first: this
    /// initialiser assumes a usable terminal and throws only if curses itself refuses.
    public init(theme: Theme, environment: [String: String], ctrlCAsKey: Bool = false) throws(TerminalError) {
        isUTF8 = TerminalLocale.adoptUserLocale()
        let term = environment["TERM"] ?? ""
        guard let screen = eddy_newterm() else { throw .unknownTerminal(term: term) }
        self.screen = screen
        set_term(screen)
        guard let window = eddy_stdscr() else {
            endwin()
            delscreen(screen)
            throw .unknownTerminal(term: term)
        }
        self.window = window
        if ctrlCAsKey { raw() } else { cbreak() }
        noecho()
        nonl()
        intrflush(window, false)
        keypad(window, true)
        _ = eddy_set_escdelay(25)
        curs_set(0)

        var colors = 0
        var defaultColors = false
        if has_colors() {
            start_color()
            defaultColors = use_default_colors() == OK
            colors = Int(eddy_colors())
        }
        self.defaultColors = defaultColors
        capability = ColorCapability.detect(colors: colors, environment: environment)
        pairs = ColorPairTable(capacity: capability == .none ? 0 : min(Int(eddy_color_pairs()), 32_767) - 1)
        self.theme = theme.adapted(to: capability)
        width = Int(eddy_cols())
        height = Int(eddy_lines())
        Self.installSignalHandlers()
    }

    deinit { shutdown() }

    /// Restores the terminal (idempotent). Nothing may be drawn afterwards.
    public func shutdown() {
        guard let screen else { return }
        endwin()
        delscreen(screen)
        self.screen = nil
    }

    /// Switches theme (`:theme NAME`); the next frame is drawn in full.
    public func setTheme(_ theme: Theme) {
        self.theme = theme.adapted(to: capability)
        styleCache.removeAll()
        previous = nil
    }

    /// Draws a frame: only the cells that differ from the previous frame, then one refresh.
    /// A frame of a different size than the last (after a resize) is drawn in full.
    public func draw(_ grid: CellGrid) {
        guard screen != nil else { return }
        let full = previous.map { $0.width != grid.width || $0.height != grid.height } ?? true
        if full { werase(window) }
        let w = min(grid.width, width), h = min(grid.height, height)
        for y in 0..<h {
            for x in 0..<w {
                let cell = grid[x, y]
                if cell.isContinuation { continue }
                if !full, let previous, previous[x, y] == cell { continue }
                drawCell(cell, x: x, y: y)
            }
        }
        wnoutrefresh(window)
        doupdate()
        previous = grid
    }

    /// Makes the next `draw` repaint the whole screen from scratch (Ctrl-L, or after another
    /// program wrote to the terminal).
    public func redrawAll() {
        guard screen != nil else { return }
        previous = nil
        clearok(window, true)
    }

    /// Waits up to `timeoutMs` (0: do not wait, negative: forever) for a key; nil when none
    /// came. On `.resize` the painter has already updated `width` and `height`.
    public func readKey(timeoutMs: Int32) -> Key? {
        guard screen != nil else { return nil }
        wtimeout(window, timeoutMs)
        var value: wint_t = 0
        let status = wget_wch(window, &value)
        let key: Key
        if status == KEY_CODE_YES {
            key = Key.decode(.functionKey(Int32(bitPattern: value)))
        } else if status == OK {
            key = Key.decode(.character(UInt32(value)))
        } else {
            return nil
        }
        if key == .resize {
            width = Int(eddy_cols())
            height = Int(eddy_lines())
            previous = nil
        }
        return key
    }

    private func drawCell(_ cell: Cell, x: Int, y: Int) {
        let (attributes, pair) = cursesStyle(cell.style)
        var chars: [wchar_t] = []
        for scalar in cell.character.unicodeScalars.prefix(4) {
            let v = scalar.value
            if !isUTF8 && v > 0x7E { chars = [wchar_t(UInt8(ascii: "?"))]; break }
            chars.append(wchar_t(bitPattern: v))
        }
        if chars.isEmpty { chars = [wchar_t(UInt8(ascii: " "))] }
        chars.append(0)
        var complex = cchar_t()
        _ = setcchar(&complex, chars, attributes, pair, nil)
        _ = mvwadd_wch(window, Int32(y), Int32(x), &complex)
    }

    private func cursesStyle(_ style: Style) -> (attr_t, Int16) {
        if let cached = styleCache[style] { return cached }
        let resolved = theme.resolve(style)
        var attributes = eddy_attr_normal()
        if resolved.attributes.contains(.bold) { attributes |= eddy_attr_bold() }
        if resolved.attributes.contains(.dim) { attributes |= eddy_attr_dim() }
        if resolved.attributes.contains(.underline) { attributes |= eddy_attr_underline() }
        if resolved.attributes.contains(.reverse) { attributes |= eddy_attr_reverse() }
        var pair: Int16 = 0
        if capability != .none {
            let fg = resolved.foreground.cursesNumber(isForeground: true, defaultColors: defaultColors)
            let bg = resolved.background.cursesNumber(isForeground: false, defaultColors: defaultColors)
            let allocation = pairs.pair(foreground: fg, background: bg)
            if allocation.isNew { init_pair(allocation.number, fg, bg) }
            pair = allocation.number
        }
        styleCache[style] = (attributes, pair)
        return (attributes, pair)
    }

    private static func installSignalHandlers() {
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            // Only record the signal: the console's loop sees `stopRequested`, returns as for `q`,
            // and its caller shuts the cluster down cleanly before the terminal is restored.
            signal(sig) { received in PainterSignals.received = received }
        }
    }

    /// The SIGINT, SIGTERM or SIGHUP received while curses was active (0: none). The console's
    /// loop ends when it is set, as it does for `q`.
    public static var stopSignal: Int32 { PainterSignals.received }
}

/// What the signal handler records (it cannot capture context). A 32-bit store is atomic on
/// every platform Swift runs on, as `sig_atomic_t` is.
enum PainterSignals {
    nonisolated(unsafe) static var received: Int32 = 0
}
