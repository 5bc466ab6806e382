import EddyProtocol
import EddyStorage

/// The group APIs (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
/// OffsetFetch, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete): protocol structs in and
/// out of the broker's `GroupCoordinator`. Every function here expects the cluster lock held;
/// responses go to `deferred`.
///
/// A group is served by the leader of its `__consumer_offsets` partition once that partition is
/// loaded. Elsewhere a group request gets NOT_COORDINATOR, and COORDINATOR_LOAD_IN_PROGRESS while
/// the leader loads (Kafka's `validateGroupStatus` order: invalid group id first).
extension Cluster {
    /// The client host coordinators record for members (Kafka shows the connection's address).
    static let inProcessClientHost = "/in-process"

    /// Whether `node` coordinates `groupId` now: nil if it does, else the error to report.
    func coordinatorError(for groupId: String, on node: BrokerNode) -> ErrorCode? {
        guard metadataLog.image.topic(named: OffsetsTopic.name) != nil else { return .notCoordinator }
        switch node.groups.partitions[node.groups.partition(of: groupId)] {
        case .loaded: return nil
        case .loading: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        }
    }

    // MARK: FindCoordinator

    /// FindCoordinator for consumer groups: the leader of the group's `__consumer_offsets`
    /// partition, creating the topic on first use. COORDINATOR_NOT_AVAILABLE while that
    /// partition has no running leader. eddy has no transaction or share coordinators.
    func handleFindCoordinator(_ request: FindCoordinatorRequest) -> FindCoordinatorResponse {
        guard request.keyType == .group else {
            return request.errorResponse(.invalidRequest, message: "eddy has no \(request.keyType == .transaction ? "transaction" : "share") coordinator.")
        }
        let topic: TopicImage
        do { topic = try ensureOffsetsTopic() } catch {
            logger.warning("could not create \(OffsetsTopic.name)", metadata: ["error": "\(error)"])
            return request.errorResponse(.coordinatorNotAvailable, message: "The coordinator is not available: \(error)")
        }
        func lookup(_ key: String) -> FindCoordinatorResponse.Coordinator {
            let p = OffsetsTopic.partitionFor(groupId: key, partitionCount: Int32(max(1, topic.partitionCount)))
            guard let reg = topic.partitions[p], reg.hasLeader, nodes[reg.leader] != nil else {
                return .init(key: key, errorCode: .coordinatorNotAvailable, errorMessage: "The coordinator is not available.")
            }
            let endpoint = advertisedEndpoint(reg.leader)
            return .init(key: key, nodeId: reg.leader, host: endpoint.host, port: endpoint.port)
        }
        if request.isBatched { return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map(lookup)) }
        let c = lookup(request.key)
        return FindCoordinatorResponse(errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port)
    }

    // MARK: Membership

    func handleJoinGroup(_ r: JoinGroupRequest, context: RequestContext, on node: BrokerNode,
                         respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let fail = { (e: ErrorCode) in self.queue(respond, .joinGroup(JoinGroupResponse(errorCode: e, memberId: r.memberId))) }
        if r.groupId.isEmpty { return fail(.invalidGroupId) }
        if let e = coordinatorError(for: r.groupId, on: node) { return fail(e) }
        let token = nextGroupToken
        nextGroupToken += 1
        node.groups.pendingJoins[token] = .init(groupId: r.groupId, respond: respond)
        let join = GroupCoordinator.JoinGroup(
            groupId: r.groupId, memberId: r.memberId, groupInstanceId: r.groupInstanceId, clientId: context.clientId,
            clientHost: context.clientHost.isEmpty ? Cluster.inProcessClientHost : context.clientHost, sessionTimeoutMs: r.sessionTimeoutMs,
            rebalanceTimeoutMs: r.rebalanceTimeoutMs < 0 ? r.sessionTimeoutMs : r.rebalanceTimeoutMs,
            protocolType: r.protocolType, protocols: r.protocols.map { GroupProtocol(name: $0.name, metadata: $0.metadata) })
        carryOut(node.groups.coordinator.joinGroup(join, token: token, now: clock.nowMs()), on: node)
    }

    func handleSyncGroup(_ r: SyncGroupRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let fail = { (e: ErrorCode) in self.queue(respond, .syncGroup(SyncGroupResponse(errorCode: e))) }
        if r.groupId.isEmpty { return fail(.invalidGroupId) }
        if let e = coordinatorError(for: r.groupId, on: node) { return fail(e) }
        let token = nextGroupToken
        nextGroupToken += 1
        node.groups.pendingSyncs[token] = .init(groupId: r.groupId, respond: respond)
        let sync = GroupCoordinator.SyncGroup(
            groupId: r.groupId, generationId: r.generationId, memberId: r.memberId, groupInstanceId: r.groupInstanceId,
            protocolType: r.protocolType, protocolName: r.protocolName,
            assignments: Dictionary(r.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { _, last in last }))
        carryOut(node.groups.coordinator.syncGroup(sync, token: token, now: clock.nowMs()), on: node)
    }

    func handleHeartbeat(_ r: HeartbeatRequest, on node: BrokerNode) -> HeartbeatResponse {
        if r.groupId.isEmpty { return HeartbeatResponse(errorCode: .invalidGroupId) }
        if let e = coordinatorError(for: r.groupId, on: node) { return HeartbeatResponse(errorCode: e) }
        let outcome = node.groups.coordinator.heartbeat(
            groupId: r.groupId, member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId),
            generationId: r.generationId, now: clock.nowMs())
        carryOut(outcome.actions, on: node)
        return HeartbeatResponse(errorCode: outcome.response)
    }

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

    // MARK: Offsets

    /// OffsetCommit: partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION and are not
    /// stored; the rest go to the coordinator, and the response waits until their records are
    /// committed in `__consumer_offsets` (write failures mapped as Kafka's `storeOffsets` does).
    func handleOffsetCommit(_ r: OffsetCommitRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = coordinatorError(for: r.groupId, on: node) { return queue(respond, .offsetCommit(r.errorResponse(e))) }
        let image = metadataLog.image
        var known: [TopicPartition: GroupCoordinator.OffsetToCommit] = [:]
        var fixed: [TopicPartition: ErrorCode] = [:]
        for t in r.topics {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partitionIndex)
                if image.partition(tp) == nil {
                    fixed[tp] = .unknownTopicOrPartition
                } else {
                    known[tp] = .init(offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? "")
                }
            }
        }
        var stored: [TopicPartition: ErrorCode] = [:]
        var actions: [GroupAction] = []
        if !known.isEmpty {
            let outcome = node.groups.coordinator.commitOffsets(
                groupId: r.groupId, generationId: r.generationIdOrMemberEpoch,
                member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId), offsets: known, now: clock.nowMs())
            stored = outcome.response
            actions = outcome.actions
        }
        let partition = node.groups.partition(of: r.groupId)
        let results = fixed.merging(stored) { a, _ in a }
        carryOut(actions, on: node) { errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            var response = r.errorResponse(.none)
            for t in response.topics.indices {
                for i in response.topics[t].partitions.indices {
                    let tp = TopicPartition(response.topics[t].name, response.topics[t].partitions[i].partitionIndex)
                    let e = results[tp] ?? .unknownServerError
                    response.topics[t].partitions[i].errorCode = e == .none ? writeError : e
                }
            }
            respond(.offsetCommit(response))
        }
    }

    /// OffsetFetch, both forms. A partition without a committed offset reports offset -1 and no
    /// error; asking for all topics (nil) lists every partition with one.
    func handleOffsetFetch(_ r: OffsetFetchRequest, on node: BrokerNode) -> OffsetFetchResponse {
        func fetch(_ g: OffsetFetchRequest.OffsetFetchRequestGroup) -> OffsetFetchResponse.OffsetFetchResponseGroup {
            if let e = coordinatorError(for: g.groupId, on: node) { return .init(groupId: g.groupId, errorCode: e) }
            let coordinator = node.groups.coordinator
            let topics: [OffsetFetchResponse.OffsetFetchResponseTopic]
            if let asked = g.topics {
                let committed = coordinator.fetchOffsets(groupId: g.groupId, partitions: asked.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } })
                topics = asked.map { t in
                    .init(name: t.name, partitions: t.partitionIndexes.map { p in
                        Cluster.offsetFetchPartition(p, committed[TopicPartition(t.name, p)])
                    })
                }
            } else {
                let committed = coordinator.fetchOffsets(groupId: g.groupId)
                let byTopic = Dictionary(grouping: committed.keys.sorted(), by: \.topic)
                topics = byTopic.keys.sorted().map { name in
                    .init(name: name, partitions: byTopic[name]!.map { Cluster.offsetFetchPartition($0.partition, committed[$0]) })
                }
            }
            return .init(groupId: g.groupId, topics: topics)
        }
        if r.isBatched { return OffsetFetchResponse(groups: r.groups.map(fetch)) }
        let g = fetch(OffsetFetchRequest.OffsetFetchRequestGroup(groupId: r.groupId, topics: r.topics))
        return OffsetFetchResponse(topics: g.topics, errorCode: g.errorCode)
    }

    static func offsetFetchPartition(_ p: Int32, _ c: CommittedOffset?) -> OffsetFetchResponse.OffsetFetchResponsePartition {
        guard let c else { return .init(partitionIndex: p) }
        return .init(partitionIndex: p, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata)
    }

    /// OffsetDelete (KIP-496): GROUP_ID_NOT_FOUND for a group this coordinator does not hold;
    /// per partition UNKNOWN_TOPIC_OR_PARTITION for unknown topics, GROUP_SUBSCRIBED_TO_TOPIC
    /// while the group has members. Answered once the tombstones are committed.
    func handleOffsetDelete(_ r: OffsetDeleteRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = coordinatorError(for: r.groupId, on: node) { return queue(respond, .offsetDelete(r.errorResponse(e))) }
        guard let group = node.groups.coordinator.groups[r.groupId], group.state != .dead else {
            return queue(respond, .offsetDelete(r.errorResponse(.groupIdNotFound)))
        }
        let image = metadataLog.image
        let asked = r.topicPartitions
        let known = asked.filter { image.partition($0) != nil }
        let outcome = node.groups.coordinator.deleteOffsets(groupId: r.groupId, partitions: known, now: clock.nowMs())
        let results = outcome.response
        let partition = node.groups.partition(of: r.groupId)
        carryOut(outcome.actions, on: node) { errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            if writeError != .none { return respond(.offsetDelete(r.errorResponse(writeError))) }
            respond(.offsetDelete(OffsetDeleteResponse(topics: r.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { p in
                    .init(partitionIndex: p.partitionIndex, errorCode: results[TopicPartition(t.name, p.partitionIndex)] ?? .unknownTopicOrPartition)
                })
            })))
        }
    }

    // MARK: Administration

    /// DescribeGroups (v6): a group this coordinator does not hold is Dead with GROUP_ID_NOT_FOUND.
    func handleDescribeGroups(_ r: DescribeGroupsRequest, on node: BrokerNode) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: r.groups.map { groupId in
            if let e = coordinatorError(for: groupId, on: node) { return .init(errorCode: e, groupId: groupId) }
            let coordinator = node.groups.coordinator
            guard let group = coordinator.groups[groupId], group.state != .dead else {
                return .init(errorCode: .groupIdNotFound, errorMessage: "Group \(groupId) not found.", groupId: groupId,
                             groupState: GroupState.dead.rawValue)
            }
            let d = coordinator.describeGroup(groupId)
            return .init(groupId: groupId, groupState: d.state.rawValue, protocolType: d.protocolType, protocolData: d.protocolName,
                         members: d.members.map {
                             .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                                   clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                         })
        })
    }

    /// ListGroups: the groups this broker coordinates (clients ask every broker), filtered by
    /// state (case-insensitive) and type (eddy's groups are all `classic`).
    /// COORDINATOR_LOAD_IN_PROGRESS, with the groups loaded so far, while a partition loads.
    func handleListGroups(_ r: ListGroupsRequest, on node: BrokerNode) -> ListGroupsResponse {
        let error: ErrorCode = node.groups.isLoading ? .coordinatorLoadInProgress : .none
        if !r.typesFilter.isEmpty, !r.typesFilter.contains(where: { $0.lowercased() == "classic" }) {
            return ListGroupsResponse(errorCode: error)
        }
        let wanted = Set(r.statesFilter.map { $0.lowercased() })
        let states = wanted.isEmpty ? nil : Set(GroupState.allCases.filter { wanted.contains($0.rawValue.lowercased()) })
        return ListGroupsResponse(errorCode: error, groups: node.groups.coordinator.listGroups(states: states).map {
            .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.state.rawValue, groupType: "classic")
        })
    }

    /// DeleteGroups: per group NOT_COORDINATOR / GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP, or deleted;
    /// answered once the tombstones are committed.
    func handleDeleteGroups(_ r: DeleteGroupsRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var results: [String: ErrorCode] = [:]
        var here: [String] = []
        for groupId in r.groupsNames {
            if let e = coordinatorError(for: groupId, on: node) { results[groupId] = e } else if !here.contains(groupId) { here.append(groupId) }
        }
        let outcome = node.groups.coordinator.deleteGroups(here, now: clock.nowMs())
        results.merge(outcome.response) { a, _ in a }
        let partitions = Dictionary(here.map { ($0, node.groups.partition(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let names = r.groupsNames
        let decided = results
        carryOut(outcome.actions, on: node) { errors in
            respond(.deleteGroups(DeleteGroupsResponse(results: names.map { groupId in
                var e = decided[groupId] ?? .unknownServerError
                if e == .none, let p = partitions[groupId] { e = Cluster.offsetWriteError(errors[p] ?? .none) }
                return .init(groupId: groupId, errorCode: e)
            })))
        }
    }
}
