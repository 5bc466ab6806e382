import EddyProtocol

/// One record to send (Kafka's `ProducerRecord`): the topic, optionally the partition (else
/// the partitioner chooses), key, value, headers, and the timestamp (else the time of `send`,
/// in ms since the epoch). A nil value is a tombstone.
public struct ProducerRecord<Key: Sendable, Value: Sendable>: Sendable {
    public var topic: String
    public var partition: Int32?
    public var key: Key?
    public var value: Value?
    public var headers: [RecordHeader]
    public var timestamp: Int64?

    public init(topic: String, partition: Int32? = nil, key: Key? = nil, value: Value?, headers: [RecordHeader] = [],
                timestamp: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}

/// Where an acknowledged record was written (Kafka's `RecordMetadata`).
public struct RecordMetadata: Sendable, Equatable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    /// The record's offset; -1 with acks=0 (the producer is not told).
    public var offset: Int64
    /// The record's timestamp: the one it was sent with, or the broker's append time when the
    /// topic uses LogAppendTime.
    public var timestamp: Int64
    /// Bytes of the serialized key and value, -1 when null.
    public var serializedKeySize: Int
    public var serializedValueSize: Int

    public init(topicPartition: TopicPartition, offset: Int64, timestamp: Int64, serializedKeySize: Int, serializedValueSize: Int) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.timestamp = timestamp
        self.serializedKeySize = serializedKeySize
        self.serializedValueSize = serializedValueSize
    }

    public var topic: String { topicPartition.topic }
    public var partition: Int32 { topicPartition.partition }

    /// `topic-partition@offset`, as Kafka prints it.
    public var description: String { "\(topicPartition)@\(offset)" }
}

/// Called once per record with its metadata or why it failed. Runs on one of the producer's
/// tasks: keep it short, and do not call the producer's `flush` or `close` from it.
public typealias SendCompletion = @Sendable (Result<RecordMetadata, ClientError>) -> Void
