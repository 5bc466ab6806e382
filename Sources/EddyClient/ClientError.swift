/// Why the client refused an operation. Errors a broker returns arrive as `ErrorCode`s; these are
/// the client's own checks, made before anything is sent.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A record named a partition outside 0..<partitionCount (Kafka: "Invalid partition given
    /// with record").
    case invalidPartition(topic: String, partition: Int32, partitionCount: Int)
    /// The metadata lists no partition for the topic, so no record can be placed.
    case noPartitions(topic: String)

    public var description: String {
        switch self {
        case let .invalidPartition(topic, partition, count):
            "invalid partition \(partition) for topic \(topic): not in the range [0...\(count))"
        case let .noPartitions(topic):
            "topic \(topic) has no partitions"
        }
    }
}
