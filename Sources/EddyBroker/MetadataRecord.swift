import EddyProtocol
import EddySasl

/// One entry of the metadata log (`__cluster_metadata`), after Kafka's KRaft records
/// (KIP-500, KIP-631). The metadata image is whatever replaying these records in order
/// produces; see `MetadataImage.apply(_:)` for each record's effect and
/// `MetadataRecord+Codec.swift` for the bytes.
public enum MetadataRecord: Sendable, Hashable {
    case registerBroker(RegisterBrokerRecord)
    case brokerRegistrationChange(BrokerRegistrationChangeRecord)
    case topic(TopicRecord)
    case partition(PartitionRecord)
    case config(ConfigRecord)
    case partitionChange(PartitionChangeRecord)
    case removeTopic(RemoveTopicRecord)
    case producerIds(ProducerIdsRecord)
    case userScramCredential(UserScramCredentialRecord)
    case removeUserScramCredential(RemoveUserScramCredentialRecord)
    /// Carries no change. Used to advance the log's end offset (see `MetadataLog`).
    case noOp

    public var type: MetadataRecordType {
        switch self {
        case .registerBroker: .registerBroker
        case .brokerRegistrationChange: .brokerRegistrationChange
        case .topic: .topic
        case .partition: .partition
        case .config: .config
        case .partitionChange: .partitionChange
        case .removeTopic: .removeTopic
        case .producerIds: .producerIds
        case .userScramCredential: .userScramCredential
        case .removeUserScramCredential: .removeUserScramCredential
        case .noOp: .noOp
        }
    }
}

/// The type key of a metadata record: Kafka's `apiKey` for the same record, so a reader who
/// knows KRaft recognises them. Keys eddy does not use yet (1 UnregisterBrokerRecord, 12
/// FeatureLevelRecord, ...) stay reserved for the records of the same name.
public enum MetadataRecordType: UInt16, Sendable, CaseIterable {
    case registerBroker = 0
    case topic = 2
    case partition = 3
    case config = 4
    case partitionChange = 5
    case removeTopic = 9
    case userScramCredential = 11
    case producerIds = 15
    case brokerRegistrationChange = 17
    case noOp = 20
    case removeUserScramCredential = 22

    /// The newest field layout eddy writes (and the newest it can read) for this type.
    public var currentVersion: UInt16 { 0 }

    public var name: String {
        switch self {
        case .registerBroker: "RegisterBrokerRecord"
        case .brokerRegistrationChange: "BrokerRegistrationChangeRecord"
        case .topic: "TopicRecord"
        case .partition: "PartitionRecord"
        case .config: "ConfigRecord"
        case .partitionChange: "PartitionChangeRecord"
        case .removeTopic: "RemoveTopicRecord"
        case .producerIds: "ProducerIdsRecord"
        case .userScramCredential: "UserScramCredentialRecord"
        case .removeUserScramCredential: "RemoveUserScramCredentialRecord"
        case .noOp: "NoOpRecord"
        }
    }
}

/// A broker joins the cluster, or rejoins it as a new process (KIP-631). Replaces any earlier
/// registration of the same broker ID.
public struct RegisterBrokerRecord: Sendable, Hashable {
    public var brokerId: Int32
    /// Identifies one run of the broker process; nil when the registering side does not say.
    public var incarnationId: Uuid?
    /// A fenced broker neither leads partitions nor joins ISRs (Kafka registers brokers fenced
    /// and unfences them once they have caught up with the metadata).
    public var fenced: Bool
    /// The broker is shutting down in a controlled way: it may not lead or join ISRs.
    public var inControlledShutdown: Bool

    public init(brokerId: Int32, incarnationId: Uuid? = nil, fenced: Bool = true, inControlledShutdown: Bool = false) {
        self.brokerId = brokerId
        self.incarnationId = incarnationId
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
    }
}

/// A change of a registered broker's state. Fields left nil keep their current value.
public struct BrokerRegistrationChangeRecord: Sendable, Hashable {
    public var brokerId: Int32
    /// true: the broker is fenced (stopped, killed, or its session timed out); false: unfenced.
    public var fenced: Bool?
    /// true: the broker entered controlled shutdown; false: it left it (restarted).
    public var inControlledShutdown: Bool?

    public init(brokerId: Int32, fenced: Bool? = nil, inControlledShutdown: Bool? = nil) {
        self.brokerId = brokerId
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
    }
}

/// A topic comes into existence: `name` now refers to `topicId`. Topic IDs are never reused,
/// so a topic deleted and created again under the same name gets a new ID.
public struct TopicRecord: Sendable, Hashable {
    public var name: String
    public var topicId: Uuid

