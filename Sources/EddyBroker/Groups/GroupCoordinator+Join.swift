import EddyProtocol

/// JoinGroup (Kafka's `handleJoinGroup` for the classic protocol).
extension GroupCoordinator {
    /// Handles a JoinGroup. The response may be delayed until the join phase completes: it comes
    /// back as `.joinResponse(token, ...)` in the actions of this or a later event.
    public mutating func joinGroup(_ request: JoinGroup, token: GroupRequestToken, now: Int64) -> [GroupAction] {
        let fail = { (e: ErrorCode) -> [GroupAction] in [.joinResponse(token, .failure(e, memberId: request.memberId))] }
        if request.groupId.isEmpty { return fail(.invalidGroupId) }
        if request.sessionTimeoutMs < config.groupMinSessionTimeoutMs || request.sessionTimeoutMs > config.groupMaxSessionTimeoutMs {
            return fail(.invalidSessionTimeout)
        }
        var group: ClassicGroup
        if let existing = groups[request.groupId] {
            group = existing
        } else {
            if !request.memberId.isEmpty { return fail(.unknownMemberId) }
            group = ClassicGroup(groupId: request.groupId, now: now)
        }
        if group.state == .dead { return fail(.coordinatorNotAvailable) }
        if !group.supportsProtocols(type: request.protocolType, names: request.protocols.map(\.name)) {
            return fail(.inconsistentGroupProtocol)
        }
        var actions: [GroupAction] = []
        if request.memberId.isEmpty {
            joinUnknownMember(&group, request, token: token, now: now, &actions)
        } else {
            joinKnownMember(&group, request, token: token, now: now, &actions)
        }
        group.checkInvariants()
        groups[request.groupId] = group
        return actions
    }

    private mutating func joinUnknownMember(_ group: inout ClassicGroup, _ request: JoinGroup, token: GroupRequestToken,
                                            now: Int64, _ actions: inout [GroupAction]) {
        let newMemberId = (request.groupInstanceId ?? request.clientId) + "-" + randomUuidString()
        if let instance = request.groupInstanceId, let oldMemberId = group.staticMembers[instance] {
            replaceStaticMember(&group, oldMemberId: oldMemberId, newMemberId: newMemberId, request, token: token, now: now, &actions)
            return
        }
        if group.members.count + group.pendingMembers.count >= config.groupMaxSize {
            actions.append(.joinResponse(token, .failure(.groupMaxSizeReached, memberId: "")))
            return
        }
        if request.groupInstanceId == nil && request.requireKnownMemberId {
            let deadline = now + Int64(request.sessionTimeoutMs)
            group.pendingMembers[newMemberId] = deadline
            actions.append(.scheduleTimer(.heartbeat(group: group.groupId, memberId: newMemberId), atMs: deadline))
            actions.append(.joinResponse(token, .failure(.memberIdRequired, memberId: newMemberId)))
            return
        }
        addMemberAndRebalance(&group, memberId: newMemberId, request, token: token, now: now, &actions)
    }

    private mutating func joinKnownMember(_ group: inout ClassicGroup, _ request: JoinGroup, token: GroupRequestToken,
                                          now: Int64, _ actions: inout [GroupAction]) {
        let memberId = request.memberId
        if group.pendingMembers[memberId] != nil {
            group.pendingMembers[memberId] = nil
            addMemberAndRebalance(&group, memberId: memberId, request, token: token, now: now, &actions)
            return
        }
        if group.isStaticMemberFenced(memberId: memberId, instanceId: request.groupInstanceId) {
            actions.append(.joinResponse(token, .failure(.fencedInstanceId, memberId: memberId)))
            return
        }
        guard let member = group.members[memberId] else {
            actions.append(.joinResponse(token, .failure(.unknownMemberId, memberId: memberId)))
            return
        }
        switch group.state {
        case .preparingRebalance:
            updateMemberAndRebalance(&group, memberId, request, token: token, now: now, &actions)
        case .completingRebalance:
            if member.protocols == request.protocols {
                // The member lost its join response: resend the current generation's.
                actions.append(.joinResponse(token, currentJoinResult(group, memberId: memberId)))
            } else {
                updateMemberAndRebalance(&group, memberId, request, token: token, now: now, &actions)
            }
        case .stable:
            if group.leaderId == memberId || member.protocols != request.protocols {
                updateMemberAndRebalance(&group, memberId, request, token: token, now: now, &actions)
            } else {
                actions.append(.joinResponse(token, currentJoinResult(group, memberId: memberId)))
            }
        case .empty, .dead:
            actions.append(.joinResponse(token, .failure(.unknownMemberId, memberId: memberId)))
        }
    }

