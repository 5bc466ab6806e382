import EddyClient
import EddyProtocol

/// How `eddy produce` splits an input line into a record: eddy's `--key-separator`, or the
/// properties of Kafka's LineMessageReader that kafka-console-producer takes with `--property`.
///
/// A line is `[headers<headers.delimiter>][key<key.separator>]value`, where headers are
/// `k<headers.key.separator>v` pairs joined by `headers.separator`. Each part is cut at the
/// first occurrence of its delimiter after the part before it. A key, value or header value
/// equal to `null.marker` is null (a header key may not be). A line without a delimiter it
/// needs fails with Kafka's message unless `ignore.error` is set: then the part is absent (a
/// null key, no headers) and the rest of the line is the value. Delimiters are matched as
/// bytes, literally, except `headers.separator`, which is a regular expression as in Kafka
/// (`[,;]` splits at either), and splits as Java's `Pattern.split` does: empty pairs at the
/// end are dropped (`a:1,b:2,` is two headers), others kept.
struct LineFormat: Equatable {
    /// parse.key: the key separator.
    var keySeparator: [UInt8]?
    /// parse.headers: what ends the headers.
    var headersDelimiter: [UInt8]?
    var headersSeparator: [UInt8] = Array(",".utf8)
    /// `headersSeparator` as a regular expression, when it is not a plain string.
    var headersSeparatorPattern: HeadersSeparatorPattern?
    var headersKeySeparator: [UInt8] = Array(":".utf8)
    var nullMarker: [UInt8]?
    /// ignore.error: a missing delimiter leaves that part out instead of failing.
    var ignoreError = false

    /// `--key-separator SEP`: the key before the first SEP; a line without it has a null key.
    static func keySeparated(by separator: [UInt8]?) -> LineFormat {
        LineFormat(keySeparator: separator, ignoreError: true)
    }

    static let kafkaProperties = ["parse.key", "key.separator", "parse.headers", "headers.delimiter", "headers.separator",
                                  "headers.key.separator", "null.marker", "ignore.error"]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// kafka-console-producer's `--property` settings, with LineMessageReader's defaults:
    /// parse.key and parse.headers false, key.separator and headers.delimiter a tab,
    /// headers.separator a comma, headers.key.separator a colon, no null.marker, ignore.error
    /// false. Values are taken literally; flags are true or false in any case.
    init(kafkaProperties values: [String: String]) throws(ToolPropertyError) {
        let properties = try ToolProperties(values, known: Self.kafkaProperties)
        func bytes(_ name: String, _ defaultValue: String) throws(ToolPropertyError) -> [UInt8] {
            let value = Array((properties[name] ?? defaultValue).utf8)
            guard !value.isEmpty else { throw ToolPropertyError(description: "--property \(name) must not be empty") }
            return value
        }
        if try properties.flag("parse.key", default: false) { keySeparator = try bytes("key.separator", "\t") }
        if try properties.flag("parse.headers", default: false) { headersDelimiter = try bytes("headers.delimiter", "\t") }
        headersSeparator = try bytes("headers.separator", ",")
        headersSeparatorPattern = try HeadersSeparatorPattern(String(decoding: headersSeparator, as: UTF8.self))
        headersKeySeparator = try bytes("headers.key.separator", ":")
        nullMarker = properties["null.marker"].map { Array($0.utf8) }
        if let nullMarker, nullMarker.isEmpty { throw ToolPropertyError(description: "--property null.marker must not be empty") }
        ignoreError = try properties.flag("ignore.error", default: false)
        // As LineMessageReader checks them: a null marker equal to a delimiter could not be told
        // apart from it, nor could the headers' own delimiters from each other.
        var delimiters = [("key.separator", keySeparator)]
        if headersDelimiter != nil {
            delimiters += [("headers.delimiter", headersDelimiter), ("headers.separator", headersSeparator),
                           ("headers.key.separator", headersKeySeparator)]
            for (a, b) in [(1, 2), (1, 3), (2, 3)] where delimiters[a].1 == delimiters[b].1 {
                throw ToolPropertyError(description: "--property \(delimiters[a].0) and \(delimiters[b].0) must differ")
            }
        }
        if let nullMarker {
            for (name, delimiter) in delimiters where delimiter == nullMarker {
                throw ToolPropertyError(description: "--property null.marker and \(name) must differ")
            }
        }
    }

    init(keySeparator: [UInt8]? = nil, headersDelimiter: [UInt8]? = nil, ignoreError: Bool = false) {
        self.keySeparator = keySeparator
        self.headersDelimiter = headersDelimiter
        self.ignoreError = ignoreError
    }

    /// One line's parts, as slices of `line`.
    struct Parts {
        var key: UnsafeRawBufferPointer?
        var value: UnsafeRawBufferPointer?
        var headers: [RecordHeader] = []
    }

