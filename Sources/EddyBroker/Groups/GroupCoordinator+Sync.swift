import EddyProtocol

/// SyncGroup (Kafka's `handleSyncGroup`): the leader's assignment is stored and distributed;
/// followers that sync first wait for it.
extension GroupCoordinator {
    public mutating func syncGroup(_ request: SyncGroup, token: GroupRequestToken, now: Int64) -> [GroupAction] {
        let fail = { (e: ErrorCode) -> [GroupAction] in [.syncResponse(token, SyncResult(error: e))] }
        guard var group = groups[request.groupId] else { return fail(.unknownMemberId) }
        if group.state == .dead { return fail(.coordinatorNotAvailable) }
        if group.isStaticMemberFenced(memberId: request.memberId, instanceId: request.groupInstanceId) { return fail(.fencedInstanceId) }
        guard group.has(request.memberId) else { return fail(.unknownMemberId) }
        if request.generationId != group.generationId { return fail(.illegalGeneration) }
        if let type = request.protocolType, type != group.protocolType { return fail(.inconsistentGroupProtocol) }
        if let name = request.protocolName, name != group.protocolName { return fail(.inconsistentGroupProtocol) }

        var actions: [GroupAction] = []
        switch group.state {
        case .empty:
            return fail(.unknownMemberId)
        case .preparingRebalance:
            return fail(.rebalanceInProgress)
        case .completingRebalance:
            if let old = group.members[request.memberId]?.syncToken {
                actions.append(.syncResponse(old, SyncResult(error: .rebalanceInProgress)))
            }
            group.members[request.memberId]?.syncToken = token
            group.pendingSync.remove(request.memberId)
            if group.leaderId == request.memberId {
                for id in group.memberOrder { group.members[id]?.assignment = request.assignments[id] ?? [] }
                group.transition(to: .stable, now: now)
                group.pendingSync = []
                group.syncDeadlineMs = nil
                actions.append(groupRecord(group))
                for id in group.memberOrder {
                    guard let m = group.members[id], let waiting = m.syncToken else { continue }
                    group.members[id]?.syncToken = nil
                    actions.append(.syncResponse(waiting, SyncResult(
                        error: .none, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment)))
                    scheduleHeartbeat(&group, id, now: now, &actions)
                }
            }
        case .stable:
            // The member lost its response: resend its assignment.
            let m = group.members[request.memberId]!
            scheduleHeartbeat(&group, m.memberId, now: now, &actions)
            actions.append(.syncResponse(token, SyncResult(
                error: .none, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment)))
        case .dead:
            preconditionFailure("handled above")
        }
        group.checkInvariants()
        groups[request.groupId] = group
        return actions
    }
}
