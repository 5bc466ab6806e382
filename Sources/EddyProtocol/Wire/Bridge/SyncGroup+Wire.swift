extension SyncGroupRequest {
    /// The request as read off the wire in `version`: no static membership before v3, no
    /// protocol type or name before v5 (nil: not checked against the group's, KIP-559).
    public init(wire: Wire.SyncGroupRequest, version: Int16) {
        self.init(groupId: wire.groupId, generationId: wire.generationId, memberId: wire.memberId,
                  groupInstanceId: wire.groupInstanceId, protocolType: wire.protocolType, protocolName: wire.protocolName,
                  assignments: wire.assignments.map { SyncGroupRequestAssignment(memberId: $0.memberId, assignment: $0.assignment) })
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a `groupInstanceId` before v3; here it is dropped. The protocol
    /// type and name are dropped before v5.
    public func wire(version: Int16) -> Wire.SyncGroupRequest {
        Wire.SyncGroupRequest(groupId: groupId, generationId: generationId, memberId: memberId,
                              groupInstanceId: version >= 3 ? groupInstanceId : nil,
                              protocolType: version >= 5 ? protocolType : nil, protocolName: version >= 5 ? protocolName : nil,
                              assignments: assignments.map { .init(memberId: $0.memberId, assignment: $0.assignment) })
    }
}

extension SyncGroupResponse {
    /// The response as read off the wire in `version` (no throttle time in v0, no protocol type
    /// or name before v5).
    public init(wire: Wire.SyncGroupResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, protocolType: wire.protocolType,
                  protocolName: wire.protocolName, assignment: wire.assignment)
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.SyncGroupResponse {
        Wire.SyncGroupResponse(throttleTimeMs: version >= 1 ? throttleTimeMs : 0, errorCode: errorCode,
                               protocolType: version >= 5 ? protocolType : nil, protocolName: version >= 5 ? protocolName : nil,
                               assignment: assignment)
    }
}
