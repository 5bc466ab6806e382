extension DescribeGroupsRequest {
    /// The request as read off the wire in `version` (no `includeAuthorizedOperations` before v3: false).
    public init(wire: Wire.DescribeGroupsRequest, version: Int16) {
        self.init(groups: wire.groups, includeAuthorizedOperations: wire.includeAuthorizedOperations)
    }

    /// The wire form of the request for `version`: only fields that version carries are set
    /// (`includeAuthorizedOperations` is dropped before v3).
    public func wire(version: Int16) -> Wire.DescribeGroupsRequest {
        Wire.DescribeGroupsRequest(groups: groups, includeAuthorizedOperations: version >= 3 && includeAuthorizedOperations)
    }
}

extension DescribeGroupsResponse {
    /// The response as read off the wire in `version`: no throttle time in v0, authorized
    /// operations omitted before v3, no member instance ids before v4. Kafka 3.9's schema has
    /// no error message (v6+), so it is nil.
    public init(wire: Wire.DescribeGroupsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, groups: wire.groups.map { g in
            DescribedGroup(errorCode: g.errorCode, groupId: g.groupId, groupState: g.groupState, protocolType: g.protocolType,
                           protocolData: g.protocolData, members: g.members.map {
                               DescribedGroupMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                                                    clientHost: $0.clientHost, memberMetadata: $0.memberMetadata,
                                                    memberAssignment: $0.memberAssignment)
                           }, authorizedOperations: g.authorizedOperations)
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// The error message (v6+, beyond Kafka 3.9's v5) is dropped; so are authorized operations
    /// before v3 and member instance ids before v4.
    public func wire(version: Int16) -> Wire.DescribeGroupsResponse {
        Wire.DescribeGroupsResponse(throttleTimeMs: version >= 1 ? throttleTimeMs : 0, groups: groups.map { g in
            .init(errorCode: g.errorCode, groupId: g.groupId, groupState: g.groupState, protocolType: g.protocolType,
                  protocolData: g.protocolData, members: g.members.map {
                      .init(memberId: $0.memberId, groupInstanceId: version >= 4 ? $0.groupInstanceId : nil, clientId: $0.clientId,
                            clientHost: $0.clientHost, memberMetadata: $0.memberMetadata, memberAssignment: $0.memberAssignment)
                  },
                  authorizedOperations: version >= 3 ? g.authorizedOperations : DescribeGroupsResponse.authorizedOperationsOmitted)
        })
    }
}
