/// JoinGroup (API key 11): a member joins (or rejoins) a classic consumer group and, once the
/// rebalance completes, learns the generation, the chosen protocol and the leader. Fields follow
/// Kafka's `JoinGroupRequest.json` / `JoinGroupResponse.json` (v9).
public struct JoinGroupRequest: Sendable, Equatable {
    /// Kafka's `JoinGroupRequest.UNKNOWN_MEMBER_ID`: the `memberId` of a member joining for the first time.
    public static let unknownMemberId = ""
    /// Kafka's `JoinGroupRequest.UNKNOWN_GENERATION_ID`.
    public static let unknownGenerationId: Int32 = -1

    public var groupId: String
    /// The coordinator evicts the member if it sends no heartbeat for this long.
    public var sessionTimeoutMs: Int32
    /// How long the coordinator waits for every member to rejoin during a rebalance (-1: use
    /// `sessionTimeoutMs`, as v0 did).
    public var rebalanceTimeoutMs: Int32
    /// `unknownMemberId` on the first join.
    public var memberId: String
    /// The static member id (`group.instance.id`, KIP-345), nil for a dynamic member.
    public var groupInstanceId: String?
    /// e.g. `consumer`; every member of a group must use the same type.
    public var protocolType: String
    /// The protocols (assignors) the member supports, in preference order.
    public var protocols: [JoinGroupRequestProtocol]
    /// Why the member is (re)joining, for the coordinator's log.
    public var reason: String?

    public init(groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32 = -1, memberId: String = JoinGroupRequest.unknownMemberId,
                groupInstanceId: String? = nil, protocolType: String, protocols: [JoinGroupRequestProtocol], reason: String? = nil) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    public struct JoinGroupRequestProtocol: Sendable, Equatable {
        public var name: String
        /// The protocol's subscription metadata, opaque to the coordinator.
        public var metadata: [UInt8]

        public init(name: String, metadata: [UInt8]) {
            self.name = name
            self.metadata = metadata
        }
    }

    /// Kafka's `JoinGroupRequest.getErrorResponse`: `error`, generation -1, no protocol,
    /// leader and member id unknown (""), no members.
    public func errorResponse(_ error: ErrorCode) -> JoinGroupResponse {
        JoinGroupResponse(errorCode: error)
    }
}

public struct JoinGroupResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// -1 on error.
    public var generationId: Int32
    public var protocolType: String?
    /// The protocol the coordinator chose, nil on error.
    public var protocolName: String?
    /// The leader's member id; the leader computes the assignment.
    public var leader: String
    /// True when the leader must not compute an assignment (the coordinator does it, KIP-814).
    public var skipAssignment: Bool
    /// The id the coordinator assigned to this member.
    public var memberId: String
    /// Every member with its metadata, sent only to the leader (empty for followers).
    public var members: [JoinGroupResponseMember]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, generationId: Int32 = -1, protocolType: String? = nil,
                protocolName: String? = nil, leader: String = "", skipAssignment: Bool = false, memberId: String = "",
                members: [JoinGroupResponseMember] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    public struct JoinGroupResponseMember: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var metadata: [UInt8]

        public init(memberId: String, groupInstanceId: String? = nil, metadata: [UInt8]) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }
    }

    /// True when this response went to the group's leader.
    public var isLeader: Bool { !memberId.isEmpty && memberId == leader }
}