    private func currentJoinResult(_ group: ClassicGroup, memberId: String, skipAssignment: Bool = false) -> JoinResult {
        let isLeader = group.leaderId == memberId
        return JoinResult(
            error: .none, generationId: group.generationId, protocolType: group.protocolType, protocolName: group.protocolName,
            leaderId: group.leaderId ?? "", memberId: memberId, skipAssignment: skipAssignment && isLeader,
            members: isLeader ? group.memberOrder.compactMap { group.members[$0] }.map {
                JoinedMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: group.protocolName))
            } : [])
    }

    private func addMemberAndRebalance(_ group: inout ClassicGroup, memberId: String, _ request: JoinGroup, token: GroupRequestToken,
                                       now: Int64, _ actions: inout [GroupAction]) {
        var member = GroupMember(memberId: memberId, groupInstanceId: request.groupInstanceId, clientId: request.clientId,
                                 clientHost: request.clientHost, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
                                 sessionTimeoutMs: request.sessionTimeoutMs, protocols: request.protocols)
        member.joinToken = token
        group.addMember(member, protocolType: request.protocolType)
        if group.state == .preparingRebalance { group.newMemberAdded = true }
        maybePrepareRebalance(&group, now: now, &actions)
        maybeCompleteJoin(&group, now: now, &actions)
    }

    private func updateMemberAndRebalance(_ group: inout ClassicGroup, _ memberId: String, _ request: JoinGroup, token: GroupRequestToken,
                                          now: Int64, _ actions: inout [GroupAction]) {
        if let old = group.members[memberId]?.joinToken {
            // A duplicate join supersedes the earlier one, which is answered with REBALANCE_IN_PROGRESS.
            actions.append(.joinResponse(old, .failure(.rebalanceInProgress, memberId: memberId)))
        }
        group.members[memberId]?.protocols = request.protocols
        group.members[memberId]?.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        group.members[memberId]?.sessionTimeoutMs = request.sessionTimeoutMs
        group.members[memberId]?.joinToken = token
        maybePrepareRebalance(&group, now: now, &actions)
        maybeCompleteJoin(&group, now: now, &actions)
    }

    /// KIP-345: a static member rejoining with a new member id replaces its old id. In a Stable
    /// group with unchanged protocols there is no rebalance; the old id is fenced.
    private func replaceStaticMember(_ group: inout ClassicGroup, oldMemberId: String, newMemberId: String, _ request: JoinGroup,
                                     token: GroupRequestToken, now: Int64, _ actions: inout [GroupAction]) {
        guard var member = group.members[oldMemberId] else { preconditionFailure("static mapping to a missing member") }
        if let old = member.joinToken { actions.append(.joinResponse(old, .failure(.fencedInstanceId, memberId: oldMemberId))) }
        if let old = member.syncToken { actions.append(.syncResponse(old, SyncResult(error: .fencedInstanceId))) }
        member.protocols = request.protocols
        member.joinToken = nil
        member.syncToken = nil
        member.memberId = newMemberId
        member.clientId = request.clientId
        member.clientHost = request.clientHost
        member.sessionTimeoutMs = request.sessionTimeoutMs
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        group.members[oldMemberId] = nil
        group.members[newMemberId] = member
        group.memberOrder = group.memberOrder.map { $0 == oldMemberId ? newMemberId : $0 }
        group.staticMembers[request.groupInstanceId!] = newMemberId
        if group.leaderId == oldMemberId { group.leaderId = newMemberId }
        if group.pendingSync.remove(oldMemberId) != nil { group.pendingSync.insert(newMemberId) }
        // As Kafka does: a returning static member's metadata always differs (owned partitions,
        // generation), so only a change of the group's selected protocol forces a rebalance.
        let protocolsUnchanged = group.selectProtocol() == group.protocolName

        switch group.state {
        case .stable where protocolsUnchanged:
            actions.append(groupRecord(group))
            scheduleHeartbeat(&group, newMemberId, now: now, &actions)
            actions.append(.joinResponse(token, currentJoinResult(group, memberId: newMemberId, skipAssignment: true)))
        case .stable, .completingRebalance, .preparingRebalance:
            updateMemberAndRebalance(&group, newMemberId, request, token: token, now: now, &actions)
        case .empty, .dead:
            preconditionFailure("static member in a \(group.state) group")
        }
    }
}
