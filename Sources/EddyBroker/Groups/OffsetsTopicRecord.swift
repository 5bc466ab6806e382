import EddyProtocol

/// Records of `__consumer_offsets`, in Kafka's (non-flexible) key and value formats: Kafka's data
/// schemas `OffsetCommitKey`, `OffsetCommitValue`, `GroupMetadataKey` and `GroupMetadataValue`
/// (`internal/` in Kafka's message definitions), encoded by the generated `Wire` types of the
/// same names and preceded by their int16 version.
///
/// All integers are big-endian. `string` is an int16 length followed by UTF-8 bytes;
/// a nullable string uses length -1 for null. `bytes` is an int32 length followed by the bytes.
/// Strings longer than an int16 length allows are cut to fit when written.
///
/// Keys (the leading int16 version says which record it is):
/// - version 0 or 1, offset commit: `version int16, group string, topic string, partition int32`
/// - version 2, group metadata:     `version int16, group string`
/// - any other version: a record this coordinator does not use; the loader skips it.
///
/// Values (a null value is a tombstone: the offset or group was deleted):
/// - offset commit, version 0 and 2: `offset int64, metadata string, commitTimestamp int64`;
///   version 1 adds `expireTimestamp int64` at the end; version 3 (written here) is
///   `offset int64, leaderEpoch int32 (-1 = none), metadata string, commitTimestamp int64`.
/// - group metadata: `protocolType string ("" = none), generation int32, protocol nullable string,
///   leader nullable string, [v2+] currentStateTimestamp int64, members int32 count` then per member:
///   `memberId string, [v3+] groupInstanceId nullable string, clientId string, clientHost string,
///   [v1+] rebalanceTimeout int32, sessionTimeout int32, subscription bytes, assignment bytes`.
///   Version 3 is written; 0...3 are read.
///
/// Flexible versions (offset value v4, group value v4) are not read: a coordinator writes v3.
/// Bytes after a value's known fields are ignored.
public enum OffsetsTopicRecord {
    /// Offset commit key version written (Kafka writes 1 since 2.x; 0 and 1 are identical).
    public static let offsetCommitKeyVersion: Int16 = 1
    /// Group metadata key version (always 2).
    public static let groupMetadataKeyVersion: Int16 = 2
    /// Value versions written.
    public static let offsetCommitValueVersion: Int16 = 3
    public static let groupMetadataValueVersion: Int16 = 3

    public enum Key: Hashable, Sendable {
        case offsetCommit(group: String, TopicPartition)
        case groupMetadata(group: String)

        public var group: String {
            switch self {
            case .offsetCommit(let g, _), .groupMetadata(let g): g
            }
        }
    }

    public struct OffsetCommitValue: Equatable, Sendable {
        public var offset: Int64
        /// -1 when the committer did not know the leader epoch.
        public var leaderEpoch: Int32
        public var metadata: String
        public var commitTimestampMs: Int64
        /// Only version 1 carries it; -1 otherwise.
        public var expireTimestampMs: Int64

