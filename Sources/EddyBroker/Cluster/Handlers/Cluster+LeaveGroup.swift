import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to `deferred`.
extension Cluster {
    /// LeaveGroup, both forms: v0-2 name one member in `memberId` (its error is the top-level
    /// one), v3+ a batch in `members` (one result each).
    func handleLeaveGroup(_ r: LeaveGroupRequest, on node: BrokerNode) -> LeaveGroupResponse {
        if r.groupId.isEmpty { return LeaveGroupResponse(errorCode: .invalidGroupId) }
        if let e = coordinatorError(for: r.groupId, on: node) { return LeaveGroupResponse(errorCode: e) }
        let single = r.members.isEmpty
        let leaving = single ? [GroupCoordinator.MemberIdentity(memberId: r.memberId)]
            : r.members.map { GroupCoordinator.MemberIdentity(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId) }
        let outcome = node.groups.coordinator.leaveGroup(groupId: r.groupId, members: leaving, now: clock.nowMs())
        carryOut(outcome.actions, on: node)
        let result = outcome.response
        if single { return LeaveGroupResponse(errorCode: result.error != .none ? result.error : result.members.first?.1 ?? .none) }
        return LeaveGroupResponse(errorCode: result.error, members: result.members.map {
            .init(memberId: $0.0.memberId, groupInstanceId: $0.0.groupInstanceId, errorCode: $0.1)
        })
    }
}
