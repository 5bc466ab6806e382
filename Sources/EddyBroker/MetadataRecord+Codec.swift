import EddyProtocol

/// The bytes of one metadata record: the value of one Record in a RecordBatch v2 of the
/// metadata log or of a snapshot (the record key is null). The framing follows Kafka's
/// `MetadataRecordSerde`:
///
///     frameVersion  uvarint   always 1
///     type          uvarint   `MetadataRecordType` (Kafka's apiKey)
///     version       uvarint   field layout version of that type (all are 0 today)
///     fields        …         per type, below
///     taggedFields  uvarint n, then n × (tag uvarint, size uvarint, size bytes)
///
/// Field encodings (Kafka's "flexible version" primitives):
///
///     int8/int32/int64  big-endian, fixed width
///     bool          int8, 0 (false) or 1 (true); any other value is rejected
///     change        int8 for an optional bool: 0 no change, 1 true, -1 false (Kafka's
///                   BrokerRegistrationFencingChange: 1 FENCE, 0 NONE, -1 UNFENCE)
///     uuid          16 bytes, most significant first; all zero for an absent nullable uuid
///     string        uvarint (length + 1), then UTF-8 bytes; nullable strings use 0 for null
///     [int32]       uvarint (count + 1), then count × int32; nullable arrays use 0 for null
///
/// Fields per type, version 0:
///
///     RegisterBrokerRecord (0)   brokerId int32, incarnationId nullable uuid, fenced bool,
///                                inControlledShutdown bool
///     TopicRecord (2)            name string, topicId uuid
///     PartitionRecord (3)        partitionId int32, topicId uuid, replicas [int32], isr [int32],
///                                leader int32, leaderEpoch int32, partitionEpoch int32
///     ConfigRecord (4)           resourceType int8, resourceName string, name string,
///                                value nullable string (null removes the override)
///     PartitionChangeRecord (5)  partitionId int32, topicId uuid, isr nullable [int32],
///                                leader int32 (-2 unchanged), replicas nullable [int32]
///     RemoveTopicRecord (9)      topicId uuid
///     ProducerIdsRecord (15)     brokerId int32, brokerEpoch int64, nextProducerId int64
///     BrokerRegistrationChangeRecord (17)
///                                brokerId int32, fenced change, inControlledShutdown change
///     NoOpRecord (20)            no fields
///
/// Compatibility: a new optional field is added as a tagged field (older readers skip tags
/// they do not know); any other layout change bumps the type's version, and a reader rejects
/// versions newer than it knows rather than misreading them. eddy writes no tags yet.
extension MetadataRecord {
    public static let frameVersion: UInt64 = 1

