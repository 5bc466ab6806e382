import EddyProtocol

/// Records of `__consumer_offsets`, in Kafka's (non-flexible) key and value formats.
///
/// All integers are big-endian. `string` is an int16 length followed by UTF-8 bytes;
/// a nullable string uses length -1 for null. `bytes` is an int32 length followed by the bytes.
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
        var w = ByteWriter(capacity: 64)
        switch key {
        case .offsetCommit(let group, let tp):
            w.writeInt16(offsetCommitKeyVersion)
            writeString(group, &w)
            writeString(tp.topic, &w)
            w.writeInt32(tp.partition)
        case .groupMetadata(let group):
            w.writeInt16(groupMetadataKeyVersion)
            writeString(group, &w)
        }
        return w.take()
    }

    /// Encodes version 3, or version 1 when `expireTimestampMs` is set (only v1 can carry it).
    public static func encode(_ v: OffsetCommitValue) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        if v.expireTimestampMs >= 0 {
            w.writeInt16(1)
            w.writeInt64(v.offset)
            writeString(v.metadata, &w)
            w.writeInt64(v.commitTimestampMs)
            w.writeInt64(v.expireTimestampMs)
        } else {
            w.writeInt16(offsetCommitValueVersion)
            w.writeInt64(v.offset)
            w.writeInt32(v.leaderEpoch)
            writeString(v.metadata, &w)
            w.writeInt64(v.commitTimestampMs)
        }
        return w.take()
    }

    public static func encode(_ v: GroupMetadataValue) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.writeInt16(groupMetadataValueVersion)
        writeString(v.protocolType ?? "", &w)
        w.writeInt32(v.generation)
        writeNullableString(v.protocolName, &w)
        writeNullableString(v.leader, &w)
        w.writeInt64(v.currentStateTimestampMs)
        w.writeInt32(Int32(v.members.count))
        for m in v.members {
            writeString(m.memberId, &w)
            writeNullableString(m.groupInstanceId, &w)
            writeString(m.clientId, &w)
            writeString(m.clientHost, &w)
            w.writeInt32(m.rebalanceTimeoutMs)
            w.writeInt32(m.sessionTimeoutMs)
            writeBytes(m.subscription, &w)
            writeBytes(m.assignment, &w)
        }
        return w.take()
    }

    private static func writeString(_ s: String, _ w: inout ByteWriter) {
        let utf8 = Array(s.utf8)
        w.writeInt16(Int16(clamping: utf8.count))
        w.writeBytes(utf8.prefix(Int(Int16.max)))
    }

    private static func writeNullableString(_ s: String?, _ w: inout ByteWriter) {
        if let s { writeString(s, &w) } else { w.writeInt16(-1) }
    }

    private static func writeBytes(_ b: [UInt8], _ w: inout ByteWriter) {
        w.writeInt32(Int32(b.count))
        w.writeBytes(b)
    }

    // MARK: Decoding

    /// nil for key versions this coordinator does not use (e.g. newer coordinators' records).
    public static func decodeKey(_ bytes: [UInt8]) throws(GroupRecordError) -> Key? {
        var r = Cursor(bytes)
        let version = try r.int16()
        switch version {
        case 0, 1:
            let group = try r.string()
            let topic = try r.string()
            let partition = try r.int32()
            return .offsetCommit(group: group, TopicPartition(topic, partition))
        case 2:
            return .groupMetadata(group: try r.string())
        default:
            return nil
        }
    }

    public static func decodeOffsetCommitValue(_ bytes: [UInt8]) throws(GroupRecordError) -> OffsetCommitValue {
        var r = Cursor(bytes)
        let version = try r.int16()
        switch version {
        case 0, 2:
            let offset = try r.int64()
            let metadata = try r.string()
            return OffsetCommitValue(offset: offset, metadata: metadata, commitTimestampMs: try r.int64())
        case 1:
            let offset = try r.int64()
            let metadata = try r.string()
            let commit = try r.int64()
            return OffsetCommitValue(offset: offset, metadata: metadata, commitTimestampMs: commit, expireTimestampMs: try r.int64())
        case 3:
            let offset = try r.int64()
            let epoch = try r.int32()
            let metadata = try r.string()
            return OffsetCommitValue(offset: offset, leaderEpoch: epoch, metadata: metadata, commitTimestampMs: try r.int64())
        default:
            throw .unsupportedVersion(record: "OffsetCommitValue", version: version)
        }
    }

    public static func decodeGroupMetadataValue(_ bytes: [UInt8]) throws(GroupRecordError) -> GroupMetadataValue {
        var r = Cursor(bytes)
        let version = try r.int16()
        guard (0...3).contains(version) else { throw .unsupportedVersion(record: "GroupMetadataValue", version: version) }
        let protocolType = try r.string()
        let generation = try r.int32()
        let proto = try r.nullableString()
        let leader = try r.nullableString()
        let stateTimestamp = version >= 2 ? try r.int64() : -1
        let count = try r.int32()
        guard count >= 0, Int(count) <= r.remaining else { throw .malformed("member count \(count)") }
        var members: [MemberMetadata] = []
        for _ in 0..<count {
            let memberId = try r.string()
            let instanceId = version >= 3 ? try r.nullableString() : nil
            let clientId = try r.string()
            let clientHost = try r.string()
            let rebalanceTimeout = version >= 1 ? try r.int32() : -1
            let sessionTimeout = try r.int32()
            let subscription = try r.byteArray()
            let assignment = try r.byteArray()
            let resolvedRebalance = version >= 1 ? rebalanceTimeout : sessionTimeout
            members.append(MemberMetadata(memberId: memberId, groupInstanceId: instanceId, clientId: clientId,
                                          clientHost: clientHost, rebalanceTimeoutMs: resolvedRebalance,
                                          sessionTimeoutMs: sessionTimeout, subscription: subscription, assignment: assignment))
        }
        return GroupMetadataValue(protocolType: protocolType.isEmpty ? nil : protocolType, generation: generation,
                                  protocolName: proto, leader: leader, currentStateTimestampMs: stateTimestamp, members: members)
    }

    /// A bounds-checked reader over an owned byte array.
    private struct Cursor {
        let bytes: [UInt8]
        var position = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var remaining: Int { bytes.count - position }

        mutating func take(_ n: Int) throws(GroupRecordError) -> ArraySlice<UInt8> {
            guard n >= 0, n <= remaining else { throw .truncated(needed: n, remaining: remaining) }
            defer { position += n }
            return bytes[position..<position + n]
        }
        mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(GroupRecordError) -> T {
            var v: T = 0
            for b in try take(MemoryLayout<T>.size) { v = v << 8 | T(truncatingIfNeeded: b) }
            return v
        }
        mutating func int16() throws(GroupRecordError) -> Int16 { try integer(Int16.self) }
        mutating func int32() throws(GroupRecordError) -> Int32 { try integer(Int32.self) }
        mutating func int64() throws(GroupRecordError) -> Int64 { try integer(Int64.self) }
        mutating func nullableString() throws(GroupRecordError) -> String? {
            let n = try int16()
            if n == -1 { return nil }
            guard n >= 0 else { throw .malformed("string length \(n)") }
            return String(decoding: try take(Int(n)), as: UTF8.self)
        }
        mutating func string() throws(GroupRecordError) -> String {
            guard let s = try nullableString() else { throw .malformed("null non-nullable string") }
            return s
        }
        mutating func byteArray() throws(GroupRecordError) -> [UInt8] {
            let n = try int32()
            guard n >= 0 else { throw .malformed("bytes length \(n)") }
            return Array(try take(Int(n)))
        }
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
}
