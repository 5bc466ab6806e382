import EddyProtocol
import EddyStorage

/// Callbacks (responses, re-reads of waiting fetches) gathered while locks are held, to run
/// once they are released.
typealias Deferred = [@Sendable () -> Void]

extension Broker {
    /// Produce (Kafka's `ReplicaManager.appendRecords`): the leader appends; acks=0/1 answer at
    /// once, acks=all waits in the purgatory until the high watermark passes the batch.
    ///
    /// Called without the cluster lock, and never takes it for a partition this broker hosts:
    /// produces to different partitions share no lock but this broker's `purgatoryLock`, held
    /// for in-memory work, and never wait for the controller, the group coordinators or another
    /// partition's disk I/O. In three steps:
    /// 1. each partition's leadership, epoch and min.insync.replicas are checked under its
    ///    replica's `stateLock` (`planAppend`);
    /// 2. each partition's records are appended under that replica's writer lock, if it still
    ///    leads in the epoch checked (`Replica.whileWriter`);
    /// 3. under `stateLock` again, the leader state learns the new log end, which may move the
    ///    high watermark (`finishAppend`); then acks=all waits in the purgatory (`answerOrPark`).
    /// Only a partition the broker hosts no replica of takes the cluster lock, to tell an
    /// unknown partition from one led elsewhere (`resolvingMissing`).
    func handleProduce(_ request: ProduceRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        guard [-1, 0, 1].contains(request.acks) else {
            return respond(.produce(request.errorResponse(.invalidRequiredAcks)))
        }
        guard isServing else { return respond(.produce(request.errorResponse(.notLeaderOrFollower))) }
        let planned = resolvingMissing(request.topicData.flatMap { topic in
            topic.partitionData.map { p in
                let tp = TopicPartition(topic.name, p.index)
                // Only the broker's own coordinators write to internal topics (Kafka's
                // ReplicaManager refuses clients with InvalidTopicException).
                guard !TopicName.isInternal(tp.topic) else {
                    return .failed(.failed(tp, .invalidTopicException, "Cannot append to internal topic \(tp.topic)"))
                }
                return planAppend(tp, write: .records(p.records), acks: request.acks)
            }
        })
        let appended = planned.map { $0.append() }
        var responses: Deferred = []
        let statuses = appended.map { finishAppend($0, acks: request.acks, into: &responses) }
        answerOrPark(DelayedProduce(deadlineMs: cluster.clock.nowMs() + Int64(max(0, request.timeoutMs)),
                                    partitions: statuses, topicOrder: request.topicData.map(\.name), respond: respond),
                     into: &responses)
        for r in responses { r() }
    }

    /// `planned` with the partitions this broker hosts no replica of answered: UNKNOWN_TOPIC_OR_PARTITION
    /// if the committed metadata has no such partition, else NOT_LEADER_OR_FOLLOWER. Takes the
    /// cluster lock only when there are such partitions. Called without the cluster lock.
    func resolvingMissing(_ planned: [PlannedAppend]) -> [PlannedAppend] {
        guard planned.contains(where: { if case .missing = $0 { true } else { false } }) else { return planned }
        return cluster.lock.withLock {
            planned.map { step in
                guard case let .missing(tp) = step else { return step }
                return .failed(.failed(tp, missingReplicaError(tp)))
            }
        }
    }

    /// The error for a partition this broker hosts no replica of: UNKNOWN_TOPIC_OR_PARTITION if
    /// the committed metadata has no such partition, else NOT_LEADER_OR_FOLLOWER. Caller holds
    /// the cluster lock.
    func missingReplicaError(_ tp: TopicPartition) -> ErrorCode {
        cluster.metadata.image.partition(tp) == nil ? .unknownTopicOrPartition : .notLeaderOrFollower
    }

