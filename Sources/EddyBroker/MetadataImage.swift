import EddyProtocol
import EddySasl
import EddyStorage

/// A topic in the metadata image.
public struct TopicImage: Sendable, Hashable {
    public let name: String
    public let id: Uuid
    public internal(set) var partitions: [Int32: PartitionRegistration]

    public init(name: String, id: Uuid, partitions: [Int32: PartitionRegistration] = [:]) {
        self.name = name
        self.id = id
        self.partitions = partitions
    }

    public var partitionCount: Int { partitions.count }
    public var partitionIds: [Int32] { partitions.keys.sorted() }
    /// The replication factor of partition 0 (all partitions of a topic have the same).
    public var replicationFactor: Int { partitions[0]?.replicas.count ?? partitions.values.first?.replicas.count ?? 0 }
}

/// A broker as the controller knows it: registered by a RegisterBrokerRecord, then changed by
/// BrokerRegistrationChangeRecords (Kafka's `BrokerRegistration`).
public struct BrokerRegistration: Sendable, Hashable {
    public let id: Int32
    public var incarnationId: Uuid?
    public var fenced: Bool
    public var inControlledShutdown: Bool

    public init(id: Int32, incarnationId: Uuid? = nil, fenced: Bool, inControlledShutdown: Bool = false) {
        self.id = id
        self.incarnationId = incarnationId
        self.fenced = fenced
        self.inControlledShutdown = inControlledShutdown
    }

    public init(_ record: RegisterBrokerRecord) {
        self.init(id: record.brokerId, incarnationId: record.incarnationId, fenced: record.fenced,
                  inControlledShutdown: record.inControlledShutdown)
    }

    /// Kafka's `isActive`: neither fenced nor shutting down, so it may lead partitions, join
    /// ISRs and receive new replicas.
    public var isActive: Bool { !fenced && !inControlledShutdown }

    /// The record that recreates this registration (for snapshots).
    public var record: RegisterBrokerRecord {
        RegisterBrokerRecord(brokerId: id, incarnationId: incarnationId, fenced: fenced,
                             inControlledShutdown: inControlledShutdown)
    }
}

/// A resource that can carry config overrides.
public struct ConfigResource: Sendable, Hashable, Comparable {
    public var type: ConfigResourceType
    public var name: String

    public init(_ type: ConfigResourceType, _ name: String) {
        self.type = type
        self.name = name
    }

    public static func topic(_ name: String) -> ConfigResource { ConfigResource(.topic, name) }

    public static func < (a: ConfigResource, b: ConfigResource) -> Bool {
        (a.type.rawValue, a.name) < (b.type.rawValue, b.name)
    }
}

/// The cluster metadata at one point of the metadata log: what replaying the log's records,
/// from the beginning or from a snapshot, produces (Kafka's `MetadataImage`).
///
/// A plain value: no I/O, no clock. `apply(_:)` is strict: a record that does not fit the
/// image (a partition of an unknown topic, a second topic with the same name, ...) means the
/// log is corrupt or was written by a buggy controller, and is rejected with
/// `.corruptMetadata` rather than silently skipped.
public struct MetadataImage: Sendable, Hashable {
    /// Registered brokers by ID. Empty for a data directory written before brokers were
    /// registered (a single node): `Controller` then places replicas on its own broker list.
    public private(set) var brokers: [Int32: BrokerRegistration] = [:]
    public private(set) var topicsById: [Uuid: TopicImage] = [:]
    public private(set) var topicIdsByName: [String: Uuid] = [:]
    /// Config overrides by resource; a resource with no overrides is absent.
    public private(set) var configs: [ConfigResource: [String: String]] = [:]
    /// The first producer id of the next block the controller hands out (0 before any).
    public private(set) var nextProducerId: Int64 = 0
    /// Users' SCRAM credentials, by user and mechanism.
    public private(set) var scramCredentials: [String: [ScramMechanism: ScramCredential]] = [:]
    /// Offset of the last metadata log record applied, -1 if none.
    public internal(set) var offset: Int64 = -1

    public init() {}

    public static let empty = MetadataImage()

    public var isEmpty: Bool { brokers.isEmpty && topicsById.isEmpty && configs.isEmpty && nextProducerId == 0 && scramCredentials.isEmpty }

