import EddyProtocol
import EddyStorage

/// The broker's request path: `deliver` hands each request to its API's handler, one file per
/// API in `Handlers/` (`Cluster+Produce.swift`, `Cluster+Fetch.swift`, ...), with the lookups
/// they share below. Produce, Fetch and ListOffsets hold the cluster lock only to check and to update
/// in-memory state, never while a log is written or read (see `Replica` for the locks).
extension Cluster {
    /// Entry point of every transport: runs `request` on broker `node`. A broker that is not
    /// running answers `brokerUnavailable`, like a refused connection. Every request but
    /// ApiVersions is served; Produce (acks=all), Fetch (long polling), JoinGroup, SyncGroup and
    /// the requests that write to `__consumer_offsets` may be answered later, from another
    /// call's stack (the one that moved the high watermark, ran the timer, ...).
    public func deliver(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                        completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        if case let .eddyBrokerControl(r) = request { return controlBroker(r, via: node, completion: completion) }
        guard let broker = lock.withLock({ isShutDown ? nil : nodes[node] }) else {
            return completion(.failure(.brokerUnavailable(node)))
        }
        let respond: @Sendable (KafkaResponse) -> Void = { completion(.success($0)) }
        // Produce, Fetch and ListOffsets take the lock themselves, and not while they write or
        // read a log.
        switch request {
        case let .produce(r): handleProduce(r, on: broker, respond: respond)
        case let .listOffsets(r): handleListOffsets(r, on: broker, respond: respond)
        case let .fetch(r): handleFetchRequest(r, context: context, on: broker, respond: countingFetchBytes(on: node, respond))
        default:
            let handled: Bool = lock.withLock {
                guard !isShutDown, nodes[node] === broker else { return false }
                handleLocked(request, context: context, on: broker, respond: respond)
                return true
            }
            if !handled { completion(.failure(.brokerUnavailable(node))) }
        }
        flushDeferred()
    }

    /// The requests served under the cluster lock. Caller holds the lock.
    private func handleLocked(_ request: KafkaRequest, context: RequestContext, on broker: BrokerNode,
                              respond: @escaping @Sendable (KafkaResponse) -> Void) {
        switch request {
        case let .metadata(r): queue(respond, .metadata(handleMetadata(r)))
        case let .offsetForLeaderEpoch(r): queue(respond, .offsetForLeaderEpoch(handleOffsetForLeaderEpoch(r, on: broker)))
        case let .initProducerId(r): queue(respond, .initProducerId(handleInitProducerId(r, on: broker)))
        case let .findCoordinator(r): queue(respond, .findCoordinator(handleFindCoordinator(r)))
        case let .joinGroup(r): handleJoinGroup(r, context: context, on: broker, respond: respond)
        case let .syncGroup(r): handleSyncGroup(r, on: broker, respond: respond)
        case let .heartbeat(r): queue(respond, .heartbeat(handleHeartbeat(r, on: broker)))
        case let .leaveGroup(r): queue(respond, .leaveGroup(handleLeaveGroup(r, on: broker)))
        case let .offsetCommit(r): handleOffsetCommit(r, on: broker, respond: respond)
        case let .offsetFetch(r): queue(respond, .offsetFetch(handleOffsetFetch(r, on: broker)))
        case let .offsetDelete(r): handleOffsetDelete(r, on: broker, respond: respond)
        case let .describeGroups(r): queue(respond, .describeGroups(handleDescribeGroups(r, on: broker)))
        case let .listGroups(r): queue(respond, .listGroups(handleListGroups(r, on: broker)))
        case let .deleteGroups(r): handleDeleteGroups(r, on: broker, respond: respond)
        case let .createTopics(r): queue(respond, .createTopics(handleCreateTopics(r)))
        case let .deleteTopics(r): queue(respond, .deleteTopics(handleDeleteTopics(r)))
        case let .deleteRecords(r): queue(respond, .deleteRecords(handleDeleteRecords(r, on: broker)))
        case let .describeConfigs(r): queue(respond, .describeConfigs(handleDescribeConfigs(r)))
        case let .incrementalAlterConfigs(r): queue(respond, .incrementalAlterConfigs(handleIncrementalAlterConfigs(r)))
        case let .describeLogDirs(r): queue(respond, .describeLogDirs(handleDescribeLogDirs(r, on: broker)))
        case .apiVersions: queue(respond, .apiVersions(ApiVersionsResponse(wire: SupportedApis.apiVersionsResponse(), version: 4)))
        case let .eddyFetchPositions(r): queue(respond, .eddyFetchPositions(handleFetchPositions(r)))
        case .produce, .fetch, .listOffsets, .eddyBrokerControl: preconditionFailure("served outside the lock")
        }
    }

    func queue(_ respond: @escaping @Sendable (KafkaResponse) -> Void, _ response: KafkaResponse) {
        deferred.append { respond(response) }
    }

    enum LeaderLookup {
        case success(Replica)
        case failure(ErrorCode)
    }

    /// The replica of `tp` on `node` if it leads it (in `currentLeaderEpoch`, when the request
    /// names one: see `checkLeaderEpoch`), else the error a client gets.
    func leaderReplica(_ tp: TopicPartition, currentLeaderEpoch: Int32 = -1, on node: BrokerNode) -> LeaderLookup {
        guard metadataLog.image.partition(tp) != nil else { return .failure(.unknownTopicOrPartition) }
        guard let replica = node.replicas[tp], replica.isLeader else { return .failure(.notLeaderOrFollower) }
        if let e = checkLeaderEpoch(currentLeaderEpoch, replica) { return .failure(e) }
        return .success(replica)
    }

    /// Kafka's leader epoch fencing of a request that names the epoch it expects.
    func checkLeaderEpoch(_ requested: Int32, _ replica: Replica) -> ErrorCode? {
        guard requested >= 0 else { return nil }
        if requested < replica.leaderEpoch { return .fencedLeaderEpoch }
        if requested > replica.leaderEpoch { return .unknownLeaderEpoch }
        return nil
    }
}
