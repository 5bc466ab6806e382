import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    func handleJoinGroup(_ r: JoinGroupRequest, context: RequestContext,
                         respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let fail = { (e: ErrorCode) in self.cluster.queue(respond, .joinGroup(JoinGroupResponse(errorCode: e, memberId: r.memberId))) }
        if r.groupId.isEmpty { return fail(.invalidGroupId) }
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return fail(e) }
        let token = cluster.nextGroupToken
        cluster.nextGroupToken += 1
        groups.pendingJoins[token] = .init(groupId: r.groupId, respond: respond)
        let join = GroupCoordinator.JoinGroup(
            groupId: r.groupId, memberId: r.memberId, groupInstanceId: r.groupInstanceId, clientId: context.clientId,
            clientHost: Cluster.clientHost(context), sessionTimeoutMs: r.sessionTimeoutMs,
            rebalanceTimeoutMs: r.rebalanceTimeoutMs < 0 ? r.sessionTimeoutMs : r.rebalanceTimeoutMs,
            protocolType: r.protocolType, protocols: r.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) })
        cluster.carryOut(groups.coordinator.joinGroup(join, token: token, now: cluster.clock.nowMs()), on: self)
    }
}
