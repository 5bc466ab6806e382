import EddyProtocol
import EddyStorage

extension Cluster {
    /// Entry point of every transport: runs `request` on broker `node`. A broker that is not
    /// running answers `brokerUnavailable`, like a refused connection. Every request but
    /// ApiVersions is served; Produce (acks=all), Fetch (long polling), JoinGroup, SyncGroup and
    /// the requests that write to `__consumer_offsets` may be answered later, from another
    /// call's stack (the one that moved the high watermark, ran the timer, ...).
    public func deliver(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                        completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        if case let .eddyBrokerControl(r) = request { return controlBroker(r, via: node, completion: completion) }
        let handled: Bool = lock.withLock {
            guard !isShutDown, let broker = nodes[node] else { return false }
            let respond: @Sendable (KafkaResponse) -> Void = { completion(.success($0)) }
            switch request {
            case let .produce(r): handleProduce(r, on: broker, respond: respond)
            case let .fetch(r):
                recordConsumerFetch(r, context: context)
                handleFetchRequest(r, on: broker, respond: countingFetchBytes(on: node, respond))
            case let .listOffsets(r): queue(respond, .listOffsets(handleListOffsets(r, on: broker)))
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
            case .eddyBrokerControl: preconditionFailure("handled before the lock")
            case let .eddyFetchPositions(r): queue(respond, .eddyFetchPositions(handleFetchPositions(r)))
            }
            return true
        }
        if !handled { completion(.failure(.brokerUnavailable(node))) }
        flushDeferred()
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

    // MARK: Produce

    /// Produce (Kafka's `ReplicaManager.appendRecords`): the leader appends; acks=0/1 answer at
    /// once, acks=all waits in the purgatory until the high watermark passes the batch.
    func handleProduce(_ request: ProduceRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        guard [-1, 0, 1].contains(request.acks) else {
            return queue(respond, .produce(request.errorResponse(.invalidRequiredAcks)))
        }
        var statuses: [DelayedProduce.PartitionStatus] = []
        for topic in request.topicData {
            for p in topic.partitionData {
                let tp = TopicPartition(topic.name, p.index)
                if TopicName.isInternal(tp.topic) {
                    // Only the broker's own coordinators write to internal topics (Kafka's
                    // ReplicaManager refuses clients with InvalidTopicException).
                    statuses.append(.failed(tp, .invalidTopicException, "Cannot append to internal topic \(tp.topic)"))
                    continue
                }
                statuses.append(appendForProduce(tp, records: p.records, acks: request.acks, on: node))
            }
        }
        let delayed = DelayedProduce(node: node.id, deadlineMs: clock.nowMs() + Int64(max(0, request.timeoutMs)),
                                     partitions: statuses, topicOrder: request.topicData.map(\.name), respond: respond)
        if delayed.isComplete {
            delayed.queueResponse(into: &deferred)
        } else {
            purgatory.append(delayed)
        }
    }

    func appendForProduce(_ tp: TopicPartition, records: [UInt8], acks: Int16, on node: BrokerNode) -> DelayedProduce.PartitionStatus {
        let replica: Replica
        switch leaderReplica(tp, on: node) {
        case let .success(r): replica = r
        case let .failure(e): return .failed(tp, e)
        }
        guard var state = replica.leaderState else { return .failed(tp, .notLeaderOrFollower) }
        let minIsr = replica.log.config.minInsyncReplicas
        if let e = state.checkAppend(requiredAcks: acks, minInsyncReplicas: minIsr) {
            return .failed(tp, e, "The size of the current ISR \(state.isr) is insufficient to satisfy the min.isr requirement of \(minIsr) for partition \(tp)")
        }
        let info: LogAppendInfo
        do {
            info = try replica.log.append(records, leaderEpoch: replica.leaderEpoch)
        } catch let e as StorageError {
            // Idempotence failures (StorageError.producer) carry their own Kafka error:
            // OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH or INVALID_RECORD.
            return .failed(tp, e.errorCode, e.description)
        } catch {
            return .failed(tp, .unknownServerError, "\(error)")
        }
        var response = ProduceResponse.PartitionProduceResponse(index: tp.partition)
        // acks=0: Kafka sends no response at all; in process the caller gets one, without an offset.
        // A retried idempotent batch already in the log (`isDuplicate`) was not written again: it
        // is acknowledged with its original offsets, under acks=all once they are committed.
        response.baseOffset = acks == 0 ? -1 : info.firstOffset
        response.logAppendTimeMs = info.logAppendTime
        response.logStartOffset = replica.log.logStartOffset
        if !info.isDuplicate {
            traffic.noteIn(node.id, bytes: records.count)
            let actions = state.onLocalAppend(logEndOffset: replica.log.logEndOffset)
            replica.leaderState = state
            perform(actions, replica: replica, node: node)
            noteAppended(tp, replicaCount: state.replicas.count)
        }
        let required = info.lastOffset + 1
        let status = DelayedProduce.PartitionStatus(topicPartition: tp, requiredOffset: required, response: response, done: acks != -1)
        return acks == -1 ? checkProduceStatus(status, node: node) : status
    }

    /// Kafka's `Partition.checkEnoughReplicasReachOffset`.
    func checkProduceStatus(_ s: DelayedProduce.PartitionStatus, node: BrokerNode) -> DelayedProduce.PartitionStatus {
        var s = s
        guard !s.done else { return s }
        guard let replica = node.replicas[s.topicPartition], let state = replica.leaderState else {
            s.response.errorCode = .notLeaderOrFollower
            s.response.baseOffset = -1
            s.done = true
            return s
        }
        switch state.acksAllOutcome(requiredOffset: s.requiredOffset, minInsyncReplicas: replica.log.config.minInsyncReplicas) {
        case .waiting: break
        case let .complete(error):
            if error != .none {
                s.response.errorCode = error
                s.response.errorMessage = "The ISR shrank below min.insync.replicas before the records were replicated."
            }
            s.done = true
        }
        return s
    }

    /// Re-checks waiting produces for `tp` on `node` (after the HW moved or the ISR changed).
    func completeDelayedProduces(_ tp: TopicPartition, node: Int32) {
        guard let broker = nodes[node] else { return }
        purgatory.removeAll { d in
            guard d.node == node, d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
            for i in d.partitions.indices where d.partitions[i].topicPartition == tp {
                d.partitions[i] = checkProduceStatus(d.partitions[i], node: broker)
            }
            guard d.isComplete else { return false }
            d.queueResponse(into: &deferred)
            return true
        }
    }

    /// Fails waiting produces for `tp` on `node` (it stopped leading).
    func failDelayedProduces(_ tp: TopicPartition, node: Int32, error: ErrorCode) {
        purgatory.removeAll { d in
            guard d.node == node, d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
            d.complete(error: error, into: &deferred)
            return true
        }
    }

    func failAllDelayedProduces(node: Int32) {
        purgatory.removeAll { d in
            guard d.node == node else { return false }
            d.complete(error: .notLeaderOrFollower, into: &deferred)
            return true
        }
    }

    /// Answers produces whose request.timeout.ms passed with REQUEST_TIMED_OUT.
    func expireDelayedProduces(now: Int64) {
        purgatory.removeAll { d in
            guard now >= d.deadlineMs else { return false }
            d.complete(error: .requestTimedOut, into: &deferred)
            return true
        }
    }

    // MARK: Fetch

    /// A Fetch, answered at once unless it is a consumer's that may wait (maxWaitMs > 0) and
    /// finds fewer than minBytes readable with no partition in error: then it waits in the fetch
    /// purgatory (see `DelayedFetch`).
    func handleFetchRequest(_ request: FetchRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let response = handleFetch(request, on: node)
        guard request.replicaId < 0, request.maxWaitMs > 0, !DelayedFetch.isSatisfied(response, by: request) else {
            return queue(respond, .fetch(response))
        }
        let deadline = clock.nowMs() + Int64(request.maxWaitMs)
        fetchPurgatory.append(DelayedFetch(node: node.id, request: request, deadlineMs: deadline, respond: respond))
        driverDeadline?(deadline)
    }

    /// Re-reads the waiting fetches of `tp` on `node` (its high watermark advanced, its replica
    /// changed role or went away, its log start moved) and answers those now satisfied.
    func completeDelayedFetches(_ tp: TopicPartition, node: Int32) {
        guard !fetchPurgatory.isEmpty else { return }
        fetchPurgatory.removeAll { d in
            guard d.node == node, d.partitions.contains(tp) else { return false }
            guard let broker = nodes[node] else {
                d.queue(d.request.errorResponse(.notLeaderOrFollower), into: &deferred)
                return true
            }
            let response = handleFetch(d.request, on: broker)
            guard DelayedFetch.isSatisfied(response, by: d.request) else { return false }
            d.queue(response, into: &deferred)
            return true
        }
    }

    /// Answers the waiting fetches whose fetch.max.wait.ms passed with whatever is readable.
    func expireDelayedFetches(now: Int64) {
        fetchPurgatory.removeAll { d in
            guard now >= d.deadlineMs else { return false }
            if let broker = nodes[d.node] {
                d.queue(handleFetch(d.request, on: broker), into: &deferred)
            } else {
                d.queue(d.request.errorResponse(.notLeaderOrFollower), into: &deferred)
            }
            return true
        }
    }

    /// Answers every waiting fetch on `node` with NOT_LEADER_OR_FOLLOWER (it stopped).
    func failAllDelayedFetches(node: Int32) {
        fetchPurgatory.removeAll { d in
            guard d.node == node else { return false }
            d.queue(d.request.errorResponse(.notLeaderOrFollower), into: &deferred)
            return true
        }
    }

    /// Fetch (Kafka's `ReplicaManager.fetchMessages`), served by leaders only. Consumers read
    /// below the high watermark; followers (replicaId ≥ 0) read up to the log end, report their
    /// position (which moves the ISR and the high watermark), and learn of divergence.
    func handleFetch(_ request: FetchRequest, on node: BrokerNode) -> FetchResponse {
        let now = clock.nowMs()
        var topics: [FetchResponse.FetchableTopicResponse] = []
        var budget = Int(max(1, request.maxBytes))
        for topic in request.topics {
            var partitions: [FetchResponse.PartitionData] = []
            for p in topic.partitions {
                let tp = TopicPartition(topic.topic, p.partition)
                partitions.append(fetchPartition(tp, p, replicaId: request.replicaId, replicaEpoch: request.replicaEpoch,
                                                 on: node, now: now, budget: &budget))
            }
            topics.append(.init(topic: topic.topic, partitions: partitions))
        }
        return FetchResponse(responses: topics)
    }

    private func fetchPartition(_ tp: TopicPartition, _ p: FetchRequest.FetchPartition, replicaId: Int32, replicaEpoch: Int64,
                                on node: BrokerNode, now: Int64, budget: inout Int) -> FetchResponse.PartitionData {
        var data = FetchResponse.PartitionData(partitionIndex: p.partition)
        let replica: Replica
        switch leaderReplica(tp, on: node) {
        case let .success(r): replica = r
        case let .failure(e): data.errorCode = e; return data
        }
        fetchFromLeader(&data, tp, p, replicaId: replicaId, replicaEpoch: replicaEpoch, replica: replica, node: node, now: now, budget: &budget)
        // Every answer from the leader carries its bounds, errors included (a follower out of
        // range needs them to decide where to restart).
        fillBounds(&data, replica.log)
        return data
    }

    private func fetchFromLeader(_ data: inout FetchResponse.PartitionData, _ tp: TopicPartition, _ p: FetchRequest.FetchPartition,
                                 replicaId: Int32, replicaEpoch: Int64, replica: Replica, node: BrokerNode, now: Int64, budget: inout Int) {
        let log = replica.log
        if let e = checkLeaderEpoch(p.currentLeaderEpoch, replica) { data.errorCode = e; return }
        let isFollower = replicaId >= 0
        if isFollower {
            // Only the current run of a running replica may report its position.
            guard let follower = nodes[replicaId], follower.incarnation == replicaEpoch,
                  replica.leaderState?.followers[replicaId] != nil else {
                data.errorCode = .staleBrokerEpoch
                return
            }
            // Divergence (KIP-320 / KIP-595): the follower's last epoch must end, on the leader,
            // at or after the follower's fetch offset; otherwise it truncates first.
            switch FetchOffsetValidation.validate(fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch,
                                                  logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
                                                  endOffsetForEpoch: { log.endOffset(forLeaderEpoch: $0) }) {
            case .valid: break
            case let .diverging(epochEnd):
                data.divergingEpoch = epochEnd
                return
            case .offsetOutOfRange:
                data.errorCode = .offsetOutOfRange
                return
            }
        }
        do {
            let limit = min(Int(max(1, p.partitionMaxBytes)), max(1, budget))
            let read = try log.read(from: p.fetchOffset, maxBytes: limit, upTo: isFollower ? nil : log.highWatermark)
            data.records = read.bytes
            budget -= read.bytes.count
        } catch let e as StorageError {
            data.errorCode = e.errorCode
        } catch {
            data.errorCode = .unknownServerError
        }
        if isFollower, data.errorCode == .none, var state = replica.leaderState {
            let actions = state.onFollowerFetch(replicaId: replicaId, fetchOffset: p.fetchOffset,
                                                leaderLogEndOffset: log.logEndOffset, now: now)
            replica.leaderState = state
            perform(actions, replica: replica, node: node)
        }
    }

    private func fillBounds(_ data: inout FetchResponse.PartitionData, _ log: PartitionLog) {
        data.highWatermark = log.highWatermark
        data.lastStableOffset = log.highWatermark
        data.logStartOffset = log.logStartOffset
    }

    // MARK: ListOffsets, Metadata, OffsetForLeaderEpoch

    /// ListOffsets (Kafka's `Partition.fetchOffsetForTimestamp`). What a client may see ends at
    /// the high watermark (read_uncommitted; read_committed uses the last stable offset, which is
    /// the high watermark while eddy has no transactions), or at the log end for a replica or
    /// debugging client (replicaId >= 0 or -2):
    /// - -2 earliest (and -4 earliest local): the log start offset;
    /// - -1 latest: that end;
    /// - -3 max timestamp (KIP-734): the first record with the largest timestamp;
    /// - t >= 0: the first record with a timestamp >= t;
    /// - -5 latest tiered: offset -1 (eddy has no tiered storage); other negative values are
    ///   INVALID_REQUEST;
    /// a lookup finding no record below the end answers offset -1, timestamp -1. The leader
    /// epoch is the epoch of the batch holding the answer (the latest epoch for "latest").
    func handleListOffsets(_ request: ListOffsetsRequest, on node: BrokerNode) -> ListOffsetsResponse {
        var response = request.errorResponse(.none)
        for t in response.topics.indices {
            for i in response.topics[t].partitions.indices {
                let asked = request.topics[t].partitions[i]
                var out = response.topics[t].partitions[i]
                let tp = TopicPartition(request.topics[t].name, asked.partitionIndex)
                switch leaderReplica(tp, currentLeaderEpoch: asked.currentLeaderEpoch, on: node) {
                case let .failure(e): out.errorCode = e
                case let .success(replica):
                    listOffset(&out, asked.timestamp, log: replica.log,
                               upTo: request.replicaId >= 0 || request.replicaId == -2 ? nil : replica.log.highWatermark)
                }
                response.topics[t].partitions[i] = out
            }
        }
        return response
    }

    private func listOffset(_ out: inout ListOffsetsResponse.ListOffsetsPartitionResponse, _ timestamp: Int64, log: PartitionLog, upTo: Int64?) {
        let end = upTo ?? log.logEndOffset
        let epochs = log.leaderEpochEntries
        func epoch(at offset: Int64) -> Int32 { epochs.last(where: { $0.startOffset <= offset })?.epoch ?? -1 }
        out.timestamp = -1
        out.offset = -1
        out.leaderEpoch = -1
        do {
            switch timestamp {
            case ListOffsetsRequest.earliestTimestamp, ListOffsetsRequest.earliestLocalTimestamp:
                out.offset = log.logStartOffset
                out.leaderEpoch = epoch(at: out.offset)
            case ListOffsetsRequest.latestTimestamp:
                out.offset = end
                out.leaderEpoch = epochs.last?.epoch ?? -1
            case ListOffsetsRequest.maxTimestamp:
                let largest = log.segments.map(\.largestTimestamp).max() ?? -1
                if largest >= 0, let found = try log.offset(forTimestamp: largest), found.offset < end {
                    out.offset = found.offset
                    out.timestamp = found.timestamp
                    out.leaderEpoch = epoch(at: found.offset)
                }
            case let ts where ts >= 0:
                if let found = try log.offset(forTimestamp: ts), found.offset < end {
                    out.offset = found.offset
                    out.timestamp = found.timestamp
                    out.leaderEpoch = epoch(at: found.offset)
                }
            case ListOffsetsRequest.latestTieredTimestamp:
                break // nothing is tiered: no offset
            default:
                out.errorCode = .invalidRequest
            }
        } catch let e as StorageError {
            out.errorCode = e.errorCode
        } catch {
            out.errorCode = .unknownServerError
        }
    }

    func handleMetadata(_ request: MetadataRequest) -> MetadataResponse {
        if let requested = request.topics, request.allowAutoTopicCreation, options.autoCreateTopicsEnable {
            for name in requested where metadataLog.image.topic(named: name) == nil { maybeAutoCreateTopic(name) }
        }
        let image = metadataLog.image
        let names = request.topics ?? image.topicNames
        let brokers = image.brokers.keys.sorted().filter { nodes[$0] != nil }
            .map { id in
                let endpoint = advertisedEndpoint(id)
                return MetadataResponse.MetadataResponseBroker(nodeId: id, host: endpoint.host, port: endpoint.port, rack: nil)
            }
        let topics = names.map { name -> MetadataResponse.MetadataResponseTopic in
            guard let topic = image.topic(named: name) else {
                return .init(errorCode: .unknownTopicOrPartition, name: name, topicId: .zero, isInternal: false, partitions: [])
            }
            let partitions = topic.partitionIds.map { p -> MetadataResponse.MetadataResponsePartition in
                let reg = topic.partitions[p]!
                return .init(errorCode: reg.hasLeader ? .none : .leaderNotAvailable, partitionIndex: p, leaderId: reg.leader,
                             leaderEpoch: reg.leaderEpoch, replicaNodes: reg.replicas, isrNodes: reg.isr,
                             offlineReplicas: reg.replicas.filter { nodes[$0] == nil })
            }
            return .init(errorCode: .none, name: name, topicId: topic.id, isInternal: TopicName.isInternal(name), partitions: partitions)
        }
        return MetadataResponse(brokers: brokers, clusterId: clusterId, controllerId: Cluster.controllerId, topics: topics)
    }

    /// `auto.create.topics.enable`: creates `name` with the broker defaults. A name Kafka would
    /// refuse (invalid, internal) is left alone, so the Metadata answer says why.
    func maybeAutoCreateTopic(_ name: String) {
        guard !TopicName.isInternal(name) else { return }
        let (id, start) = drawTopicIdAndAssignmentStart()
        do throws(BrokerError) {
            let created = try controller.createTopic(name: name, partitions: -1, replicationFactor: -1, configs: [:], topicId: id,
                                                     image: metadataLog.image, assignmentStart: start, assignments: nil)
            try commit(created.records)
            logger.info("auto-created topic", metadata: ["topic": "\(name)", "partitions": "\(created.partitions)"])
        } catch {
            logger.info("not auto-creating topic: \(error)", metadata: ["topic": "\(name)"])
        }
    }

    func handleOffsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest, on node: BrokerNode) -> OffsetForLeaderEpochResponse {
        var response = request.errorResponse(.none)
        for t in response.topics.indices {
            for i in response.topics[t].partitions.indices {
                let asked = request.topics[t].partitions[i]
                let tp = TopicPartition(request.topics[t].topic, asked.partition)
                var out = response.topics[t].partitions[i]
                switch leaderReplica(tp, currentLeaderEpoch: asked.currentLeaderEpoch, on: node) {
                case let .failure(e): out.errorCode = e
                case let .success(replica):
                    let (epoch, end) = replica.log.endOffset(forLeaderEpoch: asked.leaderEpoch)
                    out.leaderEpoch = epoch
                    out.endOffset = end
                }
                response.topics[t].partitions[i] = out
            }
        }
        return response
    }
}
