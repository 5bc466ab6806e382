import EddyProtocol
import Foundation

/// Turns a record's key or value bytes into a value (Kafka's `Deserializer`). Null keys and
/// values never reach a deserializer: `ConsumerRecord.key(_:)`/`value(_:)` return nil for them.
public protocol Deserializer: Sendable {
    associatedtype Value
    /// - Parameters:
    ///   - topic: the record's topic.
    ///   - headers: the record's headers.
    ///   - data: the bytes (a slice of the fetched bytes; its indices need not start at 0).
    func deserialize(topic: String, headers: [RecordHeader], data: ArraySlice<UInt8>) throws(ClientError) -> Value
}

/// The bytes as they are (Kafka's `ByteArrayDeserializer`).
public struct BytesDeserializer: Deserializer {
    public init() {}

    public func deserialize(topic: String, headers: [RecordHeader], data: ArraySlice<UInt8>) throws(ClientError) -> [UInt8] {
        Array(data)
    }
}

/// UTF-8 text (Kafka's `StringDeserializer`). Invalid UTF-8 is repaired with U+FFFD, as Java's
/// `new String(bytes, UTF_8)` does.
public struct StringDeserializer: Deserializer {
    public init() {}

    public func deserialize(topic: String, headers: [RecordHeader], data: ArraySlice<UInt8>) throws(ClientError) -> String {
        String(decoding: data, as: UTF8.self)
    }
}

/// A big-endian 64-bit integer (Kafka's `LongDeserializer`); any other length is an error.
public struct Int64Deserializer: Deserializer {
    public init() {}

    public func deserialize(topic: String, headers: [RecordHeader], data: ArraySlice<UInt8>) throws(ClientError) -> Int64 {
        guard data.count == 8 else {
            throw .serialization("size of data received by Int64Deserializer is not 8 (\(data.count) bytes in a record of \(topic))")
        }
        return data.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}

/// JSON decoded into `T` with Foundation's `JSONDecoder`.
public struct JSONDeserializer<T: Decodable>: Deserializer {
    public init() {}

    public func deserialize(topic: String, headers: [RecordHeader], data: ArraySlice<UInt8>) throws(ClientError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(data))
        } catch {
            throw .serialization("cannot decode \(T.self) from the JSON of a record of \(topic): \(error)")
        }
    }
}