    /// The record's bytes (see the layout above).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.writeUnsignedVarint(MetadataRecord.frameVersion)
        w.writeUnsignedVarint(UInt64(type.rawValue))
        w.writeUnsignedVarint(UInt64(type.currentVersion))
        switch self {
        case let .registerBroker(r):
            w.writeInt32(r.brokerId)
            w.writeUuid(r.incarnationId ?? .zero)
            w.writeBool(r.fenced)
            w.writeBool(r.inControlledShutdown)
        case let .brokerRegistrationChange(r):
            w.writeInt32(r.brokerId)
            w.writeChange(r.fenced)
            w.writeChange(r.inControlledShutdown)
        case let .topic(r):
            w.writeCompactString(r.name)
            w.writeUuid(r.topicId)
        case let .partition(r):
            w.writeInt32(r.partitionId)
            w.writeUuid(r.topicId)
            w.writeCompactInt32Array(r.replicas)
            w.writeCompactInt32Array(r.isr)
            w.writeInt32(r.leader)
            w.writeInt32(r.leaderEpoch)
            w.writeInt32(r.partitionEpoch)
        case let .config(r):
            w.writeInt8(r.resourceType.rawValue)
            w.writeCompactString(r.resourceName)
            w.writeCompactString(r.name)
            w.writeCompactString(r.value)
        case let .partitionChange(r):
            w.writeInt32(r.partitionId)
            w.writeUuid(r.topicId)
            w.writeCompactInt32Array(r.isr)
            w.writeInt32(r.leader)
            w.writeCompactInt32Array(r.replicas)
        case let .removeTopic(r):
            w.writeUuid(r.topicId)
        case let .producerIds(r):
            w.writeInt32(r.brokerId)
            w.writeInt64(r.brokerEpoch)
            w.writeInt64(r.nextProducerId)
        case .noOp:
            break
        }
        w.writeUnsignedVarint(0)  // no tagged fields
        return w.take()
    }

    /// Decodes exactly one record occupying all of `bytes`.
    /// - Throws: `.corruptMetadata` for a bad frame, an unknown type or version, a field
    ///   that runs past the end, invalid UTF-8, or trailing bytes.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(BrokerError) {
        var r = MetadataFieldReader(ByteReader(bytes))
        let frame = try r.uvarint("frame version")
        guard frame == MetadataRecord.frameVersion else { throw r.fail("unsupported frame version \(frame)") }
        let rawType = try r.uvarint("record type")
        guard rawType <= UInt64(UInt16.max), let type = MetadataRecordType(rawValue: UInt16(rawType)) else {
            throw r.fail("unknown metadata record type \(rawType)")
        }
        let version = try r.uvarint("record version")
        guard version <= UInt64(type.currentVersion) else {
            throw r.fail("\(type.name) version \(version) is newer than the newest eddy knows (\(type.currentVersion))")
        }
        switch type {
        case .registerBroker:
            let brokerId = try r.int32("brokerId")
            let incarnation = try r.uuid("incarnationId")
            self = .registerBroker(RegisterBrokerRecord(
                brokerId: brokerId, incarnationId: incarnation == .zero ? nil : incarnation,
                fenced: try r.bool("fenced"), inControlledShutdown: try r.bool("inControlledShutdown")))
        case .brokerRegistrationChange:
            self = .brokerRegistrationChange(BrokerRegistrationChangeRecord(
                brokerId: try r.int32("brokerId"), fenced: try r.change("fenced"),
                inControlledShutdown: try r.change("inControlledShutdown")))
        case .topic:
            self = .topic(TopicRecord(name: try r.string("name"), topicId: try r.uuid("topicId")))
        case .partition:
            self = .partition(PartitionRecord(
                partitionId: try r.int32("partitionId"), topicId: try r.uuid("topicId"),
                replicas: try r.int32Array("replicas"), isr: try r.int32Array("isr"),
                leader: try r.int32("leader"), leaderEpoch: try r.int32("leaderEpoch"),
                partitionEpoch: try r.int32("partitionEpoch")))
        case .config:
            let rawResource = try r.int8("resourceType")
            guard let resource = ConfigResourceType(rawValue: rawResource), resource == .topic || resource == .broker else {
                throw r.fail("unknown config resource type \(rawResource)")
            }
            self = .config(ConfigRecord(resourceType: resource, resourceName: try r.string("resourceName"),
                                        name: try r.string("name"), value: try r.nullableString("value")))
        case .partitionChange:
            self = .partitionChange(PartitionChangeRecord(
                partitionId: try r.int32("partitionId"), topicId: try r.uuid("topicId"),
                isr: try r.nullableInt32Array("isr"), leader: try r.int32("leader"),
                replicas: try r.nullableInt32Array("replicas")))
        case .removeTopic:
            self = .removeTopic(RemoveTopicRecord(topicId: try r.uuid("topicId")))
        case .producerIds:
            self = .producerIds(ProducerIdsRecord(brokerId: try r.int32("brokerId"), brokerEpoch: try r.int64("brokerEpoch"),
                                                  nextProducerId: try r.int64("nextProducerId")))
        case .noOp:
            self = .noOp
        }
        try r.skipTaggedFields()
        guard r.reader.remaining == 0 else { throw r.fail("\(r.reader.remaining) trailing bytes after \(type.name)") }
    }

    public init(decoding bytes: [UInt8]) throws(BrokerError) {
        self = try bytes.withBytes { (b) throws(BrokerError) in try MetadataRecord(decoding: b) }
    }
}

extension ByteWriter {
    mutating func writeUuid(_ id: Uuid) {
        writeBigEndian(id.mostSignificantBits)
        writeBigEndian(id.leastSignificantBits)
    }

    mutating func writeBool(_ b: Bool) { writeInt8(b ? 1 : 0) }

    mutating func writeChange(_ b: Bool?) {
        switch b {
        case nil: writeInt8(0)
        case true?: writeInt8(1)
        case false?: writeInt8(-1)
        }
    }

    mutating func writeCompactString(_ s: String?) {
        guard let s else { writeUnsignedVarint(0); return }
        writeUnsignedVarint(UInt64(s.utf8.count) + 1)
        writeBytes(s.utf8)
    }

