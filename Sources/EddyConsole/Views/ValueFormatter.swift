/// Renders record keys and values for the Messages view, as UTF-8 text, JSON or hex. Pure.
///
/// - UTF-8: invalid sequences become U+FFFD; on one line, control characters are escaped
///   (`\n`, `\t`, `\u{1b}`) so a record never breaks the table.
/// - JSON: pretty-printed with two-space indents, keeping the record's key order; one-line
///   renderings are compact (no spaces outside strings). Text that is not a JSON object or
///   array (or is unbalanced) is shown as UTF-8, and `isJSON` says so.
/// - hex: bytes as two hex digits separated by spaces; the detail pane adds offsets and the
///   printable ASCII, 16 bytes a line.
enum ValueFormatter {
    /// `null` for a null key or value.
    static let nullText = "null"

    static func oneLine(_ bytes: [UInt8]?, format: ValueFormat) -> String {
        guard let bytes else { return nullText }
        switch format {
        case .utf8: return escaped(String(decoding: bytes, as: UTF8.self))
        case .json:
            let text = String(decoding: bytes, as: UTF8.self)
            return compactJSON(text).map(escaped) ?? escaped(text)
        case .hex: return bytes.map(hexByte).joined(separator: " ")
        }
    }

    /// The value on several lines, each at most `width` columns (longer lines are wrapped).
    static func lines(_ bytes: [UInt8]?, format: ValueFormat, width: Int) -> [String] {
        guard let bytes else { return [nullText] }
        let raw: [String]
        switch format {
        case .utf8:
            raw = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map { escaped(String($0)) }
        case .json:
            let text = String(decoding: bytes, as: UTF8.self)
            raw = prettyJSON(text) ?? text.split(separator: "\n", omittingEmptySubsequences: false).map { escaped(String($0)) }
        case .hex:
            raw = hexDump(bytes)
        }
        return raw.flatMap { wrap($0, width: width) }
    }

    static func isJSON(_ bytes: [UInt8]?) -> Bool {
        guard let bytes else { return false }
        return prettyJSON(String(decoding: bytes, as: UTF8.self)) != nil
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    /// `00000010  7b 22 61 22 3a 31 7d ...  |{"a":1}|`
    static func hexDump(_ bytes: [UInt8]) -> [String] {
        guard !bytes.isEmpty else { return ["(empty)"] }
        var lines: [String] = []
        var offset = 0
        while offset < bytes.count {
            let chunk = bytes[offset..<min(bytes.count, offset + 16)]
            let address = String(offset, radix: 16)
            var line = String(repeating: "0", count: max(0, 8 - address.count)) + address + "  "
            line += chunk.map(hexByte).joined(separator: " ")
            line += String(repeating: " ", count: (16 - chunk.count) * 3)
            line += "  |" + String(chunk.map { $0 >= 0x20 && $0 < 0x7F ? Character(Unicode.Scalar($0)) : "." }) + "|"
            lines.append(line)
            offset += 16
        }
        return lines
    }

    /// Cuts a line into pieces of at most `width` columns.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard width > 0, DisplayWidth.of(line) > width else { return [line] }
        var pieces: [String] = []
        var current = ""
        var used = 0
        for character in line {
            let w = DisplayWidth.of(character)
            if used + w > width {
                pieces.append(current)
                current = ""
                used = 0
            }
            current.append(character)
            used += w
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// JSON without whitespace outside strings; nil when not a balanced object or array.
    static func compactJSON(_ text: String) -> String? {
        guard let tokens = jsonTokens(text) else { return nil }
        return tokens.map { $0.text == ":" ? ":" : $0.text }.joined()
    }

    /// JSON pretty-printed with two-space indents, in the record's key order; nil when the
    /// text is not a balanced JSON object or array.
    static func prettyJSON(_ text: String) -> [String]? {
        guard let tokens = jsonTokens(text) else { return nil }
        var lines: [String] = []
        var current = ""
        var depth = 0
        func indent() -> String { String(repeating: "  ", count: depth) }
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            switch token.text {
            case "{", "[":
                let closing = token.text == "{" ? "}" : "]"
                if i + 1 < tokens.count, tokens[i + 1].text == closing {
                    current += token.text + closing
                    i += 2
                    continue
                }
                current += token.text
                lines.append(current)
                depth += 1
                current = indent()
            case "}", "]":
                if !current.trimmingSpaces.isEmpty { lines.append(current) }
                depth -= 1
                current = indent() + token.text
            case ",":
                current += ","
                lines.append(current)
                current = indent()
            case ":":
                current += ": "
            default:
                current += escaped(token.text)
            }
            i += 1
        }
        if !current.trimmingSpaces.isEmpty { lines.append(current) }
        return lines
    }

    struct JSONToken {
        var text: String
    }

    /// Structural tokens, strings (with their quotes) and bare scalars; nil unless the text is
    /// one balanced object or array with nothing after it.
    static func jsonTokens(_ text: String) -> [JSONToken]? {
        let chars = Array(text.unicodeScalars)
        var tokens: [JSONToken] = []
        var stack: [Unicode.Scalar] = []
        var i = 0
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\n" || c == "\r" || c == "\t" }
        while i < chars.count, isSpace(chars[i]) { i += 1 }
        guard i < chars.count, chars[i] == "{" || chars[i] == "[" else { return nil }
        var finished = false
        while i < chars.count {
            let c = chars[i]
            if isSpace(c) { i += 1; continue }
            guard !finished else { return nil }
            switch c {
            case "{", "[":
                stack.append(c)
                tokens.append(JSONToken(text: String(c)))
                i += 1
            case "}", "]":
                guard let open = stack.popLast(), (open == "{" && c == "}") || (open == "[" && c == "]") else { return nil }
                tokens.append(JSONToken(text: String(c)))
                i += 1
                if stack.isEmpty { finished = true }
            case ",", ":":
                tokens.append(JSONToken(text: String(c)))
                i += 1
            case "\"":
                var s = String.UnicodeScalarView()
                s.append(c)
                i += 1
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    s.append(d)
                    i += 1
                    if d == "\\" {
                        if i < chars.count { s.append(chars[i]); i += 1 }
                    } else if d == "\"" {
                        closed = true
                        break
                    }
                }
                guard closed else { return nil }
                tokens.append(JSONToken(text: String(s)))
            default:
                var s = String.UnicodeScalarView()
                while i < chars.count, !isSpace(chars[i]), !",:{}[]\"".unicodeScalars.contains(chars[i]) {
                    s.append(chars[i])
                    i += 1
                }
                let word = String(s)
                guard word == "true" || word == "false" || word == "null" || Double(word) != nil else { return nil }
                tokens.append(JSONToken(text: word))
            }
        }
        return finished ? tokens : nil
    }
}
