/// DescribeGroups (API key 15): classic groups' state, protocol and members. Fields follow
/// Kafka's `DescribeGroupsRequest.json` / `DescribeGroupsResponse.json` (v6).
public struct DescribeGroupsRequest: Sendable, Equatable {
    public var groups: [String]
    /// Fill in each group's `authorizedOperations` (v3+).
    public var includeAuthorizedOperations: Bool

    public init(groups: [String], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    /// Kafka's `DescribeGroupsRequest.getErrorResponse`: `error` (and `message`) for every group,
    /// with unknown ("") state, protocol type and protocol, and no members.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: groups.map { .init(errorCode: error, errorMessage: message, groupId: $0) })
    }
}

public struct DescribeGroupsResponse: Sendable, Equatable {
    /// Kafka's `DescribeGroupsResponse.AUTHORIZED_OPERATIONS_OMITTED`: `authorizedOperations` was not requested.
    public static let authorizedOperationsOmitted = Int32.min

    public var throttleTimeMs: Int32
    public var groups: [DescribedGroup]

    public init(throttleTimeMs: Int32 = 0, groups: [DescribedGroup]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    public struct DescribedGroup: Sendable, Equatable {
        public var errorCode: ErrorCode
        /// v6+.
        public var errorMessage: String?
        public var groupId: String
        /// Kafka's classic group state name (`Empty`, `PreparingRebalance`, `CompletingRebalance`,
        /// `Stable`, `Dead`), or "".
        public var groupState: String
        public var protocolType: String
        /// The chosen protocol (assignor) name; only filled in when the group is Stable.
        public var protocolData: String
        /// Always empty for a Dead group.
        public var members: [DescribedGroupMember]
        /// Bitfield of `AclOperation` codes, or `authorizedOperationsOmitted`.
        public var authorizedOperations: Int32

        public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, groupId: String, groupState: String = "",
                    protocolType: String = "", protocolData: String = "", members: [DescribedGroupMember] = [],
                    authorizedOperations: Int32 = DescribeGroupsResponse.authorizedOperationsOmitted) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }
    }

    public struct DescribedGroupMember: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        /// The client id of the member's latest JoinGroup.
        public var clientId: String
        public var clientHost: String
        /// The member's metadata for the chosen protocol; only filled in when the group is Stable.
        public var memberMetadata: [UInt8]
        /// The leader's assignment for the member; only filled in when the group is Stable.
        public var memberAssignment: [UInt8]

        public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
                    memberMetadata: [UInt8] = [], memberAssignment: [UInt8] = []) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }
    }

    /// The first result for `groupId`, nil if none.
    public func group(_ groupId: String) -> DescribedGroup? {
        groups.first { $0.groupId == groupId }
    }
}