    mutating func writeCompactInt32Array(_ a: [Int32]?) {
        guard let a else { writeUnsignedVarint(0); return }
        writeUnsignedVarint(UInt64(a.count) + 1)
        for v in a { writeInt32(v) }
    }
}

/// Reads the field primitives above, turning every malformation into `.corruptMetadata`
/// naming the field. Never allocates more than the input could hold.
struct MetadataFieldReader {
    var reader: ByteReader

    init(_ reader: ByteReader) { self.reader = reader }

    func fail(_ message: String) -> BrokerError { .corruptMetadata("invalid metadata record: \(message)") }

    private mutating func run<T>(_ field: String, _ body: (inout ByteReader) throws(RecordBatchError) -> T) throws(BrokerError) -> T {
        do { return try body(&reader) } catch { throw fail("field \(field): \(error)") }
    }

    mutating func uvarint(_ field: String) throws(BrokerError) -> UInt64 {
        try run(field) { (r) throws(RecordBatchError) in try r.readUnsignedVarint() }
    }

    mutating func int8(_ field: String) throws(BrokerError) -> Int8 {
        try run(field) { (r) throws(RecordBatchError) in try r.readInt8() }
    }

    mutating func bool(_ field: String) throws(BrokerError) -> Bool {
        switch try int8(field) {
        case 0: return false
        case 1: return true
        case let v: throw fail("field \(field): \(v) is not a bool (0 or 1)")
        }
    }

    /// An optional bool as a change: 0 none, 1 true, -1 false.
    mutating func change(_ field: String) throws(BrokerError) -> Bool? {
        switch try int8(field) {
        case 0: return nil
        case 1: return true
        case -1: return false
        case let v: throw fail("field \(field): \(v) is not a change (-1, 0 or 1)")
        }
    }

    mutating func int32(_ field: String) throws(BrokerError) -> Int32 {
        try run(field) { (r) throws(RecordBatchError) in try r.readInt32() }
    }

    mutating func uuid(_ field: String) throws(BrokerError) -> Uuid {
        let msb = try run(field) { (r) throws(RecordBatchError) in try r.readBigEndian(UInt64.self) }
        let lsb = try run(field) { (r) throws(RecordBatchError) in try r.readBigEndian(UInt64.self) }
        return Uuid(mostSignificantBits: msb, leastSignificantBits: lsb)
    }

    mutating func nullableString(_ field: String) throws(BrokerError) -> String? {
        let n = try uvarint(field)
        guard n > 0 else { return nil }
        guard n - 1 <= UInt64(reader.remaining) else { throw fail("field \(field): length \(n - 1) exceeds the \(reader.remaining) bytes left") }
        let slice = try run(field) { (r) throws(RecordBatchError) in try r.readSlice(Int(n - 1)) }
        guard let s = String(validating: slice, as: UTF8.self) else { throw fail("field \(field) is not valid UTF-8") }
        return s
    }

    mutating func string(_ field: String) throws(BrokerError) -> String {
        guard let s = try nullableString(field) else { throw fail("field \(field) is null") }
        return s
    }

    mutating func nullableInt32Array(_ field: String) throws(BrokerError) -> [Int32]? {
        let n = try uvarint(field)
        guard n > 0 else { return nil }
        guard n - 1 <= UInt64(reader.remaining / 4) else { throw fail("field \(field): \(n - 1) elements exceed the \(reader.remaining) bytes left") }
        var out: [Int32] = []
        out.reserveCapacity(Int(n - 1))
        for _ in 0 ..< n - 1 { out.append(try int32(field)) }
        return out
    }

    mutating func int32Array(_ field: String) throws(BrokerError) -> [Int32] {
        guard let a = try nullableInt32Array(field) else { throw fail("field \(field) is null") }
        return a
    }

    /// Skips the tagged-field section; tags must be strictly increasing, as in Kafka.
    mutating func skipTaggedFields() throws(BrokerError) {
        let count = try uvarint("tagged field count")
        var previous: UInt64?
        for _ in 0 ..< count {
            let tag = try uvarint("tag")
            if let previous, tag <= previous { throw fail("tagged fields out of order (\(tag) after \(previous))") }
            previous = tag
            let size = try uvarint("tagged field size")
            guard size <= UInt64(reader.remaining) else { throw fail("tagged field \(tag) of \(size) bytes exceeds the \(reader.remaining) bytes left") }
            try run("tag \(tag)") { (r) throws(RecordBatchError) in try r.skip(Int(size)) }
        }
    }
}
