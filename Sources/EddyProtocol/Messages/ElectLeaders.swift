/// ElectLeaders (API key 43): elect partitions' leaders now (`kafka-leader-election`, Kafka's
/// `Admin.electLeaders`). Fields follow Kafka's `ElectLeadersRequest.json` /
/// `ElectLeadersResponse.json` (v2); v0 has no election type (preferred) and no top-level
/// error code.
public struct ElectLeadersRequest: Sendable, Equatable {
    /// Kafka's `ElectionType`.
    public enum ElectionType: Sendable, Equatable {
        /// The first replica, if it is in the ISR and alive (0).
        case preferred
        /// For a partition without a leader: the first live replica, in the ISR or not
        /// (records the ISR had beyond it can be lost) (1).
        case unclean
        /// Any other value on the wire: the broker answers INVALID_REQUEST.
        case unknown(Int8)

        public init(rawValue: Int8) {
            switch rawValue {
            case 0: self = .preferred
            case 1: self = .unclean
            default: self = .unknown(rawValue)
            }
        }

        public var rawValue: Int8 {
            switch self {
            case .preferred: 0
            case .unclean: 1
            case let .unknown(value): value
            }
        }

        public var name: String {
            switch self {
            case .preferred: "PREFERRED"
            case .unclean: "UNCLEAN"
            case let .unknown(value): "UNKNOWN(\(value))"
            }
        }
    }

    public var electionType: ElectionType
    /// The partitions by topic; nil for every partition of the cluster.
    public var topicPartitions: [TopicPartitions]?
    public var timeoutMs: Int32

    public init(electionType: ElectionType = .preferred, topicPartitions: [TopicPartitions]?, timeoutMs: Int32 = 60000) {
        self.electionType = electionType
        self.topicPartitions = topicPartitions
        self.timeoutMs = timeoutMs
    }

    public struct TopicPartitions: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// Kafka's `ElectLeadersRequest.getErrorResponse`: `error` for every partition named (and
    /// at the top, which v1+ carry).
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> ElectLeadersResponse {
        ElectLeadersResponse(errorCode: error, replicaElectionResults: (topicPartitions ?? []).map { t in
            .init(topic: t.topic, partitionResult: t.partitions.map { .init(partitionId: $0, errorCode: error, errorMessage: message) })
        })
    }
}

public struct ElectLeadersResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var replicaElectionResults: [ReplicaElectionResult]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, replicaElectionResults: [ReplicaElectionResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.replicaElectionResults = replicaElectionResults
    }

    public struct ReplicaElectionResult: Sendable, Equatable {
        public var topic: String
        public var partitionResult: [PartitionResult]

        public init(topic: String, partitionResult: [PartitionResult]) {
            self.topic = topic
            self.partitionResult = partitionResult
        }
    }

    public struct PartitionResult: Sendable, Equatable {
        public var partitionId: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(partitionId: Int32, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.partitionId = partitionId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }
}
