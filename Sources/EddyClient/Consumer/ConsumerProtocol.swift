import EddyProtocol

/// Kafka's embedded consumer protocol: the opaque bytes consumers exchange through the group
/// coordinator. Each member puts a subscription in its JoinGroup protocol metadata; the leader
/// reads everyone's, assigns, and sends each member an assignment through SyncGroup. The
/// coordinator stores both and DescribeGroups returns them.
///
/// Both are Kafka's non-flexible data schemas `ConsumerProtocolSubscription.json` and
/// `ConsumerProtocolAssignment.json` (versions 0-3), encoded by the generated
/// `Wire.ConsumerProtocolSubscription` and `Wire.ConsumerProtocolAssignment` and preceded by
/// their int16 version. Strings are int16 length + UTF-8 (length -1: null), arrays int32 count +
/// elements, bytes int32 length + bytes (-1: null):
///
///     Subscription:  version int16
///                    topics [string]
///                    userData bytes (nullable)
///                    v1+ ownedPartitions [topic string, partitions [int32]]
///                    v2+ generationId int32 (-1: unknown)
///                    v3+ rackId string (nullable)
///     Assignment:    version int16
///                    assignedPartitions [topic string, partitions [int32]]
///                    userData bytes (nullable)
///
/// A reader accepts newer versions than it knows by reading the fields it knows (new fields
/// are only ever appended), as Kafka's `ConsumerProtocol` does. Strings longer than an int16
/// length allows are cut to fit when written.
public enum ConsumerProtocol {
    /// The JoinGroup `protocolType` of consumer groups.
    public static let protocolType = "consumer"
    /// The version eddy writes.
    public static let latestVersion: Int16 = 3

    /// A member's subscription, as it travels in JoinGroup metadata.
    public struct SubscriptionData: Sendable, Equatable {
        public var version: Int16
        public var topics: [String]
        public var userData: [UInt8]?
        public var ownedPartitions: [TopicPartition]
        /// -1 when unknown.
        public var generationId: Int32
        public var rackId: String?

        public init(version: Int16 = ConsumerProtocol.latestVersion, topics: [String], userData: [UInt8]? = nil,
                    ownedPartitions: [TopicPartition] = [], generationId: Int32 = -1, rackId: String? = nil) {
            self.version = version
            self.topics = topics
            self.userData = userData
            self.ownedPartitions = ownedPartitions
            self.generationId = generationId
            self.rackId = rackId
        }

        /// The assignors' view of it, for the member with `groupInstanceId`.
        public func subscription(groupInstanceId: String?) -> Subscription {
            Subscription(topics: topics, ownedPartitions: ownedPartitions,
                         generationId: generationId < 0 ? nil : generationId, groupInstanceId: groupInstanceId)
        }
    }

    /// A member's assignment, as it travels in SyncGroup.
    public struct AssignmentData: Sendable, Equatable {
        public var version: Int16
        public var partitions: [TopicPartition]
        public var userData: [UInt8]?

        public init(version: Int16 = ConsumerProtocol.latestVersion, partitions: [TopicPartition], userData: [UInt8]? = nil) {
            self.version = version
            self.partitions = partitions
            self.userData = userData
        }
    }

    // MARK: Encoding

    public static func encode(_ s: SubscriptionData) -> [UInt8] {
        let data = Wire.ConsumerProtocolSubscription(
            topics: s.topics.map(\.fittingClassicWireString), userData: s.userData,
            ownedPartitions: byTopic(s.ownedPartitions, Wire.ConsumerProtocolSubscription.TopicPartition.init), generationId: s.generationId,
            rackId: s.rackId?.fittingClassicWireString)
        return encode(data, version: s.version)
    }

    public static func encode(_ a: AssignmentData) -> [UInt8] {
        let partitions = byTopic(a.partitions, Wire.ConsumerProtocolAssignment.TopicPartition.init)
        return encode(Wire.ConsumerProtocolAssignment(assignedPartitions: partitions, userData: a.userData), version: a.version)
    }

    /// `version` (negative ones as 0) and the data; a version newer than the schema's carries
    /// the newest layout, as Kafka's readers expect.
    private static func encode(_ data: some WireMessage, version: Int16) -> [UInt8] {
        do {
            return try data.versionPrefixedBytes(version: max(0, version))
        } catch {
            // Strings are cut to fit and every field that a version lacks is ignorable: only
            // user data beyond 2 GiB could get here.
            preconditionFailure("consumer protocol data cannot be encoded: \(error)")
        }
    }

    /// Partitions grouped by topic, topics and partitions in ascending order.
    private static func byTopic<T>(_ tps: [TopicPartition], _ make: (String, [Int32]) -> T) -> [T] {
        Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
            make(topic.fittingClassicWireString, tps.map(\.partition).sorted())
        }
    }

    private static func flattened(_ topics: [(topic: String, partitions: [Int32])]) -> [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } }
    }

    // MARK: Decoding

    /// Decodes a subscription. Malformed bytes are `ClientError.serialization`.
    public static func decodeSubscription(_ bytes: [UInt8]) throws(ClientError) -> SubscriptionData {
        let (version, s) = try decode(Wire.ConsumerProtocolSubscription.self, bytes, "subscription")
        return SubscriptionData(version: version, topics: s.topics, userData: s.userData,
                                ownedPartitions: flattened(s.ownedPartitions.map { ($0.topic, $0.partitions) }),
                                generationId: s.generationId, rackId: s.rackId)
    }

    /// Decodes an assignment. Empty bytes (a member the leader gave nothing) decode as an empty
    /// assignment; otherwise malformed bytes are `ClientError.serialization`.
    public static func decodeAssignment(_ bytes: [UInt8]) throws(ClientError) -> AssignmentData {
        guard !bytes.isEmpty else { return AssignmentData(partitions: []) }
        let (version, a) = try decode(Wire.ConsumerProtocolAssignment.self, bytes, "assignment")
        return AssignmentData(version: version,
                              partitions: flattened(a.assignedPartitions.map { ($0.topic, $0.partitions) }),
                              userData: a.userData)
    }

    /// The version prefix and the data after it, read as far as the known fields go.
    private static func decode<M: WireMessage>(_: M.Type, _ bytes: [UInt8], _ what: String) throws(ClientError) -> (Int16, M) {
        do {
            let version = try Wire.versionPrefix(of: bytes)
            guard version >= 0 else { throw ProtocolError.invalidLength(field: "\(what) version", value: Int64(version)) }
            return (version, try M(versionPrefixed: bytes, version: version))
        } catch {
            throw .serialization("malformed consumer protocol \(what) (\(bytes.count) bytes): \(error)")
        }
    }
}
