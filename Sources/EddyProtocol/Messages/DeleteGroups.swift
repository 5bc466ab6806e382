/// DeleteGroups (API key 42): delete empty groups and their committed offsets. Fields follow
/// Kafka's `DeleteGroupsRequest.json` / `DeleteGroupsResponse.json` (v2).
public struct DeleteGroupsRequest: Sendable, Equatable {
    public var groupsNames: [String]

    public init(groupsNames: [String]) {
        self.groupsNames = groupsNames
    }

    /// Kafka's `DeleteGroupsRequest.getErrorResponse`: `error` for every group.
    public func errorResponse(_ error: ErrorCode) -> DeleteGroupsResponse {
        DeleteGroupsResponse(results: groupsNames.map { .init(groupId: $0, errorCode: error) })
    }
}

public struct DeleteGroupsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var results: [DeletableGroupResult]

    public init(throttleTimeMs: Int32 = 0, results: [DeletableGroupResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public struct DeletableGroupResult: Sendable, Equatable {
        public var groupId: String
        /// NON_EMPTY_GROUP while the group has members; GROUP_ID_NOT_FOUND if it does not exist.
        public var errorCode: ErrorCode

        public init(groupId: String, errorCode: ErrorCode = .none) {
            self.groupId = groupId
            self.errorCode = errorCode
        }
    }

    /// The first result for `groupId`, nil if none.
    public func result(for groupId: String) -> DeletableGroupResult? {
        results.first { $0.groupId == groupId }
    }
}
