/// SyncGroup (API key 14): after JoinGroup, the leader sends the assignment and every member
/// receives its own. Fields follow Kafka's `SyncGroupRequest.json` / `SyncGroupResponse.json` (v5).
public struct SyncGroupRequest: Sendable, Equatable {
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    /// Must match the group's, when set (v5+).
    public var protocolType: String?
    /// Must match the group's chosen protocol, when set (v5+).
    public var protocolName: String?
    /// Every member's assignment, from the leader only; empty from followers.
    public var assignments: [SyncGroupRequestAssignment]

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil, protocolType: String? = nil,
                protocolName: String? = nil, assignments: [SyncGroupRequestAssignment] = []) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }

    public struct SyncGroupRequestAssignment: Sendable, Equatable {
        public var memberId: String
        /// Opaque to the coordinator (a `ConsumerProtocolAssignment` for consumers).
        public var assignment: [UInt8]

        public init(memberId: String, assignment: [UInt8]) {
            self.memberId = memberId
            self.assignment = assignment
        }
    }

    /// Kafka's `SyncGroupRequest.getErrorResponse`: `error` and an empty assignment.
    public func errorResponse(_ error: ErrorCode) -> SyncGroupResponse {
        SyncGroupResponse(errorCode: error)
    }
}

public struct SyncGroupResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var protocolType: String?
    public var protocolName: String?
    /// This member's assignment; empty on error.
    public var assignment: [UInt8]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, protocolType: String? = nil, protocolName: String? = nil,
                assignment: [UInt8] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }
}
