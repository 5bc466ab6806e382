import EddyProtocol

/// Heartbeat, LeaveGroup and timer expiry.
extension GroupCoordinator {
    /// Heartbeat: NONE keeps the session alive; REBALANCE_IN_PROGRESS tells the member to rejoin.
    public mutating func heartbeat(groupId: String, member: MemberIdentity, generationId: Int32, now: Int64) -> Outcome<ErrorCode> {
        guard var group = groups[groupId] else { return Outcome(response: .unknownMemberId, actions: []) }
        if group.state == .dead { return Outcome(response: .coordinatorNotAvailable, actions: []) }
        if group.isStaticMemberFenced(memberId: member.memberId, instanceId: member.groupInstanceId) {
            return Outcome(response: .fencedInstanceId, actions: [])
        }
        guard group.has(member.memberId) else { return Outcome(response: .unknownMemberId, actions: []) }
        if generationId != group.generationId { return Outcome(response: .illegalGeneration, actions: []) }
        var actions: [GroupAction] = []
        let error: ErrorCode
        switch group.state {
        case .empty, .dead:
            error = .unknownMemberId
        case .completingRebalance, .stable:
            scheduleHeartbeat(&group, member.memberId, now: now, &actions)
            error = .none
        case .preparingRebalance:
            scheduleHeartbeat(&group, member.memberId, now: now, &actions)
            error = .rebalanceInProgress
        }
        groups[groupId] = group
        return Outcome(response: error, actions: actions)
    }

    public struct LeaveResult: Equatable, Sendable {
        public var error: ErrorCode
        /// Per leaving member, in request order.
        public var members: [(MemberIdentity, ErrorCode)]

        public static func == (a: LeaveResult, b: LeaveResult) -> Bool {
            a.error == b.error && a.members.map(\.0) == b.members.map(\.0) && a.members.map(\.1) == b.members.map(\.1)
        }
    }

    /// LeaveGroup (v3+ batch form). A static member may leave by `group.instance.id` alone (member id "").
    public mutating func leaveGroup(groupId: String, members leaving: [MemberIdentity], now: Int64) -> Outcome<LeaveResult> {
        guard var group = groups[groupId] else {
            return Outcome(response: LeaveResult(error: .none, members: leaving.map { ($0, .unknownMemberId) }), actions: [])
        }
        if group.state == .dead {
            return Outcome(response: LeaveResult(error: .coordinatorNotAvailable, members: []), actions: [])
        }
        var actions: [GroupAction] = []
        var results: [(MemberIdentity, ErrorCode)] = []
        for identity in leaving {
            var memberId = identity.memberId
            if memberId.isEmpty, let instance = identity.groupInstanceId {
                guard let current = group.staticMembers[instance] else { results.append((identity, .unknownMemberId)); continue }
                memberId = current
            }
            if group.pendingMembers[memberId] != nil {
                removePendingMemberAndUpdateGroup(&group, memberId, now: now, &actions)
                results.append((identity, .none))
            } else if group.isStaticMemberFenced(memberId: memberId, instanceId: identity.groupInstanceId) {
                results.append((identity, .fencedInstanceId))
            } else if !group.has(memberId) {
                results.append((identity, .unknownMemberId))
            } else {
                removeMemberAndUpdateGroup(&group, memberId, now: now, &actions)
                results.append((identity, .none))
            }
        }
        group.checkInvariants()
        groups[groupId] = group
        return Outcome(response: LeaveResult(error: .none, members: results), actions: actions)
    }

    /// The earliest deadline of any group, if any: when `expireTimers` next has work.
    public var nextDeadlineMs: Int64? {
        groups.values.flatMap { g -> [Int64] in
            var d = g.members.values.filter { $0.joinToken == nil && $0.syncToken == nil }.map(\.heartbeatDeadlineMs)
            d += g.pendingMembers.values
            if let j = g.joinDeadlineMs { d.append(j) }
            if let s = g.syncDeadlineMs { d.append(s) }
            return d
        }.min()
    }

    /// Runs every deadline that is due (`deadline <= now`): session expiry (a member awaiting
    /// join or sync is kept alive by the rebalance timeout instead), unused pending member ids,
    /// the end of the join phase, and the sync timeout.
    public mutating func expireTimers(now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for groupId in groups.keys.sorted() {
            guard var group = groups[groupId], group.state != .dead else { continue }
            for (id, deadline) in group.pendingMembers.sorted(by: { $0.key < $1.key }) where deadline <= now {
                removePendingMemberAndUpdateGroup(&group, id, now: now, &actions)
            }
            for id in group.memberOrder {
                guard let m = group.members[id], m.joinToken == nil, m.syncToken == nil, m.heartbeatDeadlineMs <= now else { continue }
                removeMemberAndUpdateGroup(&group, id, now: now, &actions)
            }
            if group.state == .completingRebalance, let deadline = group.syncDeadlineMs, deadline <= now {
                let laggards = group.memberOrder.filter(group.pendingSync.contains)
                for id in laggards {
                    if let token = group.members[id]?.syncToken { actions.append(.syncResponse(token, SyncResult(error: .unknownMemberId))) }
                    group.removeMember(id)
                }
                prepareRebalance(&group, now: now, &actions)
                maybeCompleteJoin(&group, now: now, &actions)
            }
            while group.state == .preparingRebalance, let deadline = group.joinDeadlineMs, deadline <= now {
                if let remaining = group.initialDelayRemainingMs, group.newMemberAdded, remaining > 0 {
                    // Extensions count from the expired deadline, so a late call behaves like a timely one.
                    let delay = min(Int64(config.groupInitialRebalanceDelayMs), remaining)
                    group.initialDelayRemainingMs = remaining - delay
                    group.newMemberAdded = false
                    group.joinDeadlineMs = deadline + delay
                    actions.append(.scheduleTimer(.join(group: groupId), atMs: deadline + delay))
                } else {
                    completeJoin(&group, now: now, &actions)
                }
            }
            group.checkInvariants()
            groups[groupId] = group
        }
        return actions
    }
}
