import EddyProtocol
import EddyStorage

extension Broker {
    /// Produce (Kafka's `ReplicaManager.appendRecords`): the leader appends; acks=0/1 answer at
    /// once, acks=all waits in the purgatory until the high watermark passes the batch.
    ///
    /// Called without the cluster lock, in three steps, so that no lock that other partitions
    /// or brokers wait on is held while records go to disk:
    /// 1. under the cluster lock, each partition's leadership, epoch and min.insync.replicas are
    ///    checked (`planAppend`);
    /// 2. without it, each partition's records are appended under that replica's writer lock,
    ///    if it still leads in the epoch checked (`Replica.whileWriter`);
    /// 3. under the cluster lock again, the leader state learns the new log end (which may move
    ///    the high watermark), and acks=all waits (`finishAppend`).
    func handleProduce(_ request: ProduceRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        guard [-1, 0, 1].contains(request.acks) else {
            return respond(.produce(request.errorResponse(.invalidRequiredAcks)))
        }
        let planned: [PlannedAppend]? = cluster.lock.withLock {
            guard isRunning else { return nil }
            return request.topicData.flatMap { topic in
                topic.partitionData.map { p in
                    let tp = TopicPartition(topic.name, p.index)
                    // Only the broker's own coordinators write to internal topics (Kafka's
                    // ReplicaManager refuses clients with InvalidTopicException).
                    guard !TopicName.isInternal(tp.topic) else {
                        return .failed(.failed(tp, .invalidTopicException, "Cannot append to internal topic \(tp.topic)"))
                    }
                    return planAppend(tp, write: .records(p.records), acks: request.acks)
                }
            }
        }
        guard let planned else { return respond(.produce(request.errorResponse(.notLeaderOrFollower))) }
        let appended = planned.map { $0.append() }
        cluster.lock.withLock {
            var statuses: [DelayedProduce.PartitionStatus] = []
            for step in appended {
                statuses.append(finishAppend(step, acks: request.acks))
            }
            answerOrPark(DelayedProduce(deadlineMs: cluster.clock.nowMs() + Int64(max(0, request.timeoutMs)),
                                        partitions: statuses, topicOrder: request.topicData.map(\.name), respond: respond))
        }
    }

    /// Step 3's end: the produce is answered now, or waits in the purgatory for the high
    /// watermark (acks=all). Caller holds the lock.
    func answerOrPark(_ delayed: DelayedProduce) {
        if delayed.isComplete {
            delayed.queueResponse(into: &cluster.deferred)
        } else if !isRunning {
            delayed.complete(error: .notLeaderOrFollower, into: &cluster.deferred)
        } else {
            producePurgatory.append(delayed)
        }
    }

    /// The group and transaction coordinators' writes to `__consumer_offsets` and
    /// `__transaction_state` (see `Cluster.carryOut`, `Cluster.carryOutTransactions`), checked
    /// under the cluster lock when the coordinator makes them.
    struct GroupWrite {
        var planned: [PlannedAppend]
        var deadlineMs: Int64
        /// Called with the produce response (once the high watermark passes every append, or an
        /// error).
        var respond: @Sendable (KafkaResponse) -> Void
    }

    /// Queues a group write, to be appended without the cluster lock once it is released, after
    /// every group write queued before it: one thread drains the queue at a time, so records
    /// reach each `__consumer_offsets` partition in the order the coordinator produced them.
    /// Caller holds the lock.
    func queueGroupWrite(_ write: GroupWrite) {
        groupWrites.append(write)
        guard !drainingGroupWrites else { return }
        drainingGroupWrites = true
        cluster.deferred.append { [self] in drainGroupWrites() }
    }

    /// Appends the queued group writes in order (steps 2 and 3 of a produce, see
    /// `handleProduce`), then answers or parks each as an acks=all produce. Called without the
    /// lock.
    private func drainGroupWrites() {
        while let write: GroupWrite = cluster.lock.withLock({
            guard let next = groupWrites.first else {
                drainingGroupWrites = false
                return nil
            }
            return next
        }) {
            let appended = write.planned.map { $0.append() }
            cluster.lock.withLock {
                groupWrites.removeFirst()
                let statuses = appended.map { finishAppend($0, acks: -1) }
                var topics: [String] = []
                for s in statuses where !topics.contains(s.topicPartition.topic) { topics.append(s.topicPartition.topic) }
                answerOrPark(DelayedProduce(deadlineMs: write.deadlineMs, partitions: statuses, topicOrder: topics, respond: write.respond))
            }
        }
        cluster.flushDeferred()
    }

    /// What a leader appends: a producer's (or a group coordinator's) records, or a transaction
    /// marker that a transaction coordinator asked for (WriteTxnMarkers).
    enum LeaderWrite {
        case records([UInt8])
        /// A coordinator's own records (`__consumer_offsets`), transactional offset commits among
        /// them: their producer epoch is checked, not a sequence (`AppendOrigin.coordinator`).
        case coordinatorRecords([UInt8])
        case marker(producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32, committed: Bool)
    }

    /// One partition of a produce on its way through the three steps.
    enum PlannedAppend {
        /// Answered without appending.
        case failed(DelayedProduce.PartitionStatus)
        /// Checked: to be appended by this leader in this epoch.
        case ready(TopicPartition, Replica, epoch: Int32, write: LeaderWrite)
        /// Appended.
        case appended(TopicPartition, Replica, epoch: Int32, LogAppendInfo, bytes: Int)

