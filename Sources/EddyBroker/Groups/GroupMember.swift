/// One protocol a member supports, e.g. ("range", subscription bytes) for protocol type "consumer".
public struct GroupProtocol: Equatable, Sendable {
    public var name: String
    public var metadata: [UInt8]
    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A caller-chosen handle for a request whose response may be sent later (JoinGroup, SyncGroup):
/// the coordinator echoes it in the response action.
public typealias GroupRequestToken = UInt64

/// A member of a classic group (Kafka's `MemberMetadata`).
///
/// Invariant: `joinToken != nil` only while the group is PreparingRebalance (the member is
/// "awaiting join"); `syncToken != nil` only while CompletingRebalance ("awaiting sync").
public struct GroupMember: Equatable, Sendable {
    public var memberId: String
    /// `group.instance.id`: set for static members (KIP-345).
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    /// The client's `max.poll.interval.ms`.
    public var rebalanceTimeoutMs: Int32
    /// The client's `session.timeout.ms`.
    public var sessionTimeoutMs: Int32
    /// Supported protocols in the member's order of preference.
    public var protocols: [GroupProtocol]
    /// This member's share of the leader's assignment for the current generation.
    public var assignment: [UInt8] = []
    /// The pending JoinGroup, if the member is awaiting join.
    public var joinToken: GroupRequestToken?
    /// The pending SyncGroup, if the member is awaiting sync.
    public var syncToken: GroupRequestToken?
    /// The member is removed when `now >= heartbeatDeadlineMs` unless it awaits join or sync.
    public var heartbeatDeadlineMs: Int64 = .max

    public init(memberId: String, groupInstanceId: String?, clientId: String, clientHost: String,
                rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, protocols: [GroupProtocol]) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocols = protocols
    }

    /// The member's metadata for `protocolName`, empty if it does not support it.
    public func metadata(for protocolName: String?) -> [UInt8] {
        protocols.first { $0.name == protocolName }?.metadata ?? []
    }
}

/// A committed offset as stored in `__consumer_offsets` (Kafka's `OffsetAndMetadata`).
public struct CommittedOffset: Equatable, Sendable {
    public var offset: Int64
    /// -1 if unknown.
    public var leaderEpoch: Int32
    public var metadata: String
    public var commitTimestampMs: Int64

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestampMs: Int64) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestampMs = commitTimestampMs
    }
}
