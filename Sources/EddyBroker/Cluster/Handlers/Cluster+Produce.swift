import EddyProtocol
import EddyStorage

extension Cluster {
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
}
