import EddyProtocol
import EddyStorage

extension Cluster {
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
}
