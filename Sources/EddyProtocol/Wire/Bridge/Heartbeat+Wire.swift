extension HeartbeatRequest {
    /// The request as read off the wire in `version` (no static membership before v3: nil).
    public init(wire: Wire.HeartbeatRequest, version: Int16) {
        self.init(groupId: wire.groupId, generationId: wire.generationId, memberId: wire.memberId, groupInstanceId: wire.groupInstanceId)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a `groupInstanceId` before v3; here it is dropped.
    public func wire(version: Int16) -> Wire.HeartbeatRequest {
        Wire.HeartbeatRequest(groupId: groupId, generationId: generationId, memberId: memberId,
                              groupInstanceId: version >= 3 ? groupInstanceId : nil)
    }
}

extension HeartbeatResponse {
    /// The response as read off the wire in `version` (no throttle time in v0: 0).
    public init(wire: Wire.HeartbeatResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode)
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.HeartbeatResponse {
        Wire.HeartbeatResponse(throttleTimeMs: version >= 1 ? throttleTimeMs : 0, errorCode: errorCode)
    }
}
