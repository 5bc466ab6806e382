import EddyProtocol

/// Why a client operation failed: the client's own checks, errors brokers returned (as Kafka's
/// `ErrorCode`), transport failures and timeouts. Each case names what a Kafka Java client would
/// throw in its place.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A record named a partition outside 0..<partitionCount (Kafka: "Invalid partition given
    /// with record").
    case invalidPartition(topic: String, partition: Int32, partitionCount: Int)
    /// The metadata lists no partition for the topic, so no record can be placed.
    case noPartitions(topic: String)
    /// A configuration value is missing, unknown or out of range (Kafka's ConfigException).
    case invalidConfig(key: String, value: String, reason: String)
    /// A broker answered with this error (the message, when the response carries one).
    case broker(ErrorCode, message: String?)
    /// The transport could not deliver the request or its response.
    case transport(TransportError)
    /// An operation did not complete in time (Kafka's TimeoutException): what timed out and after how long.
    case timeout(String)
    /// The client was closed (or closed while the operation waited).
    case closed(String)
    /// auto.offset.reset=none and the partition has no committed offset (NoOffsetForPartitionException).
    case noOffsetForPartition(TopicPartition)
    /// The fetch position is outside the log and auto.offset.reset=none (OffsetOutOfRangeException).
    case offsetOutOfRange(TopicPartition, offset: Int64)
    /// A commit can no longer succeed because the group rebalanced and the partitions were
    /// reassigned (CommitFailedException).
    case commitFailed(String)
    /// A call made in a state that does not allow it (IllegalStateException), e.g. `poll` with
    /// no subscription or assignment, or `seek` on an unassigned partition.
    case illegalState(String)
    /// A record is larger than `max.request.size` or `buffer.memory` (RecordTooLargeException).
    case recordTooLarge(size: Int, max: Int, setting: String)
    /// A key or value could not be serialized or deserialized.
    case serialization(String)

    /// The Kafka error code this failure carries, if it came from (or stands for) one.
    public var errorCode: ErrorCode? {
        switch self {
        case let .broker(code, _): code
        case let .transport(t): t.errorCode
        case .timeout: .requestTimedOut
        case .offsetOutOfRange: .offsetOutOfRange
        case .recordTooLarge: .messageTooLarge
        default: nil
        }
    }

    /// Whether retrying the same operation (after a metadata refresh) may succeed: retriable
    /// broker errors (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, ...) and transport failures.
    public var isRetriable: Bool {
        switch self {
        case let .broker(code, _): code.isRetriable
        case let .transport(t): t.isRetriable
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .invalidPartition(topic, partition, count):
            "invalid partition \(partition) for topic \(topic): not in the range [0...\(count))"
        case let .noPartitions(topic):
            "topic \(topic) has no partitions"
        case let .invalidConfig(key, value, reason):
            "invalid value \(value) for configuration \(key): \(reason)"
        case let .broker(code, message):
            message.map { "\(code.name): \($0)" } ?? code.name
        case let .transport(t): t.description
        case let .timeout(what): what
        case let .closed(what): what
        case let .noOffsetForPartition(tp):
            "no committed offset for partition \(tp) and auto.offset.reset is none"
        case let .offsetOutOfRange(tp, offset):
            "fetch position \(offset) is out of range for partition \(tp) and auto.offset.reset is none"
        case let .commitFailed(why): "commit failed: \(why)"
        case let .illegalState(why): why
        case let .recordTooLarge(size, max, setting):
            "the record is \(size) bytes, larger than \(setting) (\(max))"
        case let .serialization(why): why
        }
    }
}