        public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestampMs: Int64, expireTimestampMs: Int64 = -1) {
            self.offset = offset
            self.leaderEpoch = leaderEpoch
            self.metadata = metadata
            self.commitTimestampMs = commitTimestampMs
            self.expireTimestampMs = expireTimestampMs
        }
    }

    public struct MemberMetadata: Equatable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var rebalanceTimeoutMs: Int32
        public var sessionTimeoutMs: Int32
        /// The member's metadata for the group's selected protocol.
        public var subscription: [UInt8]
        public var assignment: [UInt8]

        public init(memberId: String, groupInstanceId: String?, clientId: String, clientHost: String,
                    rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, subscription: [UInt8], assignment: [UInt8]) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.sessionTimeoutMs = sessionTimeoutMs
            self.subscription = subscription
            self.assignment = assignment
        }
    }

    public struct GroupMetadataValue: Equatable, Sendable {
        /// nil is stored as "".
        public var protocolType: String?
        public var generation: Int32
        public var protocolName: String?
        public var leader: String?
        /// -1 when unknown (versions 0 and 1).
        public var currentStateTimestampMs: Int64
        public var members: [MemberMetadata]

        public init(protocolType: String?, generation: Int32, protocolName: String?, leader: String?,
                    currentStateTimestampMs: Int64, members: [MemberMetadata]) {
            self.protocolType = protocolType
            self.generation = generation
            self.protocolName = protocolName
            self.leader = leader
            self.currentStateTimestampMs = currentStateTimestampMs
            self.members = members
        }
    }

    // MARK: Encoding

    public static func encode(_ key: Key) -> [UInt8] {
        switch key {
        case .offsetCommit(let group, let tp):
            encode(Wire.OffsetCommitKey(group: group.fittingClassicWireString, topic: tp.topic.fittingClassicWireString,
                                        partition: tp.partition), version: offsetCommitKeyVersion)
        case .groupMetadata(let group):
            encode(Wire.GroupMetadataKey(group: group.fittingClassicWireString), version: groupMetadataKeyVersion)
        }
    }

    /// Encodes version 3, or version 1 when `expireTimestampMs` is set (only v1 can carry it).
    public static func encode(_ v: OffsetCommitValue) -> [UInt8] {
        let value = Wire.OffsetCommitValue(offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata.fittingClassicWireString,
                                           commitTimestamp: v.commitTimestampMs, expireTimestamp: v.expireTimestampMs)
        return encode(value, version: v.expireTimestampMs >= 0 ? 1 : offsetCommitValueVersion)
    }

    public static func encode(_ v: GroupMetadataValue) -> [UInt8] {
        let members = v.members.map { m in
            Wire.GroupMetadataValue.MemberMetadata(
                memberId: m.memberId.fittingClassicWireString, groupInstanceId: m.groupInstanceId?.fittingClassicWireString,
                clientId: m.clientId.fittingClassicWireString, clientHost: m.clientHost.fittingClassicWireString,
                rebalanceTimeout: m.rebalanceTimeoutMs, sessionTimeout: m.sessionTimeoutMs,
                subscription: m.subscription, assignment: m.assignment)
        }
        let value = Wire.GroupMetadataValue(
            protocolType: (v.protocolType ?? "").fittingClassicWireString, generation: v.generation,
            protocol: v.protocolName?.fittingClassicWireString, leader: v.leader?.fittingClassicWireString,
            currentStateTimestamp: v.currentStateTimestampMs, members: members)
        return encode(value, version: groupMetadataValueVersion)
    }

    private static func encode(_ data: some WireMessage, version: Int16) -> [UInt8] {
        do {
            return try data.versionPrefixedBytes(version: version)
        } catch {
            // Strings are cut to fit and the versions written carry every field that is set:
            // only a member's metadata beyond 2 GiB could get here.
            preconditionFailure("__consumer_offsets record cannot be encoded: \(error)")
        }
    }

    // MARK: Decoding

    /// nil for key versions this coordinator does not use (e.g. newer coordinators' records).
    public static func decodeKey(_ bytes: [UInt8]) throws(GroupRecordError) -> Key? {
        try decoding { () throws(ProtocolError) -> Key? in
            let version = try Wire.versionPrefix(of: bytes)
            switch version {
            case 0, 1:
                let k = try Wire.OffsetCommitKey(versionPrefixed: bytes, version: version)
                return .offsetCommit(group: k.group, TopicPartition(k.topic, k.partition))
            case 2:
                return .groupMetadata(group: try Wire.GroupMetadataKey(versionPrefixed: bytes, version: version).group)
            default:
                return nil
            }
        }
    }

    public static func decodeOffsetCommitValue(_ bytes: [UInt8]) throws(GroupRecordError) -> OffsetCommitValue {
        let (_, v) = try decode(Wire.OffsetCommitValue.self, bytes, "OffsetCommitValue")
        return OffsetCommitValue(offset: v.offset, leaderEpoch: v.leaderEpoch, metadata: v.metadata,
                                 commitTimestampMs: v.commitTimestamp, expireTimestampMs: v.expireTimestamp)
    }

    public static func decodeGroupMetadataValue(_ bytes: [UInt8]) throws(GroupRecordError) -> GroupMetadataValue {
        let (version, v) = try decode(Wire.GroupMetadataValue.self, bytes, "GroupMetadataValue")
        let members = v.members.map { m in
            // Version 0 has no rebalance timeout: the session timeout stood for both.
            MemberMetadata(memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId,
                           clientHost: m.clientHost, rebalanceTimeoutMs: version >= 1 ? m.rebalanceTimeout : m.sessionTimeout,
                           sessionTimeoutMs: m.sessionTimeout, subscription: m.subscription, assignment: m.assignment)
        }
        return GroupMetadataValue(protocolType: v.protocolType.isEmpty ? nil : v.protocolType, generation: v.generation,
                                  protocolName: v.protocol, leader: v.leader, currentStateTimestampMs: v.currentStateTimestamp,
                                  members: members)
    }

    /// A value in one of the versions a coordinator reads, 0...3.
    private static func decode<M: WireMessage>(_: M.Type, _ bytes: [UInt8], _ record: String) throws(GroupRecordError) -> (Int16, M) {
        let version = try decoding { () throws(ProtocolError) in try Wire.versionPrefix(of: bytes) }
        guard (0...3).contains(version) else { throw .unsupportedVersion(record: record, version: version) }
        return (version, try decoding { () throws(ProtocolError) in try M(versionPrefixed: bytes, version: version) })
    }

    private static func decoding<T>(_ body: () throws(ProtocolError) -> T) throws(GroupRecordError) -> T {
        do { return try body() } catch { throw GroupRecordError(error) }
    }
}

/// Why a `__consumer_offsets` record could not be read.
public enum GroupRecordError: Error, Equatable, CustomStringConvertible {
    case truncated(needed: Int, remaining: Int)
    case unsupportedVersion(record: String, version: Int16)
    case malformed(String)

    public var description: String {
        switch self {
        case .truncated(let n, let r): "truncated __consumer_offsets record: needed \(n) bytes, \(r) remaining"
        case .unsupportedVersion(let rec, let v): "unsupported \(rec) version \(v)"
        case .malformed(let why): "malformed __consumer_offsets record: \(why)"
        }
    }

    /// A decoding failure of the wire primitives.
    init(_ error: ProtocolError) {
        switch error {
        case let .truncated(needed, available): self = .truncated(needed: needed, remaining: available)
        default: self = .malformed(error.description)
        }
    }
}
