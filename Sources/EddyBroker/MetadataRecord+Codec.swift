import EddyProtocol
import EddySasl

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
/// Field encodings (Kafka's "flexible version" primitives, EddyProtocol's shared wire field
/// primitives in their compact forms):
///
///     int8/int32/int64  big-endian, fixed width
///     bool          int8, 0 (false) or 1 (true); any other value is rejected
///     change        int8 for an optional bool: 0 no change, 1 true, -1 false (Kafka's
///                   BrokerRegistrationFencingChange: 1 FENCE, 0 NONE, -1 UNFENCE)
///     uuid          16 bytes, most significant first; all zero for an absent nullable uuid
///     string        uvarint (length + 1), then UTF-8 bytes; nullable strings use 0 for null;
///                   invalid UTF-8 is rejected
///     [int32]       uvarint (count + 1), then count × int32; nullable arrays use 0 for null
///     tagged fields in strictly ascending tag order
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
///     UserScramCredentialRecord (11)
///                                name string, mechanism int8 (1 SCRAM-SHA-256, 2 SCRAM-SHA-512),
///                                salt bytes, storedKey bytes, serverKey bytes, iterations int32
///                                (bytes: uvarint (length + 1), then the bytes)
///     ProducerIdsRecord (15)     brokerId int32, brokerEpoch int64, nextProducerId int64
///     BrokerRegistrationChangeRecord (17)
///                                brokerId int32, fenced change, inControlledShutdown change
///     RemoveUserScramCredentialRecord (22)
///                                name string, mechanism int8
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
            w.writeInt8(Self.changeByte(r.fenced))
            w.writeInt8(Self.changeByte(r.inControlledShutdown))
        case let .topic(r):
            w.writeCompactString(r.name)
            w.writeUuid(r.topicId)
        case let .partition(r):
            w.writeInt32(r.partitionId)
            w.writeUuid(r.topicId)
            Self.write(r.replicas, &w)
            Self.write(r.isr, &w)
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
            Self.write(r.isr, &w)
            w.writeInt32(r.leader)
            Self.write(r.replicas, &w)
        case let .removeTopic(r):
            w.writeUuid(r.topicId)
        case let .producerIds(r):
            w.writeInt32(r.brokerId)
            w.writeInt64(r.brokerEpoch)
            w.writeInt64(r.nextProducerId)
        case let .userScramCredential(r):
            w.writeCompactString(r.name)
            w.writeInt8(r.mechanism.rawValue)
            w.writeCompactBytes(r.credential.salt)
            w.writeCompactBytes(r.credential.storedKey)
            w.writeCompactBytes(r.credential.serverKey)
            w.writeInt32(r.credential.iterations)
        case let .removeUserScramCredential(r):
            w.writeCompactString(r.name)
            w.writeInt8(r.mechanism.rawValue)
        case .noOp:
            break
        }
        w.writeTaggedFields([])  // eddy writes none
        return w.take()
    }

    /// An optional bool as a change: 0 none, 1 true, -1 false.
    private static func changeByte(_ b: Bool?) -> Int8 {
        switch b {
        case nil: 0
        case true?: 1
        case false?: -1
        }
    }

    private static func write(_ a: [Int32]?, _ w: inout ByteWriter) {
        w.writeCompactArrayCount(a?.count)
        for v in a ?? [] { w.writeInt32(v) }
    }

    /// Decodes exactly one record occupying all of `bytes`.
    /// - Throws: `.corruptMetadata` for a bad frame, an unknown type or version, a field
    ///   that runs past the end, invalid UTF-8, or trailing bytes.
    public init(decoding bytes: UnsafeRawBufferPointer) throws(BrokerError) {
        var r = ByteReader(bytes)
        do {
            self = try Self.read(&r)
        } catch let error as BrokerError {
            throw error
        } catch {
            throw Self.fail("\(error)")
        }
    }

    public init(decoding bytes: [UInt8]) throws(BrokerError) {
        self = try bytes.withBytes { (b) throws(BrokerError) in try MetadataRecord(decoding: b) }
    }

    private static func fail(_ message: String) -> BrokerError { .corruptMetadata("invalid metadata record: \(message)") }

    /// The record; throws `ProtocolError` for what the wire primitives reject and `BrokerError`
    /// for the rest.
    private static func read(_ r: inout ByteReader) throws -> MetadataRecord {
        let frame = try r.wireUnsignedVarint()
        guard frame == MetadataRecord.frameVersion else { throw fail("unsupported frame version \(frame)") }
        let rawType = try r.wireUnsignedVarint()
        guard rawType <= UInt32(UInt16.max), let type = MetadataRecordType(rawValue: UInt16(rawType)) else {
            throw fail("unknown metadata record type \(rawType)")
        }
        let version = try r.wireUnsignedVarint()
        guard version <= UInt32(type.currentVersion) else {
            throw fail("\(type.name) version \(version) is newer than the newest eddy knows (\(type.currentVersion))")
        }
        let v = Int16(version)
        let record: MetadataRecord
        switch type {
        case .registerBroker:
            let brokerId = try r.wireInt32()
            let incarnation = try r.wireUuid()
            record = .registerBroker(RegisterBrokerRecord(
                brokerId: brokerId, incarnationId: incarnation == .zero ? nil : incarnation,
                fenced: try bool(&r, "fenced"), inControlledShutdown: try bool(&r, "inControlledShutdown")))
        case .brokerRegistrationChange:
            record = .brokerRegistrationChange(BrokerRegistrationChangeRecord(
                brokerId: try r.wireInt32(), fenced: try change(&r, "fenced"),
                inControlledShutdown: try change(&r, "inControlledShutdown")))
        case .topic:
            record = .topic(TopicRecord(name: try r.wireString("TopicRecord.name", compact: true, version: v, validatingUTF8: true),
                                        topicId: try r.wireUuid()))
        case .partition:
            record = .partition(PartitionRecord(
                partitionId: try r.wireInt32(), topicId: try r.wireUuid(),
                replicas: try int32s(&r, "PartitionRecord.replicas", version: v), isr: try int32s(&r, "PartitionRecord.isr", version: v),
                leader: try r.wireInt32(), leaderEpoch: try r.wireInt32(), partitionEpoch: try r.wireInt32()))
        case .config:
            let rawResource = try r.wireInt8()
            guard let resource = ConfigResourceType(rawValue: rawResource), resource == .topic || resource == .broker else {
                throw fail("unknown config resource type \(rawResource)")
            }
            record = .config(ConfigRecord(
                resourceType: resource,
                resourceName: try r.wireString("ConfigRecord.resourceName", compact: true, version: v, validatingUTF8: true),
                name: try r.wireString("ConfigRecord.name", compact: true, version: v, validatingUTF8: true),
                value: try r.wireNullableString("ConfigRecord.value", compact: true, validatingUTF8: true)))
        case .partitionChange:
            record = .partitionChange(PartitionChangeRecord(
                partitionId: try r.wireInt32(), topicId: try r.wireUuid(),
                isr: try nullableInt32s(&r, "PartitionChangeRecord.isr"), leader: try r.wireInt32(),
                replicas: try nullableInt32s(&r, "PartitionChangeRecord.replicas")))
        case .removeTopic:
            record = .removeTopic(RemoveTopicRecord(topicId: try r.wireUuid()))
        case .producerIds:
            record = .producerIds(ProducerIdsRecord(brokerId: try r.wireInt32(), brokerEpoch: try r.wireInt64(),
                                                    nextProducerId: try r.wireInt64()))
        case .userScramCredential:
            let name = try r.wireString("UserScramCredentialRecord.name", compact: true, version: v, validatingUTF8: true)
            let mechanism = try scramMechanism(&r)
            record = .userScramCredential(UserScramCredentialRecord(name: name, mechanism: mechanism, credential: ScramCredential(
                salt: try r.wireBytes("UserScramCredentialRecord.salt", compact: true, version: v),
                storedKey: try r.wireBytes("UserScramCredentialRecord.storedKey", compact: true, version: v),
                serverKey: try r.wireBytes("UserScramCredentialRecord.serverKey", compact: true, version: v),
                iterations: try r.wireInt32())))
        case .removeUserScramCredential:
            record = .removeUserScramCredential(RemoveUserScramCredentialRecord(
                name: try r.wireString("RemoveUserScramCredentialRecord.name", compact: true, version: v, validatingUTF8: true),
                mechanism: try scramMechanism(&r)))
        case .noOp:
            record = .noOp
        }
        try r.wireTaggedFields(strictlyAscending: true) { (_, _) throws(ProtocolError) in false }  // none known: skipped
        guard r.remaining == 0 else { throw fail("\(r.remaining) trailing bytes after \(type.name)") }
        return record
    }

    private static func scramMechanism(_ r: inout ByteReader) throws -> ScramMechanism {
        let code = try r.wireInt8()
        guard let m = ScramMechanism(rawValue: code) else { throw fail("unknown SCRAM mechanism \(code)") }
        return m
    }

    private static func bool(_ r: inout ByteReader, _ field: String) throws -> Bool {
        switch try r.wireInt8() {
        case 0: return false
        case 1: return true
        case let v: throw fail("field \(field): \(v) is not a bool (0 or 1)")
        }
    }

    private static func change(_ r: inout ByteReader, _ field: String) throws -> Bool? {
        switch try r.wireInt8() {
        case 0: return nil
        case 1: return true
        case -1: return false
        case let v: throw fail("field \(field): \(v) is not a change (-1, 0 or 1)")
        }
    }

    private static func nullableInt32s(_ r: inout ByteReader, _ field: StaticString) throws(ProtocolError) -> [Int32]? {
        guard let n = try r.wireNullableArrayCount(field, compact: true) else { return nil }
        var out: [Int32] = []
        out.reserveCapacity(n)
        for _ in 0 ..< n { out.append(try r.wireInt32()) }
        return out
    }

    private static func int32s(_ r: inout ByteReader, _ field: StaticString, version: Int16) throws(ProtocolError) -> [Int32] {
        guard let a = try nullableInt32s(&r, field) else { throw .nullNotAllowed(field: "\(field)", version: version) }
        return a
    }
}
