/// Kafka's configuration files (`server.properties`, a client's `--command-config` file) are
/// Java `.properties` files. This reads the part of that format such files use:
/// - one `key=value`, `key: value` or `key value` per line (lines end in `\n`, `\r\n` or
///   `\r`), around which spaces are dropped;
/// - blank lines, and comments starting with `#` or `!`;
/// - a line ending in an odd number of backslashes continues on the next line (the next
///   line's leading spaces dropped);
/// - the escapes `\t`, `\n`, `\r`, `\f`, `\uXXXX`, and a backslash before any other character
///   (which stands for that character: `\=`, `\:`, `\\`, `\ `).
///
/// A later line for the same key replaces an earlier one, as in Java. Each entry keeps the
/// number of the line it starts on, for error messages.
public struct JavaProperties: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        /// 1-based.
        public var line: Int
    }

    /// In file order, one per key (the last one given).
    public private(set) var entries: [Entry] = []

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public subscript(key: String) -> String? { entries.first { $0.key == key }?.value }

    public var dictionary: [String: String] {
        Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// Parses `text`. Fails only on a malformed `\u` escape.
    public static func parse(_ text: String) throws(ParseError) -> JavaProperties {
        var entries: [Entry] = []
        // Lines end in \n, \r\n (one Character in Swift) or \r, as in Java.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }.map(String.init)
        var i = 0
        while i < lines.count {
            let first = i + 1
            var logical = Substring(lines[i]).drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
            i += 1
            if logical.isEmpty || logical.hasPrefix("#") || logical.hasPrefix("!") { continue }
            var text = String(logical)
            while Self.endsWithContinuation(text), i < lines.count {
                text.removeLast()
                logical = Substring(lines[i]).drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
                text += logical
                i += 1
            }
            if Self.endsWithContinuation(text) { text.removeLast() }
            let (rawKey, rawValue) = Self.split(text)
            let key = try unescape(rawKey, line: first)
            let value = try unescape(rawValue, line: first)
            entries.removeAll { $0.key == key }
            entries.append(Entry(key: key, value: value, line: first))
        }
        return JavaProperties(entries: entries)
    }

    private static func endsWithContinuation(_ s: String) -> Bool {
        var count = 0
        for c in s.reversed() {
            guard c == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }

    /// The key ends at the first unescaped `=`, `:` or whitespace; the value starts after it
    /// (and any spaces, and one `=` or `:` after spaces).
    private static func split(_ line: String) -> (Substring, Substring) {
        let chars = Array(line)
        var k = 0
        while k < chars.count {
            let c = chars[k]
            if c == "\\" { k += 2; continue }
            if c == "=" || c == ":" || c == " " || c == "\t" || c == "\u{0C}" { break }
            k += 1
        }
        k = min(k, chars.count)
        var v = k
        while v < chars.count, chars[v] == " " || chars[v] == "\t" || chars[v] == "\u{0C}" { v += 1 }
        if v < chars.count, chars[v] == "=" || chars[v] == ":" {
            v += 1
            while v < chars.count, chars[v] == " " || chars[v] == "\t" || chars[v] == "\u{0C}" { v += 1 }
        }
        let s = Substring(line)
        let keyEnd = s.index(s.startIndex, offsetBy: k), valueStart = s.index(s.startIndex, offsetBy: v)
        // Java keeps a value's trailing spaces; Kafka trims values when it reads them.
        var value = s[valueStart...]
        while let last = value.last, last == " " || last == "\t", !value.hasSuffix("\\ ") { value = value.dropLast() }
        return (s[..<keyEnd], value)
    }

    private static func unescape(_ s: Substring, line: Int) throws(ParseError) -> String {
        guard s.contains("\\") else { return String(s) }
        var out = ""
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == "\\" else { out.append(c); continue }
            guard let e = it.next() else { break }
            switch e {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                var hex = ""
                for _ in 0 ..< 4 { if let h = it.next() { hex.append(h) } }
                guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                    // The value is not shown: it may be a password.
                    throw ParseError(line: line, reason: "malformed \\u escape")
                }
                out.unicodeScalars.append(scalar)
            default: out.append(e)
            }
        }
        return out
    }
}
