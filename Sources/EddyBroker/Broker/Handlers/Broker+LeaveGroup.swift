import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// LeaveGroup, both forms: v0-2 name one member in `memberId` (its error is the top-level
    /// one), v3+ a batch in `members` (one result each).
    func handleLeaveGroup(_ r: LeaveGroupRequest) -> LeaveGroupResponse {
        if r.groupId.isEmpty { return LeaveGroupResponse(errorCode: .invalidGroupId) }
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return LeaveGroupResponse(errorCode: e) }
        let single = r.members.isEmpty
        let leaving = single ? [GroupCoordinator.MemberIdentity(memberId: r.memberId)]
            : r.members.map { GroupCoordinator.MemberIdentity(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId) }
        let outcome = groups.coordinator.leaveGroup(groupId: r.groupId, members: leaving, now: cluster.clock.nowMs())
        cluster.carryOut(outcome.actions, on: self)
        let result = outcome.response
        if single { return LeaveGroupResponse(errorCode: result.error != .none ? result.error : result.members.first?.1 ?? .none) }
        return LeaveGroupResponse(errorCode: result.error, members: result.members.map {
            .init(memberId: $0.0.memberId, groupInstanceId: $0.0.groupInstanceId, errorCode: $0.1)
        })
    }
}
