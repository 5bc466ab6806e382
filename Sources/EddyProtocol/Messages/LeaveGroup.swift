/// LeaveGroup (API key 13): members leave a classic group, triggering a rebalance. Fields follow
/// Kafka's `LeaveGroupRequest.json` / `LeaveGroupResponse.json` (v5). Versions 0-2 name one
/// member in `memberId`; versions 3+ name a batch in `members`.
public struct LeaveGroupRequest: Sendable, Equatable {
    public var groupId: String
    /// The leaving member in the single-member form (v0-2); empty in the batch form.
    public var memberId: String
    /// The leaving members in the batch form (v3+).
    public var members: [MemberIdentity]

    public init(groupId: String, memberId: String = "", members: [MemberIdentity] = []) {
        self.groupId = groupId
        self.memberId = memberId
        self.members = members
    }

    /// One member leaving, in the batch form.
    public init(groupId: String, member: String, groupInstanceId: String? = nil, reason: String? = nil) {
        self.init(groupId: groupId, members: [MemberIdentity(memberId: member, groupInstanceId: groupInstanceId, reason: reason)])
    }

    public struct MemberIdentity: Sendable, Equatable {
        /// May be empty for a static member named by `groupInstanceId` alone.
        public var memberId: String
        public var groupInstanceId: String?
        /// Why the member is leaving, for the coordinator's log.
        public var reason: String?

        public init(memberId: String, groupInstanceId: String? = nil, reason: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.reason = reason
        }
    }

    /// Kafka's `LeaveGroupRequest.getErrorResponse`: `error` at the top level only, no member results.
    public func errorResponse(_ error: ErrorCode) -> LeaveGroupResponse {
        LeaveGroupResponse(errorCode: error)
    }
}

public struct LeaveGroupResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// One result per member in the batch form (v3+).
    public var members: [MemberResponse]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, members: [MemberResponse] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    public struct MemberResponse: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var errorCode: ErrorCode

        public init(memberId: String, groupInstanceId: String? = nil, errorCode: ErrorCode = .none) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.errorCode = errorCode
        }
    }
}