    /// Splits `line` (line `number` of the input, for messages).
    func parse(_ line: UnsafeRawBufferPointer, number: Int) throws(ParseError) -> Parts {
        var rest = line
        var parts = Parts()
        func cut(_ delimiter: [UInt8], _ name: String) throws(ParseError) -> UnsafeRawBufferPointer? {
            guard let at = LineProducer.find(delimiter, in: rest) else {
                if ignoreError { return nil }
                throw ParseError(description: "no \(name) found on line \(number): '\(String(decoding: line, as: UTF8.self))' "
                    + "(the lines before it were sent; --property ignore.error=true sends such a line without that part)")
            }
            let part = UnsafeRawBufferPointer(rebasing: rest[..<at])
            rest = UnsafeRawBufferPointer(rebasing: rest[(at + delimiter.count)...])
            return part
        }
        if let headersDelimiter, let text = try cut(headersDelimiter, "headers delimiter"), !isNull(text) {
            parts.headers = try headers(text, number: number)
        }
        if let keySeparator, let key = try cut(keySeparator, "key separator") {
            parts.key = isNull(key) ? nil : key
        }
        parts.value = isNull(rest) ? nil : rest
        return parts
    }

    private func isNull(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let nullMarker else { return false }
        return bytes.elementsEqual(nullMarker)
    }

    /// Splits the header text between separators as Java's `Pattern.split`: empty pairs at the
    /// end dropped (all of them when every pair is empty), a text without a separator one pair
    /// (even empty).
    private func headers(_ text: UnsafeRawBufferPointer, number: Int) throws(ParseError) -> [RecordHeader] {
        guard let headersSeparatorPattern else {
            var pieces: [Range<Int>] = [], start = 0
            while let end = LineProducer.find(headersSeparator, in: UnsafeRawBufferPointer(rebasing: text[start...])) {
                pieces.append(start ..< start + end)
                start += end + headersSeparator.count
            }
            pieces.append(start ..< text.count)
            return try headers(in: text, pieces: pieces, number: number)
        }
        // A pattern is matched in text, as Kafka reads the line: UTF-8, an invalid byte U+FFFD.
        let string = String(decoding: text, as: UTF8.self)
        let pieces = headersSeparatorPattern.pieces(of: string)
        return try Array(string.utf8).withUnsafeBytes { decoded in
            Result { () throws(ParseError) -> [RecordHeader] in try headers(in: decoded, pieces: pieces, number: number) }
        }.get()
    }

    private func headers(in text: UnsafeRawBufferPointer, pieces: [Range<Int>], number: Int) throws(ParseError) -> [RecordHeader] {
        var pieces = pieces
        if pieces.count > 1 {
            while pieces.last?.isEmpty == true { pieces.removeLast() }
        }
        var out: [RecordHeader] = []
        for range in pieces {
            let pair = UnsafeRawBufferPointer(rebasing: text[range])
            if let at = LineProducer.find(headersKeySeparator, in: pair) {
                let key = UnsafeRawBufferPointer(rebasing: pair[..<at])
                let value = UnsafeRawBufferPointer(rebasing: pair[(at + headersKeySeparator.count)...])
                if isNull(key) {
                    throw ParseError(description: "header keys may not be the null marker (line \(number))")
                }
                out.append(RecordHeader(key: String(decoding: key, as: UTF8.self), value: isNull(value) ? nil : Array(value)))
            } else if ignoreError {
                out.append(RecordHeader(key: String(decoding: pair, as: UTF8.self), value: nil))
            } else {
                throw ParseError(description: "no header key separator found in pair '\(String(decoding: pair, as: UTF8.self))' on line \(number)")
            }
        }
        return out
    }
}

/// `headers.separator` when it is a regular expression (it has one of `\^$.|?*+()[]{}`), as
/// Kafka's LineMessageReader compiles it; nil for a plain string, matched as bytes.
final class HeadersSeparatorPattern: Equatable {
    let pattern: String
    private let regex: Regex<Substring>

    init?(_ pattern: String) throws(ToolPropertyError) {
        guard pattern.contains(where: { "\\^$.|?*+()[]{}".contains($0) }) else { return nil }
        do { regex = try Regex(pattern, as: Substring.self) } catch {
            throw ToolPropertyError(description: "--property headers.separator: '\(pattern)' is not a valid regular expression")
        }
        self.pattern = pattern
    }

    /// The UTF-8 byte ranges of `string` between the separator's matches (before
    /// `LineFormat.headers` drops the empty ones at the end). A zero-width match at the start
    /// splits nothing, as in Java.
    func pieces(of string: String) -> [Range<Int>] {
        let utf8 = string.utf8
        func offset(_ i: String.Index) -> Int { utf8.distance(from: utf8.startIndex, to: i) }
        var out: [Range<Int>] = []
        var start = 0
        for match in string.matches(of: regex) {
            let lower = offset(match.range.lowerBound), upper = offset(match.range.upperBound)
            if lower == upper, lower == 0 || lower == utf8.count { continue }
            out.append(start ..< lower)
            start = upper
        }
        out.append(start ..< utf8.count)
        return out
    }

    static func == (a: HeadersSeparatorPattern, b: HeadersSeparatorPattern) -> Bool { a.pattern == b.pattern }
}
