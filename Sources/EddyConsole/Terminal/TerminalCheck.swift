#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNCurses

/// Why the console cannot run on this terminal. The caller prints the description (one line)
/// to standard error and exits with status 2, before curses writes anything.
public enum TerminalError: Error, Hashable, Sendable, CustomStringConvertible {
    case stdinNotATerminal
    case stdoutNotATerminal
    case termUnset
    /// TERM names a terminal that cannot move the cursor (`dumb`, or hard-copy in terminfo).
    case cannotMoveCursor(term: String)
    case unknownTerminal(term: String)
    case terminfoUnavailable(term: String)

    public var description: String {
        let advice = "the console needs an interactive terminal; other eddy commands work without one"
        switch self {
        case .stdinNotATerminal: return "eddy: standard input is not a terminal; \(advice)"
        case .stdoutNotATerminal: return "eddy: standard output is not a terminal; \(advice)"
        case .termUnset: return "eddy: TERM is not set; set it to your terminal's type (e.g. TERM=xterm-256color)"
        case .cannotMoveCursor(let term): return "eddy: terminal type '\(term)' cannot move the cursor; \(advice)"
        case .unknownTerminal(let term): return "eddy: terminal type '\(term)' is not in the terminfo database; set TERM to a known type (e.g. xterm-256color)"
        case .terminfoUnavailable(let term): return "eddy: cannot read the terminfo database for '\(term)'; check TERMINFO and your ncurses installation"
        }
    }
}

/// The checks the console makes before starting curses: both standard input and output must
/// be terminals, and TERM must name a terminfo entry with cursor addressing (`cup`). TERM=dumb
/// fails on that last point (and by name, without a database lookup).
public enum TerminalCheck {
    /// What terminfo says about a terminal type.
    public enum Terminfo: Hashable, Sendable {
        case usable, unknown, hardCopy, noCursorAddressing, databaseUnavailable
    }

    /// The decision, from its inputs. Pure.
    public static func evaluate(stdinIsTTY: Bool, stdoutIsTTY: Bool, term: String?, terminfo: (String) -> Terminfo) -> TerminalError? {
        if !stdoutIsTTY { return .stdoutNotATerminal }
        if !stdinIsTTY { return .stdinNotATerminal }
        guard let term, !term.isEmpty else { return .termUnset }
        if term == "dumb" { return .cannotMoveCursor(term: term) }
        switch terminfo(term) {
        case .usable: return nil
        case .unknown: return .unknownTerminal(term: term)
        case .hardCopy, .noCursorAddressing: return .cannotMoveCursor(term: term)
        case .databaseUnavailable: return .terminfoUnavailable(term: term)
        }
    }

    /// The decision for this process (file descriptors 0 and 1, `TERM` from `environment`).
    public static func check(environment: [String: String]) -> TerminalError? {
        evaluate(stdinIsTTY: isatty(0) == 1, stdoutIsTTY: isatty(1) == 1, term: environment["TERM"], terminfo: lookup)
    }

    /// Asks terminfo about a terminal type, without initialising curses.
    public static func lookup(_ term: String) -> Terminfo {
        switch eddy_terminfo_status(term) {
        case 0: return .usable
        case 1: return .unknown
        case 2: return .hardCopy
        case 3: return .noCursorAddressing
        default: return .databaseUnavailable
        }
    }
}

/// The character set of the user's locale, which decides between Unicode and ASCII glyphs.
public enum TerminalLocale {
    /// Adopts the user's locale (`setlocale(LC_ALL, "")`), as curses needs before it starts to
    /// handle wide characters, and returns whether its character set is UTF-8.
    public static func adoptUserLocale() -> Bool {
        setlocale(LC_ALL, "")
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        return isUTF8(codeset: String(cString: codeset))
    }

    /// True for the names C libraries use for UTF-8 (`UTF-8`, `utf8`, any case).
    public static func isUTF8(codeset: String) -> Bool {
        let normalized = codeset.lowercased().filter { $0 != "-" && $0 != "_" }
        return normalized == "utf8"
    }
}