    public init(name: String, topicId: Uuid) {
        self.name = name
        self.topicId = topicId
    }
}

/// The full state of one partition: written when the partition is created, and in snapshots.
public struct PartitionRecord: Sendable, Hashable {
    public var partitionId: Int32
    public var topicId: Uuid
    /// Broker IDs holding a replica, in preference order (the first is the preferred leader).
    public var replicas: [Int32]
    /// The in-sync replicas, a subset of `replicas`.
    public var isr: [Int32]
    /// The leader's broker ID, or -1 (`PartitionRegistration.noLeader`) when offline.
    public var leader: Int32
    /// Incremented on every leader change; stamped into the batches the leader appends.
    public var leaderEpoch: Int32
    /// Incremented on every change of the partition's registration (leader, ISR, replicas).
    public var partitionEpoch: Int32

    public init(partitionId: Int32, topicId: Uuid, replicas: [Int32], isr: [Int32], leader: Int32,
                leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0) {
        self.partitionId = partitionId
        self.topicId = topicId
        self.replicas = replicas
        self.isr = isr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
    }
}

/// A change to an existing partition (leader election, ISR shrink or expand, reassignment).
/// Fields left nil / `PartitionChangeRecord.leaderUnchanged` keep their current value.
public struct PartitionChangeRecord: Sendable, Hashable {
    /// `leader` value meaning "the leader did not change" (Kafka's NO_LEADER_CHANGE).
    public static let leaderUnchanged: Int32 = -2

    public var partitionId: Int32
    public var topicId: Uuid
    /// The new ISR, or nil if it did not change.
    public var isr: [Int32]?
    /// The new leader, -1 for none, or `leaderUnchanged`.
    public var leader: Int32
    /// The new replica list, or nil if it did not change.
    public var replicas: [Int32]?

    public init(partitionId: Int32, topicId: Uuid, isr: [Int32]? = nil,
                leader: Int32 = PartitionChangeRecord.leaderUnchanged, replicas: [Int32]? = nil) {
        self.partitionId = partitionId
        self.topicId = topicId
        self.isr = isr
        self.leader = leader
        self.replicas = replicas
    }
}

/// Kafka's `ConfigResource.Type` codes (defined with the wire messages). The metadata log
/// stores configs of `.topic` and `.broker` resources only.
public typealias ConfigResourceType = EddyProtocol.ConfigResourceType

/// Sets (`value` non-nil) or removes (`value` nil) one config override of a resource.
/// Topic configs are keyed by topic name, as in Kafka.
public struct ConfigRecord: Sendable, Hashable {
    public var resourceType: ConfigResourceType
    public var resourceName: String
    public var name: String
    public var value: String?

    public init(resourceType: ConfigResourceType = .topic, resourceName: String, name: String, value: String?) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.name = name
        self.value = value
    }
}

/// A topic is deleted: its partitions and its config overrides go with it.
public struct RemoveTopicRecord: Sendable, Hashable {
    public var topicId: Uuid

    public init(topicId: Uuid) { self.topicId = topicId }
}

/// The controller handed broker `brokerId` the block of producer ids that ends just below
/// `nextProducerId` (Kafka's `ProducerIdsRecord`, KIP-730): blocks are
/// `Controller.producerIdBlockSize` ids long and never overlap, so ids are unique across the
/// cluster and across restarts. `nextProducerId` strictly increases from record to record.
/// A snapshot carries one such record with broker id and epoch -1.
public struct ProducerIdsRecord: Sendable, Hashable {
    public var brokerId: Int32
    /// The run of the broker that asked (its incarnation in eddy), -1 in snapshots.
    public var brokerEpoch: Int64
    /// The first id of the next block to hand out.
    public var nextProducerId: Int64

    public init(brokerId: Int32, brokerEpoch: Int64, nextProducerId: Int64) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
        self.nextProducerId = nextProducerId
    }
}

/// A user's SCRAM credential for one mechanism is set (KIP-554): added, or replacing the
/// previous one. Only what RFC 5802 lets a server keep: the salt, StoredKey, ServerKey and the
/// iteration count; never the password (see `ScramCredential`).
public struct UserScramCredentialRecord: Sendable, Hashable {
    public var name: String
    public var mechanism: ScramMechanism
    public var credential: ScramCredential

    public init(name: String, mechanism: ScramMechanism, credential: ScramCredential) {
        self.name = name
        self.mechanism = mechanism
        self.credential = credential
    }
}

/// A user's SCRAM credential for one mechanism is removed.
public struct RemoveUserScramCredentialRecord: Sendable, Hashable {
    public var name: String
    public var mechanism: ScramMechanism

    public init(name: String, mechanism: ScramMechanism) {
        self.name = name
        self.mechanism = mechanism
    }
}
