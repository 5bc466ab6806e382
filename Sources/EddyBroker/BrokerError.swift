import EddyProtocol
import EddyStorage

/// Every failure of the broker area: topic management, the metadata log and the `Broker`
/// facade. Each case maps to the Kafka error a broker would return on the wire
/// (`kafkaErrorName` / `kafkaErrorCode`), and `description` is the human-readable message,
/// worded like Kafka's where Kafka has one.
public enum BrokerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The topic name is illegal or collides with an existing topic (INVALID_TOPIC_EXCEPTION).
    case invalidTopic(String)
    /// A topic with that name already exists (TOPIC_ALREADY_EXISTS).
    case topicAlreadyExists(String)
    /// The partition count is not positive (INVALID_PARTITIONS).
    case invalidPartitions(String)
    /// The replication factor is not positive or exceeds the number of brokers (INVALID_REPLICATION_FACTOR).
    case invalidReplicationFactor(String)
    /// A manual replica assignment is malformed or names unusable brokers (INVALID_REPLICA_ASSIGNMENT).
    case invalidReplicaAssignment(String)
    /// A topic config key is unknown or its value invalid (INVALID_CONFIG).
    case invalidConfig(String)
    /// The request is too large to apply in one metadata batch (POLICY_VIOLATION).
    case policyViolation(String)
    /// No such topic, or no such partition of it (UNKNOWN_TOPIC_OR_PARTITION).
    case unknownTopicOrPartition(String)
    /// A metadata record names a topic ID that does not exist (UNKNOWN_TOPIC_ID).
    case unknownTopicId(String)
    /// The request is malformed in a way none of the cases above covers (INVALID_REQUEST).
    case invalidRequest(String)
    /// No broker with that ID is registered (BROKER_ID_NOT_REGISTERED).
    case brokerIdNotRegistered(String)
    /// The request carries an older leader epoch than the partition's: the sender is no
    /// longer (or not yet known as) its leader (FENCED_LEADER_EPOCH).
    case fencedLeaderEpoch(String)
    /// An AlterPartition request based on an older partition epoch (INVALID_UPDATE_VERSION).
    case invalidUpdateVersion(String)
    /// A proposed ISR names a broker that is not registered, fenced or shutting down
    /// (INELIGIBLE_REPLICA).
    case ineligibleReplica(String)
    /// The request carries epochs newer than this controller knows: it is not (or no longer)
    /// the active controller (NOT_CONTROLLER).
    case notController(String)
    /// The partition log failed; the storage error carries its own Kafka error.
    case storage(StorageError)
    /// The metadata log or a snapshot cannot be decoded or replayed (KAFKA_STORAGE_ERROR).
    case corruptMetadata(String)
    /// The data directory is not an eddy data directory this node can use (KAFKA_STORAGE_ERROR);
    /// e.g. a malformed `meta.properties` or one written for another node.
    case invalidDataDirectory(String)
    /// The broker was shut down (BROKER_NOT_AVAILABLE).
    case brokerClosed
    /// No leader can serve the partition right now: no in-sync replica is running, or the
    /// leader is unreachable (LEADER_NOT_AVAILABLE).
    case leaderNotAvailable(String)
    /// A broker answered a request with this Kafka error (NOT_ENOUGH_REPLICAS, ...).
    case response(ErrorCode, String)
    /// A failure no other case describes, e.g. an error type a dependency was not expected to
    /// throw (UNKNOWN_SERVER_ERROR).
    case unexpected(String)

    /// The Kafka error a broker returns on the wire for this failure.
    public var errorCode: ErrorCode {
        switch self {
        case .invalidTopic: .invalidTopicException
        case .topicAlreadyExists: .topicAlreadyExists
        case .invalidPartitions: .invalidPartitions
        case .invalidReplicationFactor: .invalidReplicationFactor
        case .invalidReplicaAssignment: .invalidReplicaAssignment
        case .invalidConfig: .invalidConfig
        case .policyViolation: .policyViolation
        case .unknownTopicOrPartition: .unknownTopicOrPartition
        case .unknownTopicId: .unknownTopicId
        case .invalidRequest: .invalidRequest
        case .brokerIdNotRegistered: .brokerIdNotRegistered
        case .fencedLeaderEpoch: .fencedLeaderEpoch
        case .invalidUpdateVersion: .invalidUpdateVersion
        case .ineligibleReplica: .ineligibleReplica
        case .notController: .notController
        case let .storage(e): e.errorCode
        case .corruptMetadata, .invalidDataDirectory: .kafkaStorageError
        case .brokerClosed: .brokerNotAvailable
        case .unexpected: .unknownServerError
        case .leaderNotAvailable: .leaderNotAvailable
        case let .response(code, _): code
        }
    }

    /// Kafka's error name, as in `org.apache.kafka.common.protocol.Errors`.
    public var kafkaErrorName: String { errorCode.name }

    /// Kafka's numeric error code.
    public var kafkaErrorCode: Int16 { errorCode.code }

    public var description: String {
        switch self {
        case let .invalidTopic(m), let .topicAlreadyExists(m), let .invalidPartitions(m),
             let .invalidReplicationFactor(m), let .invalidReplicaAssignment(m), let .invalidConfig(m), let .policyViolation(m),
             let .unknownTopicOrPartition(m), let .unknownTopicId(m), let .invalidRequest(m),
             let .brokerIdNotRegistered(m), let .fencedLeaderEpoch(m), let .invalidUpdateVersion(m),
             let .ineligibleReplica(m), let .notController(m),
             let .corruptMetadata(m), let .invalidDataDirectory(m), let .unexpected(m),
             let .leaderNotAvailable(m), let .response(_, m):
            m
        case let .storage(e): e.description
        case .brokerClosed: "the broker is shut down"
        }
    }
}

extension BrokerError {
    /// The error a broker's response carried.
    public init(errorCode: ErrorCode, message: String) { self = .response(errorCode, message) }

    /// Runs storage code, wrapping its errors; anything that is not a `StorageError`
    /// (storage promises none) becomes KAFKA_STORAGE_ERROR rather than escaping untyped.
    static func storage<R>(_ body: () throws -> R) throws(BrokerError) -> R {
        do { return try body() } catch let e as StorageError {
            throw .storage(e)
        } catch let e as BrokerError {
            throw e
        } catch {
            throw .unexpected("unexpected storage error: \(error)")
        }
    }
}
