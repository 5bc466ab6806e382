import EddyProtocol

/// The classic consumer group coordinator as a pure state machine (Kafka's `GroupCoordinator`
/// with its `GroupMetadataManager` bookkeeping), for the groups of the `__consumer_offsets`
/// partitions this broker leads.
///
/// No I/O and no clock: every event takes `now` (ms) and returns `GroupAction`s that the caller
/// carries out in order (send delayed responses, arm timers, append records to
/// `__consumer_offsets`). Responses that are known at once are returned directly.
/// Not thread-safe: the owner serialises events.
public struct GroupCoordinator: Sendable {
    public var config: GroupCoordinatorConfig
    public internal(set) var groups: [String: ClassicGroup] = [:]
    /// Draws the UUID part of generated member ids.
    var random: SplitMix64
    /// Counts the offset records this coordinator wrote or loaded, in order: a record's number
    /// orders it as its offset in `__consumer_offsets` would (one partition's records are
    /// appended in the order the coordinator writes them, and loaded in log order).
    var writeOrder: UInt64 = 0

    /// The next number of `writeOrder`.
    mutating func nextWriteOrder() -> UInt64 {
        writeOrder += 1
        return writeOrder
    }

    public init(config: GroupCoordinatorConfig = GroupCoordinatorConfig(), seed: UInt64 = 0) {
        self.config = config
        self.random = SplitMix64(seed: seed)
    }

    /// The `__consumer_offsets` partition holding `groupId`.
    public func partitionFor(_ groupId: String) -> Int32 {
        OffsetsTopic.partitionFor(groupId: groupId, partitionCount: config.offsetsTopicNumPartitions)
    }

    /// A UUID string (8-4-4-4-12 hex, version 4 layout) from the seeded generator.
    mutating func randomUuidString() -> String {
        var bytes: [UInt8] = []
        for _ in 0..<2 { withUnsafeBytes(of: random.next().bigEndian) { bytes.append(contentsOf: $0) } }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    func groupRecord(_ group: ClassicGroup) -> GroupAction {
        .appendRecord(partition: partitionFor(group.groupId),
                      key: OffsetsTopicRecord.encode(.groupMetadata(group: group.groupId)),
                      value: OffsetsTopicRecord.encode(group.metadataValue()))
    }

    // MARK: Requests and responses

    public struct JoinGroup: Equatable, Sendable {
        public var groupId: String
        /// "" for a member joining for the first time.
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var sessionTimeoutMs: Int32
        /// The client's `max.poll.interval.ms`.
        public var rebalanceTimeoutMs: Int32
        public var protocolType: String
        public var protocols: [GroupProtocol]
        /// JoinGroup v4+ (KIP-394): an unknown member first gets MEMBER_ID_REQUIRED and its id.
        public var requireKnownMemberId: Bool

        public init(groupId: String, memberId: String = "", groupInstanceId: String? = nil, clientId: String = "consumer",
                    clientHost: String = "/127.0.0.1", sessionTimeoutMs: Int32 = 45_000, rebalanceTimeoutMs: Int32 = 300_000,
                    protocolType: String = "consumer", protocols: [GroupProtocol], requireKnownMemberId: Bool = true) {
            self.groupId = groupId
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.sessionTimeoutMs = sessionTimeoutMs
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.protocolType = protocolType
            self.protocols = protocols
            self.requireKnownMemberId = requireKnownMemberId
        }
    }

    public struct JoinedMember: Equatable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var metadata: [UInt8]
    }

    public struct JoinResult: Equatable, Sendable {
        public var error: ErrorCode
        public var generationId: Int32 = -1
        public var protocolType: String?
        public var protocolName: String?
        public var leaderId: String = ""
        public var memberId: String
        /// KIP-814: a static leader rejoining a Stable group must not compute a new assignment.
        public var skipAssignment = false
        /// Only the leader gets the members with their metadata for the selected protocol.
        public var members: [JoinedMember] = []

        static func failure(_ error: ErrorCode, memberId: String) -> JoinResult {
            JoinResult(error: error, memberId: memberId)
        }
    }

    public struct SyncGroup: Equatable, Sendable {
        public var groupId: String
        public var generationId: Int32
        public var memberId: String
        public var groupInstanceId: String?
        /// Checked when present (SyncGroup v5+).
        public var protocolType: String?
        public var protocolName: String?
        /// Sent by the leader only: member id -> assignment.
        public var assignments: [String: [UInt8]]

        public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil,
                    protocolType: String? = nil, protocolName: String? = nil, assignments: [String: [UInt8]] = [:]) {
            self.groupId = groupId
            self.generationId = generationId
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.protocolType = protocolType
            self.protocolName = protocolName
            self.assignments = assignments
        }
    }

    public struct SyncResult: Equatable, Sendable {
        public var error: ErrorCode
        public var protocolType: String?
        public var protocolName: String?
        public var assignment: [UInt8] = []
    }

    /// The identity a member gives in Heartbeat, LeaveGroup and OffsetCommit.
    public struct MemberIdentity: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public init(memberId: String, groupInstanceId: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
        }
    }

    /// Result of an event answered at once, plus what the caller must do.
    public struct Outcome<Response: Sendable>: Sendable {
        public var response: Response
        public var actions: [GroupAction]
    }
}

extension GroupCoordinator.Outcome: Equatable where Response: Equatable {}
