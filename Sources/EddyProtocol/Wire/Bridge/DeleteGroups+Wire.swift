extension DeleteGroupsRequest {
    /// The request as read off the wire in `version` (every version has the same fields).
    public init(wire: Wire.DeleteGroupsRequest, version: Int16) {
        self.init(groupsNames: wire.groupsNames)
    }

    /// The wire form of the request for `version`.
    public func wire(version: Int16) -> Wire.DeleteGroupsRequest {
        Wire.DeleteGroupsRequest(groupsNames: groupsNames)
    }
}

extension DeleteGroupsResponse {
    /// The response as read off the wire in `version` (every version has the same fields).
    public init(wire: Wire.DeleteGroupsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, results: wire.results.map {
            DeletableGroupResult(groupId: $0.groupId, errorCode: $0.errorCode)
        })
    }

    /// The wire form of the response for `version`.
    public func wire(version: Int16) -> Wire.DeleteGroupsResponse {
        Wire.DeleteGroupsResponse(throttleTimeMs: throttleTimeMs, results: results.map { .init(groupId: $0.groupId, errorCode: $0.errorCode) })
    }
}