    /// Every registered broker ID, ascending.
    public var registeredBrokerIds: [Int32] { brokers.keys.sorted() }
    /// The registered brokers that are active (unfenced, not shutting down), ascending.
    public var activeBrokerIds: [Int32] { brokers.values.filter(\.isActive).map(\.id).sorted() }
    /// Whether `brokerId` is registered and active: it may lead and join ISRs.
    public func isActive(_ brokerId: Int32) -> Bool { brokers[brokerId]?.isActive ?? false }

    public func topic(named name: String) -> TopicImage? { topicIdsByName[name].flatMap { topicsById[$0] } }
    public func topic(id: Uuid) -> TopicImage? { topicsById[id] }
    /// Every topic name, sorted.
    public var topicNames: [String] { topicIdsByName.keys.sorted() }

    public func partition(_ tp: TopicPartition) -> PartitionRegistration? {
        topic(named: tp.topic)?.partitions[tp.partition]
    }

    /// A topic's config overrides (empty when it has none).
    public func topicConfigs(_ name: String) -> [String: String] { configs[.topic(name)] ?? [:] }

    /// The topics of `image` whose registrations (placement, leaders, ISR, IDs) or configuration
    /// differ from `before`'s, new topics included: what a broker must apply when `image`
    /// follows `before` (topics gone are those `before` has and `image` has not).
    public static func changedTopics(from before: MetadataImage, to image: MetadataImage) -> Set<String> {
        Set(image.topicIdsByName.keys.filter { name in
            before.topic(named: name) != image.topic(named: name) || before.topicConfigs(name) != image.topicConfigs(name)
        })
    }

    /// The topic's effective `LogConfig`. Overrides that no longer validate (written by another
    /// eddy version) are left out and returned in `rejected`, so a topic stays usable.
    public func logConfig(forTopic name: String) -> (config: LogConfig, rejected: [String: LogConfig.ValidationError]) {
        var config = LogConfig()
        var rejected: [String: LogConfig.ValidationError] = [:]
        for (key, value) in topicConfigs(name).sorted(by: { $0.key < $1.key }) {
            do { try config.apply([key: value]) } catch { rejected[key] = error }
        }
        return (config, rejected)
    }

    /// Applies one record (see each record type for its meaning).
    public mutating func apply(_ record: MetadataRecord) throws(BrokerError) {
        switch record {
        case let .registerBroker(r):
            guard r.brokerId >= 0 else { throw .corruptMetadata("RegisterBrokerRecord with negative broker ID \(r.brokerId)") }
            brokers[r.brokerId] = BrokerRegistration(r)
        case let .brokerRegistrationChange(r):
            guard var broker = brokers[r.brokerId] else {
                throw .corruptMetadata("BrokerRegistrationChangeRecord for unregistered broker \(r.brokerId)")
            }
            if let fenced = r.fenced { broker.fenced = fenced }
            if let shuttingDown = r.inControlledShutdown { broker.inControlledShutdown = shuttingDown }
            brokers[r.brokerId] = broker
        case let .topic(r):
            if let existing = topicIdsByName[r.name] {
                throw .corruptMetadata("TopicRecord for '\(r.name)' (\(r.topicId)): the name already belongs to topic ID \(existing)")
            }
            if let existing = topicsById[r.topicId] {
                throw .corruptMetadata("TopicRecord for '\(r.name)': topic ID \(r.topicId) already belongs to '\(existing.name)'")
            }
            guard r.topicId != .zero, r.topicId != .metadataTopicId else {
                throw .corruptMetadata("TopicRecord for '\(r.name)' uses the reserved topic ID \(r.topicId)")
            }
            topicsById[r.topicId] = TopicImage(name: r.name, id: r.topicId)
            topicIdsByName[r.name] = r.topicId
        case let .partition(r):
            guard topicsById[r.topicId] != nil else {
                throw .corruptMetadata("PartitionRecord \(r.partitionId) for unknown topic ID \(r.topicId)")
            }
            guard r.partitionId >= 0 else { throw .corruptMetadata("PartitionRecord with negative partition \(r.partitionId)") }
            let registration = PartitionRegistration(r)
            if let why = registration.invariantViolation {
                throw .corruptMetadata("PartitionRecord \(r.partitionId) of topic ID \(r.topicId): \(why)")
            }
            topicsById[r.topicId]!.partitions[r.partitionId] = registration
        case let .partitionChange(r):
            guard let current = topicsById[r.topicId]?.partitions[r.partitionId] else {
                throw .corruptMetadata("PartitionChangeRecord for unknown partition \(r.partitionId) of topic ID \(r.topicId)")
            }
            let next = current.merging(r)
            if let why = next.invariantViolation {
                throw .corruptMetadata("PartitionChangeRecord \(r.partitionId) of topic ID \(r.topicId): \(why)")
            }
            topicsById[r.topicId]!.partitions[r.partitionId] = next
        case let .config(r):
            let resource = ConfigResource(r.resourceType, r.resourceName)
            var values = configs[resource] ?? [:]
            values[r.name] = r.value
            configs[resource] = values.isEmpty ? nil : values
        case let .removeTopic(r):
            guard let topic = topicsById.removeValue(forKey: r.topicId) else {
                throw .corruptMetadata("RemoveTopicRecord for unknown topic ID \(r.topicId)")
            }
            topicIdsByName[topic.name] = nil
            configs[.topic(topic.name)] = nil
        case let .producerIds(r):
            guard r.nextProducerId > nextProducerId else {
                throw .corruptMetadata("ProducerIdsRecord with next producer ID \(r.nextProducerId), not above the current \(nextProducerId)")
            }
            nextProducerId = r.nextProducerId
        case let .userScramCredential(r):
            scramCredentials[r.name, default: [:]][r.mechanism] = r.credential
        case let .removeUserScramCredential(r):
            guard scramCredentials[r.name]?.removeValue(forKey: r.mechanism) != nil else {
                throw .corruptMetadata("RemoveUserScramCredentialRecord for '\(r.name)' \(r.mechanism), which has no credential")
            }
            if scramCredentials[r.name]?.isEmpty == true { scramCredentials[r.name] = nil }
        case .noOp:
            break
        }
        assert(invariantViolation == nil, invariantViolation ?? "")
    }

