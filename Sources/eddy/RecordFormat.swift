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

    /// Writes one record. `timestamp` and `offset` are absolute (already resolved against the batch).
    func render(topic: [UInt8], partition: Int32, offset: Int64, timestamp: Int64,
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
