import EddyStorage

/// One topic as `eddy topics describe` shows it.
public struct TopicDescription: Sendable, Equatable {
    public var name: String
    public var topicId: Uuid
    public var replicationFactor: Int
    /// Config overrides only (defaults are implied; see `LogConfig.effectiveValues`).
    public var configs: [String: String]
    /// In partition order.
    public var partitions: [PartitionDescription]

    public var partitionCount: Int { partitions.count }
}

/// One partition: its registration in the metadata image and the state of this broker's log.
public struct PartitionDescription: Sendable, Equatable {
    public var partition: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    /// The local log's bounds and size; -1 (0 for counts) when this broker holds no replica.
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    public var highWatermark: Int64
    public var segmentCount: Int
    public var sizeInBytes: Int64
}

/// Which offset ListOffsets asks for.
public enum OffsetSpec: Sendable, Equatable {
    /// The log start offset (Kafka's EARLIEST_TIMESTAMP, -2).
    case earliest
    /// The high watermark: the offset the next consumed record will get (LATEST_TIMESTAMP, -1).
    case latest
    /// The first offset whose record timestamp is ≥ this many ms since the epoch.
    case timestamp(Int64)
}

/// A ListOffsets answer. For `.timestamp` with no record at or after it, Kafka's
/// "unknown": offset -1 and timestamp -1.
public struct ListedOffset: Sendable, Equatable {
    public var offset: Int64
    /// The record's timestamp for `.timestamp`, -1 for `.earliest` / `.latest`.
    public var timestamp: Int64

    public init(offset: Int64, timestamp: Int64) {
        self.offset = offset
        self.timestamp = timestamp
    }

    public static let unknown = ListedOffset(offset: -1, timestamp: -1)
}

/// The result of creating a topic.
public struct CreatedTopic: Sendable, Equatable {
    public var name: String
    public var topicId: Uuid
    public var partitions: Int32
    public var replicationFactor: Int16
    public var configs: [String: String]
}
