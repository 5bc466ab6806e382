import EddyProtocol

/// The rebalance machinery shared by every event: entering PreparingRebalance, completing the
/// join phase, and removing members.
extension GroupCoordinator {
    /// Schedules the member's next session expiry (Kafka's `completeAndScheduleNextHeartbeatExpiration`).
    func scheduleHeartbeat(_ group: inout ClassicGroup, _ memberId: String, now: Int64, _ actions: inout [GroupAction]) {
        guard let session = group.members[memberId]?.sessionTimeoutMs else { return }
        let deadline = now + Int64(session)
        group.members[memberId]?.heartbeatDeadlineMs = deadline
        actions.append(.scheduleTimer(.heartbeat(group: group.groupId, memberId: memberId), atMs: deadline))
    }

    func maybePrepareRebalance(_ group: inout ClassicGroup, now: Int64, _ actions: inout [GroupAction]) {
        if [.stable, .completingRebalance, .empty].contains(group.state) { prepareRebalance(&group, now: now, &actions) }
    }

    /// Enters PreparingRebalance: pending SyncGroups fail with REBALANCE_IN_PROGRESS and the join timer starts.
    func prepareRebalance(_ group: inout ClassicGroup, now: Int64, _ actions: inout [GroupAction]) {
        if group.state == .completingRebalance {
            for id in group.memberOrder {
                group.members[id]?.assignment = []
                if let token = group.members[id]?.syncToken {
                    group.members[id]?.syncToken = nil
                    actions.append(.syncResponse(token, SyncResult(error: .rebalanceInProgress)))
                }
            }
        }
        group.pendingSync = []
        group.syncDeadlineMs = nil
        let wasEmpty = group.state == .empty
        group.transition(to: .preparingRebalance, now: now)
        let timeout = group.rebalanceTimeoutMs
        let initialDelay = Int64(config.groupInitialRebalanceDelayMs)
        if wasEmpty && initialDelay > 0 {
            let delay = min(initialDelay, timeout)
            group.initialDelayRemainingMs = max(timeout - initialDelay, 0)
            group.newMemberAdded = false
            group.joinDeadlineMs = now + delay
        } else {
            group.initialDelayRemainingMs = nil
            group.joinDeadlineMs = now + timeout
        }
        actions.append(.scheduleTimer(.join(group: group.groupId), atMs: group.joinDeadlineMs!))
    }

    /// Completes the join phase early once every member (and no pending member) has rejoined.
    /// The initial rebalance delay only ends by its timer.
    func maybeCompleteJoin(_ group: inout ClassicGroup, now: Int64, _ actions: inout [GroupAction]) {
        guard group.state == .preparingRebalance, group.initialDelayRemainingMs == nil, group.allMembersJoined else { return }
        completeJoin(&group, now: now, &actions)
    }

    /// Ends the join phase with whoever rejoined: the others are removed, the generation is bumped
    /// and join responses go out (the leader's with every member's metadata).
    func completeJoin(_ group: inout ClassicGroup, now: Int64, _ actions: inout [GroupAction]) {
        precondition(group.state == .preparingRebalance, "completeJoin in \(group.state)")
        group.joinDeadlineMs = nil
        group.initialDelayRemainingMs = nil
        group.newMemberAdded = false
        for id in group.memberOrder where group.members[id]?.joinToken == nil { group.removeMember(id) }
        if let leader = group.leaderId, group.members[leader]?.joinToken == nil { group.leaderId = group.memberOrder.first }
        group.generationId &+= 1
        if group.members.isEmpty {
            group.protocolName = nil
            group.leaderId = nil
            group.transition(to: .empty, now: now)
            actions.append(groupRecord(group))
        } else {
            group.protocolName = group.selectProtocol()
            group.transition(to: .completingRebalance, now: now)
            let leader = group.leaderId ?? ""
            let everyone = group.memberOrder.compactMap { group.members[$0] }.map {
                JoinedMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: group.protocolName))
            }
            for id in group.memberOrder {
                guard let token = group.members[id]?.joinToken else { continue }
                group.members[id]?.joinToken = nil
                actions.append(.joinResponse(token, JoinResult(
                    error: .none, generationId: group.generationId, protocolType: group.protocolType,
                    protocolName: group.protocolName, leaderId: leader, memberId: id,
                    members: id == leader ? everyone : [])))
                scheduleHeartbeat(&group, id, now: now, &actions)
            }
            group.pendingSync = Set(group.memberOrder)
            let deadline = now + group.rebalanceTimeoutMs
            group.syncDeadlineMs = deadline
            actions.append(.scheduleTimer(.sync(group: group.groupId), atMs: deadline))
        }
        group.checkInvariants()
    }

    /// A member leaves or expires: its pending requests fail with UNKNOWN_MEMBER_ID and the group rebalances.
    func removeMemberAndUpdateGroup(_ group: inout ClassicGroup, _ memberId: String, now: Int64, _ actions: inout [GroupAction]) {
        guard let m = group.members[memberId] else { return }
        if let token = m.joinToken { actions.append(.joinResponse(token, .failure(.unknownMemberId, memberId: memberId))) }
        if let token = m.syncToken { actions.append(.syncResponse(token, SyncResult(error: .unknownMemberId))) }
        group.removeMember(memberId)
        switch group.state {
        case .stable, .completingRebalance:
            prepareRebalance(&group, now: now, &actions)
            maybeCompleteJoin(&group, now: now, &actions)
        case .preparingRebalance:
            maybeCompleteJoin(&group, now: now, &actions)
        case .empty, .dead:
            break
        }
    }

    func removePendingMemberAndUpdateGroup(_ group: inout ClassicGroup, _ memberId: String, now: Int64, _ actions: inout [GroupAction]) {
        group.pendingMembers[memberId] = nil
        maybeCompleteJoin(&group, now: now, &actions)
    }
}
