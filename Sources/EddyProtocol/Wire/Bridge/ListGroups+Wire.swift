extension ListGroupsRequest {
    /// The request as read off the wire in `version` (no states filter before v4, no types
    /// filter before v5: empty, every group).
    public init(wire: Wire.ListGroupsRequest, version: Int16) {
        self.init(statesFilter: wire.statesFilter, typesFilter: wire.typesFilter)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a states filter before v4 and a types filter before v5; here they
    /// are dropped, so the broker lists every group.
    public func wire(version: Int16) -> Wire.ListGroupsRequest {
        Wire.ListGroupsRequest(statesFilter: version >= 4 ? statesFilter : [], typesFilter: version >= 5 ? typesFilter : [])
    }
}

extension ListGroupsResponse {
    /// The response as read off the wire in `version` (no throttle time in v0, no group state
    /// before v4, no group type before v5: "").
    public init(wire: Wire.ListGroupsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, groups: wire.groups.map {
            ListedGroup(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.groupState, groupType: $0.groupType)
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.ListGroupsResponse {
        Wire.ListGroupsResponse(throttleTimeMs: version >= 1 ? throttleTimeMs : 0, errorCode: errorCode, groups: groups.map {
            .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: version >= 4 ? $0.groupState : "",
                  groupType: version >= 5 ? $0.groupType : "")
        })
    }
}
