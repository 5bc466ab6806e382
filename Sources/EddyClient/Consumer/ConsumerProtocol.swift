import EddyProtocol

/// Kafka's embedded consumer protocol: the opaque bytes consumers exchange through the group
/// coordinator. Each member puts a subscription in its JoinGroup protocol metadata; the leader
/// reads everyone's, assigns, and sends each member an assignment through SyncGroup. The
/// coordinator stores both and DescribeGroups returns them.
///
/// Both are non-flexible Kafka messages (`ConsumerProtocolSubscription.json`,
/// `ConsumerProtocolAssignment.json`, versions 0-3) preceded by their int16 version. Strings
/// are int16 length + UTF-8 (length -1: null), arrays int32 count + elements, bytes int32
/// length + bytes (-1: null):
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
/// are only ever appended), as Kafka's `ConsumerProtocol` does.
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
        var w = ByteWriter(capacity: 64)
        let version = max(0, s.version)
        w.writeInt16(version)
        w.writeInt32(Int32(s.topics.count))
        for t in s.topics { writeString(t, &w) }
        writeBytes(s.userData, &w)
        if version >= 1 { writeTopicPartitions(s.ownedPartitions, &w) }
        if version >= 2 { w.writeInt32(s.generationId) }
        if version >= 3 { writeString(s.rackId, &w) }
        return w.bytes
    }

    public static func encode(_ a: AssignmentData) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.writeInt16(max(0, a.version))
        writeTopicPartitions(a.partitions, &w)
        writeBytes(a.userData, &w)
        return w.bytes
    }

    /// Partitions grouped by topic, topics and partitions in ascending order.
    private static func writeTopicPartitions(_ tps: [TopicPartition], _ w: inout ByteWriter) {
        var byTopic: [String: [Int32]] = [:]
        for tp in tps { byTopic[tp.topic, default: []].append(tp.partition) }
        w.writeInt32(Int32(byTopic.count))
        for topic in byTopic.keys.sorted() {
            writeString(topic, &w)
            let partitions = byTopic[topic]!.sorted()
            w.writeInt32(Int32(partitions.count))
            for p in partitions { w.writeInt32(p) }
        }
    }

    private static func writeString(_ s: String?, _ w: inout ByteWriter) {
        guard let s else { return w.writeInt16(-1) }
        let utf8 = Array(s.utf8)
        w.writeInt16(Int16(clamping: utf8.count))
        w.writeBytes(utf8.prefix(Int(Int16.max)))
    }

    private static func writeBytes(_ b: [UInt8]?, _ w: inout ByteWriter) {
        guard let b else { return w.writeInt32(-1) }
        w.writeInt32(Int32(b.count))
        w.writeBytes(b)
    }

    // MARK: Decoding

    /// Decodes a subscription. Malformed bytes are `ClientError.serialization`.
    public static func decodeSubscription(_ bytes: [UInt8]) throws(ClientError) -> SubscriptionData {
        try decoding(bytes, "subscription") { (r) throws(RecordBatchError) in
            let version = try r.readInt16()
            guard version >= 0 else { throw RecordBatchError.invalidLength(field: "subscription version", value: Int64(version)) }
            let topics = try readArray(&r) { (r) throws(RecordBatchError) in try readString(&r) ?? "" }
            let userData = try readBytes(&r)
            var s = SubscriptionData(version: version, topics: topics, userData: userData)
            if version >= 1 { s.ownedPartitions = try readTopicPartitions(&r) }
            if version >= 2 { s.generationId = try r.readInt32() }
            if version >= 3 { s.rackId = try readString(&r) }
            return s
        }
    }

    /// Decodes an assignment. Empty bytes (a member the leader gave nothing) decode as an empty
    /// assignment; otherwise malformed bytes are `ClientError.serialization`.
    public static func decodeAssignment(_ bytes: [UInt8]) throws(ClientError) -> AssignmentData {
        guard !bytes.isEmpty else { return AssignmentData(partitions: []) }
        return try decoding(bytes, "assignment") { (r) throws(RecordBatchError) in
            let version = try r.readInt16()
            guard version >= 0 else { throw RecordBatchError.invalidLength(field: "assignment version", value: Int64(version)) }
            let partitions = try readTopicPartitions(&r)
            let userData = try readBytes(&r)
            return AssignmentData(version: version, partitions: partitions, userData: userData)
        }
    }

    private static func decoding<T>(_ bytes: [UInt8], _ what: String,
                                    _ body: (inout ByteReader) throws(RecordBatchError) -> T) throws(ClientError) -> T {
        do {
            return try bytes.withBytes { (buf) throws(RecordBatchError) -> T in
                var r = ByteReader(buf)
                return try body(&r)
            }
        } catch {
            throw .serialization("malformed consumer protocol \(what) (\(bytes.count) bytes): \(error)")
        }
    }

    private static func readArray<T>(_ r: inout ByteReader, _ element: (inout ByteReader) throws(RecordBatchError) -> T) throws(RecordBatchError) -> [T] {
        let n = try r.readInt32()
        guard n >= 0 else {
            // A null array reads as empty.
            guard n == -1 else { throw .invalidLength(field: "array", value: Int64(n)) }
            return []
        }
        // Every element takes at least one byte: don't trust a huge count.
        guard Int(n) <= r.remaining else { throw .truncated(needed: Int(n), available: r.remaining) }
        var out: [T] = []
        out.reserveCapacity(Int(n))
        for _ in 0 ..< n { out.append(try element(&r)) }
        return out
    }

    private static func readString(_ r: inout ByteReader) throws(RecordBatchError) -> String? {
        let n = try r.readInt16()
        guard n >= 0 else {
            guard n == -1 else { throw .invalidLength(field: "string", value: Int64(n)) }
            return nil
        }
        return String(decoding: try r.readSlice(Int(n)), as: UTF8.self)
    }

    private static func readBytes(_ r: inout ByteReader) throws(RecordBatchError) -> [UInt8]? {
        let n = try r.readInt32()
        guard n >= 0 else {
            guard n == -1 else { throw .invalidLength(field: "bytes", value: Int64(n)) }
            return nil
        }
        return Array(try r.readSlice(Int(n)))
    }

    private static func readTopicPartitions(_ r: inout ByteReader) throws(RecordBatchError) -> [TopicPartition] {
        let topics = try readArray(&r) { (r) throws(RecordBatchError) -> [TopicPartition] in
            let topic = try readString(&r) ?? ""
            return try readArray(&r) { (r) throws(RecordBatchError) in TopicPartition(topic, try r.readInt32()) }
        }
        return topics.flatMap { $0 }
    }
}
