/// A line in a theme file, for error messages (`file:line`).
public struct ThemeLocation: Hashable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int

    public init(source: String, line: Int) {
        self.source = source
        self.line = line
    }

    public var description: String { "\(source):\(line)" }
}

/// Why a theme could not be loaded. Each message is one line; file errors start with
/// `file:line:` like a compiler's.
public enum ThemeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A line that is neither a comment, blank, nor `role = ...`.
    case missingEquals(ThemeLocation)
    case unknownRole(ThemeLocation, String)
    case duplicateRole(ThemeLocation, ThemeRole, firstLine: Int)
    /// Fewer than two colours after `=`.
    case missingColors(ThemeLocation, ThemeRole)
    /// The background was left out: an attribute where the background colour belongs.
    case missingBackground(ThemeLocation, ThemeRole, found: String)
    case invalidColor(ThemeLocation, String)
    case unknownAttribute(ThemeLocation, String)
    /// No theme of that name in any searched directory, nor built in.
    case notFound(name: String, searched: [String])
    /// A name with characters other than letters, digits, `-`, `_` and `.`.
    case invalidName(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingEquals(let at):
            return "\(at): expected `ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]`"
        case .unknownRole(let at, let name):
            return "\(at): unknown role `\(name)`; roles are \(ThemeRole.allCases.map(\.rawValue).joined(separator: ", "))"
        case .duplicateRole(let at, let role, let first):
            return "\(at): role `\(role.rawValue)` is already defined on line \(first)"
        case .missingColors(let at, let role):
            return "\(at): role `\(role.rawValue)` needs a foreground and a background colour (`default` for the terminal's own)"
        case .missingBackground(let at, let role, let found):
            return "\(at): role `\(role.rawValue)` needs a background colour before its attributes, found `\(found)` (use `default` for the terminal's own)"
        case .invalidColor(let at, let token):
            return "\(at): `\(token)` is not a colour; use default, a name (red, bright-red, ...), 0-255 or #rrggbb"
        case .unknownAttribute(let at, let token):
            return "\(at): unknown attribute `\(token)`; attributes are \(TextAttributes.names.map(\.0).joined(separator: ", "))"
        case .notFound(let name, let searched):
            let places = searched.isEmpty ? "" : " in " + searched.joined(separator: ", ")
            return "no theme named `\(name)`\(places), nor built in; built-in themes are \(BundledThemes.names.joined(separator: ", "))"
        case .invalidName(let name):
            return "`\(name)` is not a theme name (letters, digits, -, _ and .) nor a path to a .theme file"
        case .unreadable(let path, let reason):
            return "\(path): cannot read theme: \(reason)"
        }
    }
}
