import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    func handleHeartbeat(_ r: HeartbeatRequest) -> HeartbeatResponse {
        if r.groupId.isEmpty { return HeartbeatResponse(errorCode: .invalidGroupId) }
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return HeartbeatResponse(errorCode: e) }
        let outcome = groups.coordinator.heartbeat(
            groupId: r.groupId, member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId),
            generationId: r.generationId, now: cluster.clock.nowMs())
        cluster.carryOut(outcome.actions, on: self)
        return HeartbeatResponse(errorCode: outcome.response)
    }
}