    /// Step 3's end: the produce is answered now, or waits in the purgatory for the high
    /// watermark (acks=all). Before parking, its partitions are checked again under
    /// `purgatoryLock`: a high watermark that moved after step 3 looked completes it here, and
    /// one that moves later finds it parked (`completeDelayedProduces`).
    func answerOrPark(_ delayed: DelayedProduce, into responses: inout Deferred) {
        purgatoryLock.withLock {
            if !delayed.isComplete, running {
                for i in delayed.partitions.indices { delayed.partitions[i] = checkProduceStatus(delayed.partitions[i]) }
            }
            if delayed.isComplete {
                delayed.queueResponse(into: &responses)
            } else if !running {
                delayed.complete(error: .notLeaderOrFollower, into: &responses)
            } else {
                producePurgatory.append(delayed)
            }
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
                let statuses = appended.map { finishAppend($0, acks: -1, into: &cluster.deferred) }
                var topics: [String] = []
                for s in statuses where !topics.contains(s.topicPartition.topic) { topics.append(s.topicPartition.topic) }
                answerOrPark(DelayedProduce(deadlineMs: write.deadlineMs, partitions: statuses, topicOrder: topics, respond: write.respond),
                             into: &cluster.deferred)
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
        /// This broker hosts no replica of the partition (see `resolvingMissing`).
        case missing(TopicPartition)
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

    /// Step 1: whether this broker leads `tp` and has enough in-sync replicas, under the
    /// replica's `stateLock` (the cluster lock may be held, or not).
    func planAppend(_ tp: TopicPartition, write: LeaderWrite, acks: Int16) -> PlannedAppend {
        guard let replica = hostedReplica(tp) else { return .missing(tp) }
        let minIsr = replica.log.config.minInsyncReplicas
        enum Check { case leads(epoch: Int32), refused(ErrorCode, isr: [Int32]) }
        let checked: Check? = replica.withLeaderStateAndEpoch { state, epoch in
            if let e = state.checkAppend(requiredAcks: acks, minInsyncReplicas: minIsr) { return .refused(e, isr: state.isr) }
            return .leads(epoch: epoch)
        }
        switch checked {
        case nil: return .failed(.failed(tp, .notLeaderOrFollower))
        case let .refused(e, isr):
            return .failed(.failed(tp, e, "The size of the current ISR \(isr) is insufficient to satisfy the min.isr requirement of \(minIsr) for partition \(tp)"))
        case let .leads(epoch): return .ready(tp, replica, epoch: epoch, write: write)
        }
    }

    /// Step 3: the leader state learns of the append (under the replica's `stateLock`), and the
    /// partition's answer (waiting for the high watermark under acks=all). A replica that
    /// stopped leading, or moved to another epoch, since the append answers
    /// NOT_LEADER_OR_FOLLOWER: its records are not committed and may be truncated. A high
    /// watermark that moves completes what waits for it (into `responses`). The cluster lock
    /// may be held, or not.
    func finishAppend(_ step: PlannedAppend, acks: Int16, into responses: inout Deferred) -> DelayedProduce.PartitionStatus {
        switch step {
        case let .failed(status): return status
        case let .missing(tp): return .failed(tp, .notLeaderOrFollower)
        case let .ready(tp, _, _, _): return .failed(tp, .notLeaderOrFollower)
        case let .appended(tp, replica, epoch, info, bytes):
            // A duplicate changed nothing; its leader state is only checked.
            var replicaCount = 0
            guard isServing, hostedReplica(tp) === replica,
                  let actions = replica.leaderEvent(epoch: epoch, { state in
                      replicaCount = state.replicas.count
                      return info.isDuplicate ? [] : state.onLocalAppend(logEndOffset: replica.log.logEndOffset)
                  }) else { return .failed(tp, .notLeaderOrFollower) }
            var response = ProduceResponse.PartitionProduceResponse(index: tp.partition)
            // acks=0: Kafka sends no response at all; in process the caller gets one, without an offset.
            // A retried idempotent batch already in the log (`isDuplicate`) was not written again: it
            // is acknowledged with its original offsets, under acks=all once they are committed.
            response.baseOffset = acks == 0 ? -1 : info.firstOffset
            response.logAppendTimeMs = info.logAppendTime
            response.logStartOffset = replica.log.logStartOffset
            if !info.isDuplicate {
                cluster.traffic.noteIn(id, bytes: bytes)
                // A local append only ever moves the high watermark (it proposes no ISR change).
                if !actions.isEmpty { cluster.highWatermarkAdvanced(replica: replica, node: self, into: &responses) }
                cluster.noteAppended(tp, replicaCount: replicaCount)
            }
            let required = info.lastOffset + 1
            let status = DelayedProduce.PartitionStatus(topicPartition: tp, requiredOffset: required, response: response,
                                                        done: acks != -1, replica: replica, leaderEpoch: epoch)
            return acks == -1 ? checkProduceStatus(status) : status
        }
    }

    /// Kafka's `Partition.checkEnoughReplicasReachOffset`, under the replica's `stateLock`. A
    /// partition no longer led here, by the replica and in the epoch its records were appended
    /// in, fails with NOT_LEADER_OR_FOLLOWER (a topic deleted and created again under its name
    /// has a new replica, whose offsets say nothing of these records).
    func checkProduceStatus(_ s: DelayedProduce.PartitionStatus) -> DelayedProduce.PartitionStatus {
        var s = s
        guard !s.done else { return s }
        let replica = s.replica.flatMap { hostedReplica(s.topicPartition) === $0 ? $0 : nil }
        let minIsr = replica?.log.config.minInsyncReplicas ?? 1
        guard let replica, let outcome = replica.withLeaderState(epoch: s.leaderEpoch, { state in
                  state.acksAllOutcome(requiredOffset: s.requiredOffset, minInsyncReplicas: minIsr)
              }) else {
            s.response.errorCode = .notLeaderOrFollower
            s.response.baseOffset = -1
            s.done = true
            return s
        }
        switch outcome {
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

    /// Re-checks waiting produces for `tp` (after the HW moved or the ISR changed).
    func completeDelayedProduces(_ tp: TopicPartition, into responses: inout Deferred) {
        purgatoryLock.withLock {
            producePurgatory.removeAll { d in
                guard d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
                for i in d.partitions.indices where d.partitions[i].topicPartition == tp {
                    d.partitions[i] = checkProduceStatus(d.partitions[i])
                }
                guard d.isComplete else { return false }
                d.queueResponse(into: &responses)
                return true
            }
        }
    }

    /// Fails waiting produces for `tp` (this broker stopped leading it).
    func failDelayedProduces(_ tp: TopicPartition, error: ErrorCode, into responses: inout Deferred) {
        purgatoryLock.withLock {
            producePurgatory.removeAll { d in
                guard d.partitions.contains(where: { $0.topicPartition == tp }) else { return false }
                d.complete(error: error, into: &responses)
                return true
            }
        }
    }

    /// Fails every waiting produce (this broker stops).
    func failAllDelayedProduces(into responses: inout Deferred) {
        purgatoryLock.withLock {
            for d in producePurgatory { d.complete(error: .notLeaderOrFollower, into: &responses) }
            producePurgatory.removeAll()
        }
    }

    /// Answers produces whose request.timeout.ms passed with REQUEST_TIMED_OUT.
    func expireDelayedProduces(now: Int64, into responses: inout Deferred) {
        purgatoryLock.withLock {
            producePurgatory.removeAll { d in
                guard now >= d.deadlineMs else { return false }
                d.complete(error: .requestTimedOut, into: &responses)
                return true
            }
        }
    }
}
