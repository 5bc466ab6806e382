import EddyProtocol

/// What a client knows about the cluster, from its last Metadata response (Kafka's
/// `MetadataCache`/`Cluster`): brokers, the controller, and for each topic it asked about the
/// partitions with their leader, leader epoch, replicas and ISR. A value; `KafkaClient` keeps
/// the current one and replaces it on every refresh.
public struct ClusterMetadata: Sendable, Equatable {
    public var clusterId: String?
    public var controllerId: Int32
    public var brokers: [Int32: NodeEndpoint]
    public var topics: [String: TopicMetadata]
    /// Topics the last refresh reported with an error (UNKNOWN_TOPIC_OR_PARTITION, ...).
    public var topicErrors: [String: ErrorCode]

    public init(clusterId: String? = nil, controllerId: Int32 = -1, brokers: [Int32: NodeEndpoint] = [:],
                topics: [String: TopicMetadata] = [:], topicErrors: [String: ErrorCode] = [:]) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.topics = topics
        self.topicErrors = topicErrors
    }

    /// Builds the metadata from a response. Topics the response does not mention are kept from
    /// `previous` when `merge` is set (a refresh of some topics must not forget the others).
    public init(_ response: MetadataResponse, merging previous: ClusterMetadata? = nil) {
        clusterId = response.clusterId ?? previous?.clusterId
        controllerId = response.controllerId
        brokers = Dictionary(response.brokers.map { ($0.nodeId, $0) }, uniquingKeysWith: { _, b in b })
        topics = previous?.topics ?? [:]
        topicErrors = previous?.topicErrors ?? [:]
        for t in response.topics {
            if t.errorCode == .none {
                topics[t.name] = TopicMetadata(t)
                topicErrors[t.name] = nil
            } else {
                topics[t.name] = nil
                topicErrors[t.name] = t.errorCode
            }
        }
    }

    public func partitions(of topic: String) -> [PartitionMetadata]? { topics[topic]?.partitions }

    public func partition(_ tp: TopicPartition) -> PartitionMetadata? {
        guard let ps = topics[tp.topic]?.partitions, tp.partition >= 0, Int(tp.partition) < ps.count else { return nil }
        return ps[Int(tp.partition)]
    }

    /// The leader of `tp`, nil when unknown or when the partition has none (offline).
    public func leader(of tp: TopicPartition) -> Int32? {
        guard let p = partition(tp), p.leader >= 0 else { return nil }
        return p.leader
    }
}

public struct TopicMetadata: Sendable, Equatable {
    public var name: String
    public var topicId: KafkaUuid
    public var isInternal: Bool
    /// Indexed by partition id (the response lists every partition 0..<count).
    public var partitions: [PartitionMetadata]

    public init(name: String, topicId: KafkaUuid = .zero, isInternal: Bool = false, partitions: [PartitionMetadata]) {
        self.name = name
        self.topicId = topicId
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.topicPartition.partition < $1.topicPartition.partition }
    }

    init(_ t: MetadataResponse.MetadataResponseTopic) {
        self.init(name: t.name, topicId: t.topicId, isInternal: t.isInternal,
                  partitions: t.partitions.map { PartitionMetadata(topic: t.name, $0) })
    }
}

public struct PartitionMetadata: Sendable, Equatable {
    public var topicPartition: TopicPartition
    /// -1 when the partition has no leader (LEADER_NOT_AVAILABLE).
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var offlineReplicas: [Int32]
    public var error: ErrorCode

    public init(topicPartition: TopicPartition, leader: Int32, leaderEpoch: Int32, replicas: [Int32], isr: [Int32],
                offlineReplicas: [Int32] = [], error: ErrorCode = .none) {
        self.topicPartition = topicPartition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offlineReplicas = offlineReplicas
        self.error = error
    }

    init(topic: String, _ p: MetadataResponse.MetadataResponsePartition) {
        self.init(topicPartition: TopicPartition(topic, p.partitionIndex), leader: p.leaderId, leaderEpoch: p.leaderEpoch,
                  replicas: p.replicaNodes, isr: p.isrNodes, offlineReplicas: p.offlineReplicas, error: p.errorCode)
    }
}