    /// Applies the record found at `offset` of the metadata log.
    public mutating func apply(_ record: MetadataRecord, offset: Int64) throws(BrokerError) {
        try apply(record)
        self.offset = offset
    }

    /// Records that rebuild this image from empty (what a snapshot holds): a RegisterBrokerRecord
    /// per broker in ID order, then per topic in name order its TopicRecord and its
    /// PartitionRecords in partition order, then every config override in resource and key
    /// order, then (once any block was handed out) one ProducerIdsRecord, then every user's SCRAM
    /// credentials in user and mechanism order. Replaying them gives an equal image (but
    /// `offset`, which the snapshot stores separately).
    public func records() -> [MetadataRecord] {
        var out: [MetadataRecord] = registeredBrokerIds.map { .registerBroker(brokers[$0]!.record) }
        for name in topicNames {
            let topic = topicsById[topicIdsByName[name]!]!
            out.append(.topic(TopicRecord(name: name, topicId: topic.id)))
            for p in topic.partitionIds {
                out.append(.partition(topic.partitions[p]!.record(topicId: topic.id, partitionId: p)))
            }
        }
        for resource in configs.keys.sorted() {
            for (key, value) in configs[resource]!.sorted(by: { $0.key < $1.key }) {
                out.append(.config(ConfigRecord(resourceType: resource.type, resourceName: resource.name, name: key, value: value)))
            }
        }
        if nextProducerId > 0 {
            out.append(.producerIds(ProducerIdsRecord(brokerId: -1, brokerEpoch: -1, nextProducerId: nextProducerId)))
        }
        for user in scramCredentials.keys.sorted() {
            for (mechanism, credential) in scramCredentials[user]!.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                out.append(.userScramCredential(UserScramCredentialRecord(name: user, mechanism: mechanism, credential: credential)))
            }
        }
        return out
    }

    /// Why the image's indexes disagree, or nil if consistent. Checked after every `apply` in
    /// debug builds; tests call it directly.
    public var invariantViolation: String? {
        guard topicsById.count == topicIdsByName.count else {
            return "\(topicsById.count) topics by ID but \(topicIdsByName.count) by name"
        }
        for (id, broker) in brokers where broker.id != id {
            return "broker \(broker.id) is filed under ID \(id)"
        }
        for (name, id) in topicIdsByName where topicsById[id]?.name != name {
            return "name '\(name)' maps to \(id), which is not that topic"
        }
        for topic in topicsById.values {
            for (p, registration) in topic.partitions {
                if let why = registration.invariantViolation { return "\(topic.name)-\(p): \(why)" }
            }
        }
        return nil
    }
}
