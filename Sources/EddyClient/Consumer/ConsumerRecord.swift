import EddyProtocol

/// One record returned by `Consumer.poll` (Kafka's `ConsumerRecord`): where it is (topic,
/// partition, offset), its timestamp, key, value and headers, and the leader epoch of its batch.
///
/// Zero-copy: a record points into the bytes of the Fetch response it came from, which stay
/// alive as long as any record of that response does. `keyBytes`/`valueBytes` are slices of
/// those bytes; `key`/`value` copy them into new arrays on every access. The records of one
/// partition's response share one `Buffer` (bytes and topic name), so copying a record costs
/// one reference count.
public struct ConsumerRecord: Sendable {
    public var topic: String { buffer.topic }
    public let partition: Int32
    public let offset: Int64
    /// CreateTime set by the producer, or LogAppendTime set by the broker (`timestampType`).
    public let timestamp: Int64
    public let timestampType: TimestampType
    /// The partition leader epoch of the record's batch, nil when unknown.
    public let leaderEpoch: Int32?

    /// The bytes this record's fields are ranges of, and its topic.
    let buffer: Buffer

    /// A fetched partition's bytes and topic name, shared by its records.
    final class Buffer: Sendable {
        let topic: String
        let bytes: [UInt8]

        init(topic: String, bytes: [UInt8]) {
            self.topic = topic
            self.bytes = bytes
        }
    }

    var storage: [UInt8] { buffer.bytes }
    /// Start and length of the key in `storage`; length -1 for a null key.
    let keyStart: Int32, keyLength: Int32
    let valueStart: Int32, valueLength: Int32
    /// The encoded headers (Kafka's record header format) and how many there are.
    let headersStart: Int32, headersLength: Int32, headerCount: Int32

    /// A record from a decoded batch: the ranges index `storage`, which the decoder checked.
    init(buffer: Buffer, partition: Int32, offset: Int64, timestamp: Int64, timestampType: TimestampType, leaderEpoch: Int32?,
         keyStart: Int32, keyLength: Int32, valueStart: Int32, valueLength: Int32,
         headersStart: Int32, headersLength: Int32, headerCount: Int32) {
        self.buffer = buffer
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.leaderEpoch = leaderEpoch
        self.keyStart = keyStart
        self.keyLength = keyLength
        self.valueStart = valueStart
        self.valueLength = valueLength
        self.headersStart = headersStart
        self.headersLength = headersLength
        self.headerCount = headerCount
    }

    /// A record built from values (tests, tools).
    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64, timestampType: TimestampType = .createTime,
                key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = [], leaderEpoch: Int32? = nil) {
        var w = ByteWriter(capacity: (key?.count ?? 0) + (value?.count ?? 0) + 16)
        w.writeBytes(key ?? [])
        w.writeBytes(value ?? [])
        let headersStart = w.count
        for h in headers {
            let k = Array(h.key.utf8)
            w.writeVarint(Int64(k.count))
            w.writeBytes(k)
            if let v = h.value {
                w.writeVarint(Int64(v.count))
                w.writeBytes(v)
            } else {
                w.writeVarint(-1)
            }
        }
        let keyCount = Int32(key?.count ?? 0)
        self.init(buffer: Buffer(topic: topic, bytes: w.bytes), partition: partition, offset: offset, timestamp: timestamp,
                  timestampType: timestampType, leaderEpoch: leaderEpoch, keyStart: 0, keyLength: key == nil ? -1 : keyCount,
                  valueStart: keyCount, valueLength: value.map { Int32($0.count) } ?? -1,
                  headersStart: Int32(headersStart), headersLength: Int32(w.count - headersStart), headerCount: Int32(headers.count))
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }

    /// The key without copying, nil for a null key.
    public var keyBytes: ArraySlice<UInt8>? {
        keyLength < 0 ? nil : storage[Int(keyStart) ..< Int(keyStart) + Int(keyLength)]
    }

    /// The value without copying, nil for a null value (a tombstone).
    public var valueBytes: ArraySlice<UInt8>? {
        valueLength < 0 ? nil : storage[Int(valueStart) ..< Int(valueStart) + Int(valueLength)]
    }

    /// A copy of the key, nil for a null key.
    public var key: [UInt8]? { keyBytes.map { Array($0) } }

    /// A copy of the value, nil for a null value.
    public var value: [UInt8]? { valueBytes.map { Array($0) } }

    /// Kafka's `serializedKeySize`: the key's length in bytes, -1 for a null key.
    public var serializedKeySize: Int { Int(keyLength) }

    /// Kafka's `serializedValueSize`: the value's length in bytes, -1 for a null value.
    public var serializedValueSize: Int { Int(valueLength) }

    /// The headers, decoded on each access.
    public var headers: [RecordHeader] {
        guard headerCount > 0 else { return [] }
        return withRecordView { (try? $0.headers()) ?? [] }
    }

    /// The key decoded by `deserializer`; nil for a null key.
    public func key<D: Deserializer>(_ deserializer: D) throws(ClientError) -> D.Value? {
        guard let k = keyBytes else { return nil }
        return try deserializer.deserialize(topic: topic, headers: headers, data: k)
    }

    /// The value decoded by `deserializer`; nil for a null value.
    public func value<D: Deserializer>(_ deserializer: D) throws(ClientError) -> D.Value? {
        guard let v = valueBytes else { return nil }
        return try deserializer.deserialize(topic: topic, headers: headers, data: v)
    }

    /// Calls `body` with a borrowed `RecordView` of this record (key, value and headers point
    /// into the record's bytes; valid only inside `body`). Its offset and timestamp deltas are
    /// 0: the record's `offset` and `timestamp` are already absolute.
    public func withRecordView<R>(_ body: (RecordView) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { buf in
            func range(_ start: Int32, _ length: Int32) -> UnsafeRawBufferPointer? {
                length < 0 ? nil : UnsafeRawBufferPointer(rebasing: buf[Int(start) ..< Int(start) + Int(length)])
            }
            let view = RecordView(offsetDelta: 0, timestampDelta: 0, attributes: 0, key: range(keyStart, keyLength),
                                  value: range(valueStart, valueLength), headerCount: headerCount,
                                  rawHeaders: range(headersStart, headersLength) ?? UnsafeRawBufferPointer(start: nil, count: 0))
            return try body(view)
        }
    }
}

extension ConsumerRecord: Equatable {
    /// Records are equal when every field is (not the bytes around them).
    public static func == (a: ConsumerRecord, b: ConsumerRecord) -> Bool {
        a.topic == b.topic && a.partition == b.partition && a.offset == b.offset && a.timestamp == b.timestamp
            && a.timestampType == b.timestampType && a.leaderEpoch == b.leaderEpoch && a.keyBytes == b.keyBytes
            && a.valueBytes == b.valueBytes && a.headers == b.headers
    }
}

extension ConsumerRecord: CustomStringConvertible {
    public var description: String {
        "ConsumerRecord(\(topic)-\(partition)@\(offset), timestamp \(timestamp), key \(serializedKeySize) bytes, value \(serializedValueSize) bytes)"
    }
}
