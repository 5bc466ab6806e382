extension JoinGroupRequest {
    /// The request as read off the wire in `version`. v0 has no rebalance timeout: as Kafka's
    /// `JoinGroupRequest`, it is the session timeout. No static membership before v5, no reason
    /// before v8 (nil).
    public init(wire: Wire.JoinGroupRequest, version: Int16) {
        self.init(groupId: wire.groupId, sessionTimeoutMs: wire.sessionTimeoutMs,
                  rebalanceTimeoutMs: version >= 1 ? wire.rebalanceTimeoutMs : wire.sessionTimeoutMs,
                  memberId: wire.memberId, groupInstanceId: wire.groupInstanceId, protocolType: wire.protocolType,
                  protocols: wire.protocols.map { JoinGroupRequestProtocol(name: $0.name, metadata: $0.metadata) },
                  reason: wire.reason)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a `groupInstanceId` before v5; here it is dropped (the member joins
    /// as a dynamic one). The rebalance timeout is dropped in v0, the reason before v8.
    public func wire(version: Int16) -> Wire.JoinGroupRequest {
        Wire.JoinGroupRequest(groupId: groupId, sessionTimeoutMs: sessionTimeoutMs,
                              rebalanceTimeoutMs: version >= 1 ? rebalanceTimeoutMs : -1, memberId: memberId,
                              groupInstanceId: version >= 5 ? groupInstanceId : nil, protocolType: protocolType,
                              protocols: protocols.map { .init(name: $0.name, metadata: $0.metadata) },
                              reason: version >= 8 ? reason : nil)
    }
}

extension JoinGroupResponse {
    /// The response as read off the wire in `version`. Before v7 the protocol name cannot be
    /// null and Kafka sends "" for none: read as nil. No protocol type before v7, no
    /// `skipAssignment` before v9, no member instance ids before v5.
    public init(wire: Wire.JoinGroupResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, generationId: wire.generationId,
                  protocolType: wire.protocolType,
                  protocolName: version < 7 && wire.protocolName == "" ? nil : wire.protocolName,
                  leader: wire.leader, skipAssignment: wire.skipAssignment, memberId: wire.memberId,
                  members: wire.members.map {
                      JoinGroupResponseMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata)
                  })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// As Kafka's `JoinGroupResponse`, a nil protocol name is "" before v7 (not nullable there).
    /// `skipAssignment` exists from v9 only (KIP-814): before, it is dropped, so the coordinator
    /// must not ask an older leader to skip its assignment.
    public func wire(version: Int16) -> Wire.JoinGroupResponse {
        Wire.JoinGroupResponse(throttleTimeMs: version >= 2 ? throttleTimeMs : 0, errorCode: errorCode, generationId: generationId,
                               protocolType: version >= 7 ? protocolType : nil,
                               protocolName: version >= 7 ? protocolName : protocolName ?? "",
                               leader: leader, skipAssignment: version >= 9 && skipAssignment, memberId: memberId,
                               members: members.map {
                                   .init(memberId: $0.memberId, groupInstanceId: version >= 5 ? $0.groupInstanceId : nil, metadata: $0.metadata)
                               })
    }
}
