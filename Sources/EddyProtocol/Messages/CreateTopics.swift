/// CreateTopics (API key 19). Fields follow Kafka's `CreateTopicsRequest.json` /
/// `CreateTopicsResponse.json` (v7).
public struct CreateTopicsRequest: Sendable, Equatable {
    public var topics: [CreatableTopic]
    /// How long to wait for the topics' leaders to be elected.
    public var timeoutMs: Int32
    /// Check only: validate and answer as if created, but create nothing.
    public var validateOnly: Bool

    public init(topics: [CreatableTopic], timeoutMs: Int32 = 60000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public struct CreatableTopic: Sendable, Equatable {
        public var name: String
        /// -1 with `assignments`, or to use the broker's `num.partitions`.
        public var numPartitions: Int32
        /// -1 with `assignments`, or to use `default.replication.factor`.
        public var replicationFactor: Int16
        /// Manual replica placement; empty for automatic assignment.
        public var assignments: [CreatableReplicaAssignment]
        public var configs: [CreatableTopicConfig]

        public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                    assignments: [CreatableReplicaAssignment] = [], configs: [CreatableTopicConfig] = []) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    public struct CreatableReplicaAssignment: Sendable, Equatable {
        public var partitionIndex: Int32
        /// Replicas in order; the first is the preferred leader.
        public var brokerIds: [Int32]

        public init(partitionIndex: Int32, brokerIds: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }
    }

    public struct CreatableTopicConfig: Sendable, Equatable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// Kafka's `CreateTopicsRequest.getErrorResponse`: `error` and `message` for every topic.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> CreateTopicsResponse {
        CreateTopicsResponse(topics: topics.map { .init(name: $0.name, errorCode: error, errorMessage: message) })
    }
}

public struct CreateTopicsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [CreatableTopicResult]

    public init(throttleTimeMs: Int32 = 0, topics: [CreatableTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct CreatableTopicResult: Sendable, Equatable {
        public var name: String
        public var topicId: KafkaUuid
        public var errorCode: ErrorCode
        public var errorMessage: String?
        /// Why `configs` is missing when it is (e.g. not authorized to describe them).
        public var topicConfigErrorCode: ErrorCode
        /// -1 on error.
        public var numPartitions: Int32
        public var replicationFactor: Int16
        /// The topic's resulting configuration, nil if not returned.
        public var configs: [CreatableTopicConfigs]?

        public init(name: String, topicId: KafkaUuid = .zero, errorCode: ErrorCode = .none, errorMessage: String? = nil,
                    topicConfigErrorCode: ErrorCode = .none, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                    configs: [CreatableTopicConfigs]? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.topicConfigErrorCode = topicConfigErrorCode
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    public struct CreatableTopicConfigs: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        /// Kafka's `ConfigSource` id (DescribeConfigs' numbering), -1 if unknown.
        public var configSource: Int8
        public var isSensitive: Bool

        public init(name: String, value: String?, readOnly: Bool = false, configSource: Int8 = -1, isSensitive: Bool = false) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
        }
    }

    /// The first result for `name`, nil if none.
    public func topic(named name: String) -> CreatableTopicResult? {
        topics.first { $0.name == name }
    }
}
