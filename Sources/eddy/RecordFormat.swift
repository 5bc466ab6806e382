import Foundation
import EddyProtocol

/// The output format of `eddy consume --format`, after kcat's `-f`.
///
/// Tokens: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%s` value, `%T` timestamp
/// (ms since the epoch), `%h` headers as `k=v` separated by commas (a null header value prints
/// as just `k`), `%K` key size and `%S` value size in bytes (-1 when null), `%%` a literal `%`.
/// Escapes: `\n` newline, `\t` tab, `\r` carriage return, `\\` backslash. Everything else is
/// copied as is. Null keys and values print as nothing. Keys and values are written as raw
/// bytes, exactly as stored.
struct RecordFormat: Equatable {
    enum Piece: Equatable {
        case literal([UInt8])
        case topic, partition, offset, key, value, timestamp, headers, keySize, valueSize
        /// Kafka's DefaultMessageFormatter (`--property`): the timestamp behind its type,
        /// `CreateTime:1700000000000` or `LogAppendTime:...`.
        case typedTimestamp
        /// The key or value, or `null` (the null.literal) when it is null.
        case keyOrNull([UInt8]), valueOrNull([UInt8])
        /// Headers as `k:v` joined by `separator` (a null value prints the null literal), or
        /// `NO_HEADERS`.
        case kafkaHeaders(separator: [UInt8], null: [UInt8])
    }

    /// Each value on its own line.
    static let `default` = try! RecordFormat(parsing: "%s\\n")

    let pieces: [Piece]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        func flushLiteral() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal.removeAll() }
        }
        var it = Array(text.utf8).makeIterator()
        while let c = it.next() {
            switch c {
            case UInt8(ascii: "%"):
                guard let t = it.next() else { throw ParseError(description: "--format ends with a lone '%'; write %% for a literal %") }
                let piece: Piece
                switch t {
                case UInt8(ascii: "t"): piece = .topic
                case UInt8(ascii: "p"): piece = .partition
                case UInt8(ascii: "o"): piece = .offset
                case UInt8(ascii: "k"): piece = .key
                case UInt8(ascii: "s"): piece = .value
                case UInt8(ascii: "T"): piece = .timestamp
                case UInt8(ascii: "h"): piece = .headers
                case UInt8(ascii: "K"): piece = .keySize
                case UInt8(ascii: "S"): piece = .valueSize
                case UInt8(ascii: "%"): literal.append(t); continue
                default:
                    throw ParseError(description: "unknown --format token '%\(String(decoding: [t], as: UTF8.self))' (known: %t %p %o %k %s %T %h %K %S %%)")
                }
                flushLiteral()
                pieces.append(piece)
            case UInt8(ascii: "\\"):
                guard let e = it.next() else { literal.append(c); continue }
                switch e {
                case UInt8(ascii: "n"): literal.append(10)
                case UInt8(ascii: "t"): literal.append(9)
                case UInt8(ascii: "r"): literal.append(13)
                case UInt8(ascii: "\\"): literal.append(c)
                default: literal.append(c); literal.append(e)
                }
            default:
                literal.append(c)
            }
        }
        flushLiteral()
        self.pieces = pieces
    }

    /// The properties of Kafka's DefaultMessageFormatter (`kafka-console-consumer --property`),
    /// with its defaults: print.value true; print.timestamp, print.partition, print.offset,
    /// print.headers and print.key false; key.separator a tab, line.separator a newline,
    /// headers.separator a comma, null.literal `null`. Columns come in Kafka's order
    /// (timestamp, partition, offset, headers, key, value), each followed by key.separator
    /// when another column follows, the last by line.separator. Values are taken literally
    /// (no escapes), as Kafka takes them; `true`/`false` in any case.
    static let kafkaFormatterProperties = ["print.timestamp", "print.partition", "print.offset", "print.headers", "print.key",
                                           "print.value", "key.separator", "line.separator", "headers.separator", "null.literal"]

    init(kafkaProperties values: [String: String]) throws(ToolPropertyError) {
        let properties = try ToolProperties(values, known: Self.kafkaFormatterProperties)
        let keySeparator = Array((properties["key.separator"] ?? "\t").utf8)
        let lineSeparator = Array((properties["line.separator"] ?? "\n").utf8)
        let null = Array((properties["null.literal"] ?? "null").utf8)
        var columns: [[Piece]] = []
        if try properties.flag("print.timestamp", default: false) { columns.append([.typedTimestamp]) }
        if try properties.flag("print.partition", default: false) { columns.append([.literal(Array("Partition:".utf8)), .partition]) }
        if try properties.flag("print.offset", default: false) { columns.append([.literal(Array("Offset:".utf8)), .offset]) }
        if try properties.flag("print.headers", default: false) {
            columns.append([.kafkaHeaders(separator: Array((properties["headers.separator"] ?? ",").utf8), null: null)])
        }
        if try properties.flag("print.key", default: false) { columns.append([.keyOrNull(null)]) }
        let printValue = try properties.flag("print.value", default: true)
        if printValue { columns.append([.valueOrNull(null)]) }
        // As Kafka writes it: a column is followed by key.separator when another one follows,
        // the last by line.separator; with no column at all nothing is printed.
        var pieces: [Piece] = []
        for (i, column) in columns.enumerated() {
            pieces += column
            pieces.append(.literal(i < columns.count - 1 ? keySeparator : lineSeparator))
        }
        self.pieces = pieces.filter { $0 != .literal([]) }
    }

    /// Writes one record. `timestamp` and `offset` are absolute (already resolved against the batch).
    func render(topic: [UInt8], partition: Int32, offset: Int64, timestamp: Int64, timestampType: TimestampType = .createTime,
                record: RecordView, to out: Output) throws {
        for piece in pieces {
            switch piece {
            case let .literal(bytes): out.write(bytes)
            case .topic: out.write(topic)
            case .partition: out.write(String(partition))
            case .offset: out.write(String(offset))
            case .key: if let k = record.key { out.write(k) }
            case .value: if let v = record.value { out.write(v) }
            case .timestamp: out.write(String(timestamp))
            case .keySize: out.write(String(record.key?.count ?? -1))
            case .valueSize: out.write(String(record.value?.count ?? -1))
            case .typedTimestamp: out.write((timestampType == .logAppendTime ? "LogAppendTime:" : "CreateTime:") + String(timestamp))
            case let .keyOrNull(null): if let k = record.key { out.write(k) } else { out.write(null) }
            case let .valueOrNull(null): if let v = record.value { out.write(v) } else { out.write(null) }
            case let .kafkaHeaders(separator, null):
                let headers = try record.headers()
                if headers.isEmpty { out.write("NO_HEADERS") }
                for (i, h) in headers.enumerated() {
                    if i > 0 { out.write(separator) }
                    out.write(h.key)
                    out.write(byte: UInt8(ascii: ":"))
                    if let v = h.value { out.write(v) } else { out.write(null) }
                }
            case .headers:
                for (i, h) in try record.headers().enumerated() {
                    if i > 0 { out.write(byte: UInt8(ascii: ",")) }
                    out.write(h.key)
                    if let v = h.value {
                        out.write(byte: UInt8(ascii: "="))
                        out.write(v)
                    }
                }
            }
        }
    }
}
