extension LeaveGroupRequest {
    /// The request as read off the wire in `version`: the single-member form (`memberId`) for
    /// v0-2, the batch form (`members`, KIP-345) for v3+; no reason before v5.
    public init(wire: Wire.LeaveGroupRequest, version: Int16) {
        if version >= 3 {
            self.init(groupId: wire.groupId, members: wire.members.map {
                MemberIdentity(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, reason: $0.reason)
            })
        } else {
            self.init(groupId: wire.groupId, memberId: wire.memberId)
        }
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// As Kafka's `LeaveGroupRequest.Builder`: v3+ always send `members` (a single `memberId`
    /// becomes a one-member batch; an empty one, an empty batch); v0-2 send one `memberId`, the
    /// first member's (Kafka refuses any other count; a static member named only by its
    /// instance id cannot leave in v0-2). Reasons are dropped before v5.
    public func wire(version: Int16) -> Wire.LeaveGroupRequest {
        if version >= 3 {
            let all = !members.isEmpty || memberId.isEmpty ? members : [MemberIdentity(memberId: memberId)]
            return Wire.LeaveGroupRequest(groupId: groupId, members: all.map {
                .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, reason: version >= 5 ? $0.reason : nil)
            })
        }
        return Wire.LeaveGroupRequest(groupId: groupId, memberId: members.first?.memberId ?? memberId)
    }
}

extension LeaveGroupResponse {
    /// The response as read off the wire in `version` (no throttle time in v0, no member
    /// results before v3).
    public init(wire: Wire.LeaveGroupResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, members: wire.members.map {
            MemberResponse(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: $0.errorCode)
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// As Kafka's `LeaveGroupResponse`: before v3 there are no member results, so the error is
    /// the top-level one, or if that is NONE the first member error.
    public func wire(version: Int16) -> Wire.LeaveGroupResponse {
        let throttle = version >= 1 ? throttleTimeMs : 0
        if version >= 3 {
            return Wire.LeaveGroupResponse(throttleTimeMs: throttle, errorCode: errorCode, members: members.map {
                .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: $0.errorCode)
            })
        }
        let error = errorCode != .none ? errorCode : members.first { $0.errorCode != .none }?.errorCode ?? .none
        return Wire.LeaveGroupResponse(throttleTimeMs: throttle, errorCode: error)
    }
}
