import Foundation

/// Turns a key or value into the bytes stored in a record (Kafka's `Serializer`). A nil key or
/// value is never passed: it is stored as null.
public protocol Serializer<Input>: Sendable {
    associatedtype Input
    func serialize(_ value: Input, topic: String) throws(ClientError) -> [UInt8]
}

/// Bytes as they are (Kafka's `ByteArraySerializer`).
public struct BytesSerializer: Serializer {
    public init() {}
    @inlinable public func serialize(_ value: [UInt8], topic: String) -> [UInt8] { value }
}

/// A string as UTF-8 (Kafka's `StringSerializer`).
public struct StringSerializer: Serializer {
    public init() {}
    public func serialize(_ value: String, topic: String) -> [UInt8] { Array(value.utf8) }
}

/// Any `Encodable` value as JSON with sorted keys, so equal values give equal bytes (the same
/// key always lands in the same partition).
public struct JSONSerializer<T: Encodable>: Serializer {
    public init() {}

    public func serialize(_ value: T, topic: String) throws(ClientError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw .serialization("cannot serialize \(T.self) as JSON for topic \(topic): \(error)")
        }
    }
}
