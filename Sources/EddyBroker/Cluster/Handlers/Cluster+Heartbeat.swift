import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to `deferred`.
extension Cluster {
    func handleHeartbeat(_ r: HeartbeatRequest, on node: BrokerNode) -> HeartbeatResponse {
        if r.groupId.isEmpty { return HeartbeatResponse(errorCode: .invalidGroupId) }
        if let e = coordinatorError(for: r.groupId, on: node) { return HeartbeatResponse(errorCode: e) }
        let outcome = node.groups.coordinator.heartbeat(
            groupId: r.groupId, member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId),
            generationId: r.generationId, now: clock.nowMs())
        carryOut(outcome.actions, on: node)
        return HeartbeatResponse(errorCode: outcome.response)
    }
}
