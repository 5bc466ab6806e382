/// Metadata (API key 3): brokers, controller, and each topic's partitions with leader, leader
/// epoch, replicas and ISR. Fields follow Kafka's `MetadataRequest.json` /
/// `MetadataResponse.json` (v12), without the authorized-operations bitfields.
public struct MetadataRequest: Sendable, Equatable {
    /// Topic names to describe; nil means every topic, empty means none (brokers only).
    public var topics: [String]?
    /// Whether the broker may create missing topics (if its `auto.create.topics.enable` allows);
    /// Kafka's default is true (admin clients send false).
    public var allowAutoTopicCreation: Bool
    /// Topics named by id only (v12+, e.g. Kafka's `Admin.describeTopics` by id): Kafka answers
    /// by id, ignoring names, when any is given, and an unknown id with UNKNOWN_TOPIC_ID, an
    /// empty name and that id. Ignored when `topics` is nil.
    public var topicIds: [KafkaUuid]

    public init(topics: [String]? = nil, allowAutoTopicCreation: Bool = true, topicIds: [KafkaUuid] = []) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.topicIds = topicIds
    }

    /// Kafka's `MetadataRequest.getErrorResponse`: `error` on every named topic (no partitions),
    /// no brokers; for an all-topics request, no topics at all. A topic named by id gets an
    /// empty name and its id.
    public func errorResponse(_ error: ErrorCode) -> MetadataResponse {
        guard let topics else { return MetadataResponse(brokers: [], topics: []) }
        return MetadataResponse(brokers: [], topics: topics.map { .init(errorCode: error, name: $0, partitions: []) }
            + topicIds.map { .init(errorCode: error, name: "", topicId: $0, partitions: []) })
    }
}

public struct MetadataResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var brokers: [MetadataResponseBroker]
    public var clusterId: String?
    /// -1 when there is no active controller.
    public var controllerId: Int32
    public var topics: [MetadataResponseTopic]

    public init(throttleTimeMs: Int32 = 0, brokers: [MetadataResponseBroker], clusterId: String? = nil,
                controllerId: Int32 = -1, topics: [MetadataResponseTopic]) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
    }

    /// A live broker: id, host, port and rack, the same fields as `NodeEndpoint`. Fenced or
    /// stopped brokers are not listed (as in KRaft), though they may still appear in partitions'
    /// `replicaNodes` and `offlineReplicas`.
    public typealias MetadataResponseBroker = NodeEndpoint

    public struct MetadataResponseTopic: Sendable, Equatable {
        /// E.g. UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE (while being created).
        public var errorCode: ErrorCode
        public var name: String
        /// Zero for unknown topics.
        public var topicId: KafkaUuid
        public var isInternal: Bool
        public var partitions: [MetadataResponsePartition]

        public init(errorCode: ErrorCode = .none, name: String, topicId: KafkaUuid = .zero, isInternal: Bool = false,
                    partitions: [MetadataResponsePartition]) {
            self.errorCode = errorCode
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
        }

        public func partition(_ index: Int32) -> MetadataResponsePartition? {
            partitions.first { $0.partitionIndex == index }
        }
    }

    public struct MetadataResponsePartition: Sendable, Equatable {
        /// LEADER_NOT_AVAILABLE when offline (leaderId -1).
        public var errorCode: ErrorCode
        public var partitionIndex: Int32
        /// -1 when the partition has no leader (offline).
        public var leaderId: Int32
        public var leaderEpoch: Int32
        /// All replicas in assignment order; the first is the preferred leader.
        public var replicaNodes: [Int32]
        public var isrNodes: [Int32]
        /// Replicas whose broker is down.
        public var offlineReplicas: [Int32]

        public init(errorCode: ErrorCode = .none, partitionIndex: Int32, leaderId: Int32, leaderEpoch: Int32 = -1,
                    replicaNodes: [Int32], isrNodes: [Int32], offlineReplicas: [Int32] = []) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }
    }

    /// The first topic named `name`, nil if none.
    public func topic(named name: String) -> MetadataResponseTopic? {
        topics.first { $0.name == name }
    }

    public func partition(topic: String, partition: Int32) -> MetadataResponsePartition? {
        self.topic(named: topic)?.partition(partition)
    }

    public func broker(id: Int32) -> MetadataResponseBroker? {
        brokers.first { $0.nodeId == id }
    }
}