        /// Step 2: the append itself. Needs no cluster lock.
        func append() -> PlannedAppend {
            guard case let .ready(tp, replica, epoch, write) = self else { return self }
            do {
                guard let info = try replica.whileWriter(.leader(epoch: epoch), { () throws -> LogAppendInfo in
                    switch write {
                    case let .records(records): try replica.log.append(records, leaderEpoch: epoch)
                    case let .coordinatorRecords(records): try replica.log.append(records, leaderEpoch: epoch, origin: .coordinator)
                    case let .marker(producerId, producerEpoch, coordinatorEpoch, committed):
                        try replica.log.appendMarker(producerId: producerId, producerEpoch: producerEpoch, coordinatorEpoch: coordinatorEpoch,
                                                     committed: committed, leaderEpoch: epoch)
                    }
                }) else { return .failed(.failed(tp, .notLeaderOrFollower)) }
                return .appended(tp, replica, epoch: epoch, info, bytes: info.validBytes)
            } catch let e as StorageError {
                // Idempotence failures (StorageError.producer) carry their own Kafka error:
                // OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH or INVALID_RECORD.
                return .failed(.failed(tp, e.errorCode, e.description))
            } catch {
                return .failed(.failed(tp, .unknownServerError, "\(error)"))
            }
        }
    }

    /// Step 1: whether this broker leads `tp` and has enough in-sync replicas. Caller holds the lock.
    func planAppend(_ tp: TopicPartition, write: LeaderWrite, acks: Int16) -> PlannedAppend {
        let replica: Replica
        switch leaderReplica(tp) {
        case let .success(r): replica = r
        case let .failure(e): return .failed(.failed(tp, e))
        }
        guard let state = replica.leaderState else { return .failed(.failed(tp, .notLeaderOrFollower)) }
        let minIsr = replica.log.config.minInsyncReplicas
        if let e = state.checkAppend(requiredAcks: acks, minInsyncReplicas: minIsr) {
            return .failed(.failed(tp, e, "The size of the current ISR \(state.isr) is insufficient to satisfy the min.isr requirement of \(minIsr) for partition \(tp)"))
        }
        return .ready(tp, replica, epoch: replica.leaderEpoch, write: write)
    }

    /// Step 3: the leader state learns of the append, and the partition's answer (waiting for
    /// the high watermark under acks=all). A replica that stopped leading, or moved to another
    /// epoch, since the append answers NOT_LEADER_OR_FOLLOWER: its records are not committed
    /// and may be truncated. Caller holds the lock.
    func finishAppend(_ step: PlannedAppend, acks: Int16) -> DelayedProduce.PartitionStatus {
        switch step {
        case let .failed(status): return status
        case let .ready(tp, _, _, _): return .failed(tp, .notLeaderOrFollower)
        case let .appended(tp, replica, epoch, info, bytes):
            guard isRunning, replicas[tp] === replica, replica.leaderEpoch == epoch,
                  var state = replica.leaderState else { return .failed(tp, .notLeaderOrFollower) }
            var response = ProduceResponse.PartitionProduceResponse(index: tp.partition)
            // acks=0: Kafka sends no response at all; in process the caller gets one, without an offset.
            // A retried idempotent batch already in the log (`isDuplicate`) was not written again: it
            // is acknowledged with its original offsets, under acks=all once they are committed.
            response.baseOffset = acks == 0 ? -1 : info.firstOffset
            response.logAppendTimeMs = info.logAppendTime
            response.logStartOffset = replica.log.logStartOffset
            if !info.isDuplicate {
                cluster.traffic.noteIn(id, bytes: bytes)
                let actions = state.onLocalAppend(logEndOffset: replica.log.logEndOffset)
                replica.leaderState = state
                cluster.perform(actions, replica: replica, node: self)
                cluster.noteAppended(tp, replicaCount: state.replicas.count)
            }
            let required = info.lastOffset + 1
            let status = DelayedProduce.PartitionStatus(topicPartition: tp, requiredOffset: required, response: response, done: acks != -1)
            return acks == -1 ? checkProduceStatus(status) : status
        }
    }

    /// Kafka's `Partition.checkEnoughReplicasReachOffset`. Caller holds the lock.
    func checkProduceStatus(_ s: DelayedProduce.PartitionStatus) -> DelayedProduce.PartitionStatus {
        var s = s
        guard !s.done else { return s }
        guard let replica = replicas[s.topicPartition], let state = replica.leaderState else {
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

    /// Re-checks waiting produces for `tp` (after the HW moved or the ISR changed). Caller holds
    /// the lock.
    func completeDelayedProduces(_ tp: TopicPartition) {
        producePurgatory.removeAll { d in
            guard d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
            for i in d.partitions.indices where d.partitions[i].topicPartition == tp {
                d.partitions[i] = checkProduceStatus(d.partitions[i])
            }
            guard d.isComplete else { return false }
            d.queueResponse(into: &cluster.deferred)
            return true
        }
    }

    /// Fails waiting produces for `tp` (this broker stopped leading it). Caller holds the lock.
    func failDelayedProduces(_ tp: TopicPartition, error: ErrorCode) {
        producePurgatory.removeAll { d in
            guard d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
            d.complete(error: error, into: &cluster.deferred)
            return true
        }
    }

    /// Fails every waiting produce (this broker stops). Caller holds the lock.
    func failAllDelayedProduces() {
        for d in producePurgatory { d.complete(error: .notLeaderOrFollower, into: &cluster.deferred) }
        producePurgatory.removeAll()
    }

    /// Answers produces whose request.timeout.ms passed with REQUEST_TIMED_OUT. Caller holds
    /// the lock.
    func expireDelayedProduces(now: Int64) {
        producePurgatory.removeAll { d in
            guard now >= d.deadlineMs else { return false }
            d.complete(error: .requestTimedOut, into: &cluster.deferred)
            return true
        }
    }
}
