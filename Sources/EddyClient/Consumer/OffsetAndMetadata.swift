import EddyProtocol

/// A committed offset (Kafka's `OffsetAndMetadata`): the offset of the next record to consume,
/// the leader epoch of the last consumed record when known, and free-form metadata.
public struct OffsetAndMetadata: Sendable, Hashable, CustomStringConvertible {
    public var offset: Int64
    public var leaderEpoch: Int32?
    public var metadata: String

    public init(_ offset: Int64, leaderEpoch: Int32? = nil, metadata: String = "") {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }

    public var description: String {
        "OffsetAndMetadata(offset=\(offset), leaderEpoch=\(leaderEpoch.map(String.init) ?? "null"), metadata='\(metadata)')"
    }
}

/// The answer of `offsetsForTimes` for one partition (Kafka's `OffsetAndTimestamp`): the
/// earliest offset whose timestamp is at or after the one asked for, and that timestamp.
public struct OffsetAndTimestamp: Sendable, Hashable {
    public var offset: Int64
    public var timestamp: Int64
    public var leaderEpoch: Int32?

    public init(offset: Int64, timestamp: Int64, leaderEpoch: Int32? = nil) {
        self.offset = offset
        self.timestamp = timestamp
        self.leaderEpoch = leaderEpoch
    }
}

/// The consumer's group membership as of now (Kafka's `ConsumerGroupMetadata`).
public struct ConsumerGroupMetadata: Sendable, Hashable {
    public var groupId: String
    /// -1 when the consumer is not a member of a generation.
    public var generationId: Int32
    /// Empty before the first JoinGroup.
    public var memberId: String
    public var groupInstanceId: String?

    public init(groupId: String, generationId: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }
}
