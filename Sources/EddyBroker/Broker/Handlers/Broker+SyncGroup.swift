import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    func handleSyncGroup(_ r: SyncGroupRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let fail = { (e: ErrorCode) in self.cluster.queue(respond, .syncGroup(SyncGroupResponse(errorCode: e))) }
        if r.groupId.isEmpty { return fail(.invalidGroupId) }
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return fail(e) }
        let token = cluster.nextGroupToken
        cluster.nextGroupToken += 1
        groups.pendingSyncs[token] = .init(groupId: r.groupId, respond: respond)
        let sync = GroupCoordinator.SyncGroup(
            groupId: r.groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId: r.groupInstanceId,
            protocolType: r.protocolType, protocolName: r.protocolName,
            assignments: Dictionary(r.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { _, last in last }))
        cluster.carryOut(groups.coordinator.syncGroup(sync, token: token, now: cluster.clock.nowMs()), on: self)
    }
}
