/// ListGroups (API key 16): the groups a coordinator hosts. Fields follow Kafka's
/// `ListGroupsRequest.json` / `ListGroupsResponse.json` (v5).
public struct ListGroupsRequest: Sendable, Equatable {
    /// Only groups in one of these states (v4+; case-insensitive in Kafka); empty for all.
    public var statesFilter: [String]
    /// Only groups of one of these types (`classic`, `consumer`, `share`; v5+); empty for all.
    public var typesFilter: [String]

    public init(statesFilter: [String] = [], typesFilter: [String] = []) {
        self.statesFilter = statesFilter
        self.typesFilter = typesFilter
    }

    /// Kafka's `ListGroupsRequest.getErrorResponse`: `error` and no groups.
    public func errorResponse(_ error: ErrorCode) -> ListGroupsResponse {
        ListGroupsResponse(errorCode: error)
    }
}

public struct ListGroupsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var groups: [ListedGroup]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, groups: [ListedGroup] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    public struct ListedGroup: Sendable, Equatable {
        public var groupId: String
        public var protocolType: String
        /// v4+.
        public var groupState: String
        /// v5+.
        public var groupType: String

        public init(groupId: String, protocolType: String, groupState: String = "", groupType: String = "") {
            self.groupId = groupId
            self.protocolType = protocolType
            self.groupState = groupState
            self.groupType = groupType
        }
    }
}
