/// Reads the theme file format (see `themes/README.md`):
///
///     # a comment
///     ROLE = FOREGROUND BACKGROUND [ATTRIBUTE ...]
///
/// - ROLE is a `ThemeRole` raw value (`out-of-isr`), case-insensitive, at most once per file.
/// - FOREGROUND and BACKGROUND are `ThemeColor` tokens, both required.
/// - ATTRIBUTEs are `bold`, `dim`, `underline`, `reverse`.
/// - `#` starts a comment at the start of a line or when followed by a space or the line's end;
///   elsewhere it begins a `#rrggbb` colour. Blank lines are ignored.
/// - Roles the file does not define take their look from `fallback`.
///
/// The first error stops parsing and names its line.
public enum ThemeParser {
    public static func parse(_ text: String, name: String, source: String, fallback: Theme?) throws(ThemeError) -> Theme {
        var roles: [ThemeRole: RoleStyle] = [:]
        var lineOfRole: [ThemeRole: Int] = [:]
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = stripComment(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if tokens.isEmpty { continue }
            let at = ThemeLocation(source: source, line: lineNumber)

            // `role = ...`, `role= ...`, `role =...` all read the same.
            guard let equals = line.firstIndex(of: "=") else { throw .missingEquals(at) }
            let roleName = line[..<equals].trimmingSpaces
            let values = line[line.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !roleName.isEmpty, !roleName.contains(" "), !roleName.contains("\t") else { throw .missingEquals(at) }
            guard let role = ThemeRole(rawValue: roleName.lowercased()) else { throw .unknownRole(at, roleName) }
            if let first = lineOfRole[role] { throw .duplicateRole(at, role, firstLine: first) }

            guard let foregroundToken = values.first else { throw .missingColors(at, role) }
            guard let foreground = ThemeColor(token: foregroundToken) else { throw .invalidColor(at, foregroundToken) }
            guard values.count >= 2 else { throw .missingColors(at, role) }
            guard let background = ThemeColor(token: values[1]) else {
                if attribute(named: values[1]) != nil { throw .missingBackground(at, role, found: values[1]) }
                throw .invalidColor(at, values[1])
            }
            var attributes: TextAttributes = []
            for token in values.dropFirst(2) {
                guard let attribute = attribute(named: token) else { throw .unknownAttribute(at, token) }
                attributes.insert(attribute)
            }
            roles[role] = RoleStyle(foreground: foreground, background: background, attributes: attributes)
            lineOfRole[role] = lineNumber
        }
        let defined = Set(roles.keys)
        if let fallback {
            for role in ThemeRole.allCases where roles[role] == nil { roles[role] = fallback[role] }
        }
        return Theme(name: name, roles: roles, definedRoles: defined)
    }

    static func attribute(named token: String) -> TextAttributes? {
        let t = token.lowercased()
        return TextAttributes.names.first(where: { $0.0 == t })?.1
    }

    /// The line without its comment (see the type's rules for `#`).
    static func stripComment(_ line: Substring) -> Substring {
        var previous: Character = " "
        var index = line.startIndex
        while index < line.endIndex {
            let c = line[index]
            if c == "#" && (previous == " " || previous == "\t") {
                let next = line.index(after: index)
                if next == line.endIndex || line[next] == " " || line[next] == "\t" || line[..<index].allSatisfy({ $0 == " " || $0 == "\t" }) {
                    return line[..<index]
                }
            }
            previous = c
            index = line.index(after: index)
        }
        return line
    }
}
