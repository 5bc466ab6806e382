import EddyProtocol

/// The sender's side of the core: each turn's plan, the responses, and what becomes of each
/// batch (acknowledged, retried, failed), all under the lock.
extension ProducerCore {
    struct Plan {
        var requests: [RecordAccumulator.Request] = []
        /// When the loop must look again even if nothing happens (nil: only on a signal).
        var wakeAtMs: Int64?
        var refreshMetadata = false
        /// Ask for a producer id (first one, or a reset) before anything else.
        var initProducerId: (producerId: Int64, epoch: Int16)?
        /// A transactional producer's partitions with queued batches that the coordinator must
        /// add to the transaction (AddPartitionsToTxn) before they are sent.
        var addPartitions: Set<TopicPartition> = []
        var stop = false
    }

    /// One turn of the sender: applies the responses that arrived (in send order per node),
    /// expires batches past delivery.timeout.ms, then takes what can be sent now. The completions of records done meanwhile run before it
    /// returns, on the calling (sender) task, as Kafka runs callbacks on its I/O thread.
    func plan(nowMs: Int64, metadata: ClusterMetadata) -> Plan {
        var work: [() -> Void] = []
        let plan: Plan = lock.withLock {
            var plan = Plan()
            if stopped {
                plan.stop = true
                return plan
            }
            work += applyResponsesLocked(nowMs: nowMs)
            for b in accumulator.expiredBatches(nowMs: nowMs) {
                work += failLocked(b, expiryError(b, nowMs: nowMs, metadata: metadata))
            }
            // A transaction that can only be aborted sends nothing more: its queued records fail now.
            if let error = transaction?.abortingError { work += failAllQueuedLocked(error) }
            if closed, !accumulator.hasIncomplete, inFlightRequests.values.allSatisfy(\.isEmpty) {
                plan.stop = true
                work += flushWaitersDoneLocked(all: true)
                return plan
            }
            if transaction != nil {
                // initTransactions gets the producer id; after a failed batch, abortTransaction
                // bumps the epoch.
                plan.addPartitions = transaction!.partitionsToAdd(queued: accumulator.queuedPartitions)
                transaction!.addingPartitions(plan.addPartitions)
            } else if let i = idempotence {
                if !i.hasProducerId {
                    plan.initProducerId = (-1, -1)
                } else if i.resetPending, accumulator.inFlightBatchCount == 0 {
                    plan.initProducerId = (i.producerId, i.epoch)
                }
            }
            let maxInFlight = config.maxInFlightRequestsPerConnection
            let drained = accumulator.drain(
                nowMs: nowMs, leaderOf: { metadata.leader(of: $0) },
                requestsAllowed: { maxInFlight - (self.inFlightRequests[$0]?.count ?? 0) },
                maxInFlightPerPartition: min(maxInFlight, ProducerConfig.maxInFlightForIdempotence), idempotence: &idempotence,
                mayGoOut: { [transaction] tp in transaction?.mayGoOut(tp) ?? true })
            for var r in drained.requests {
                r.id = nextRequestId
                nextRequestId += 1
                r.timeoutMs = requestTimeoutLocked(for: r.batches, nowMs: nowMs)
                plan.requests.append(r)
                inFlightRequests[r.node, default: []].append(InFlightRequest(request: r))
                for b in r.batches { inFlightBatches[b.id] = b }
                _metrics.requests += 1
                _metrics.retries += r.batches.filter { $0.attempts > 1 }.count
            }
            plan.refreshMetadata = metadataRefreshNeeded || drained.unknownLeader
            metadataRefreshNeeded = false
            plan.wakeAtMs = [drained.nextReadyMs, accumulator.nextExpiryMs].compactMap { $0 }.min()
            work += flushWaitersDoneLocked(all: false)
            return plan
        }
        for w in work { w() }
        return plan
    }

    /// How long a request carrying `batches` may wait for its response: request.timeout.ms,
    /// but never past the oldest batch's delivery deadline. The `KafkaClient` enforces it.
    private func requestTimeoutLocked(for batches: [ProducerBatch], nowMs: Int64) -> Int64 {
        let deadline = (batches.map(\.createdMs).min() ?? nowMs) + deliveryTimeoutMs
        return max(1, min(config.requestTimeoutMs, deadline - nowMs))
    }

    /// After a metadata refresh: partition counts and available partitions of known topics.
    func metadataRefreshed(_ metadata: ClusterMetadata) {
        lock.withLock {
            for name in accumulator.topicNames {
                if let t = metadata.topics[name] { accumulator.updateTopic(name, Self.topicInfo(t)) }
            }
        }
    }

    /// The topics whose metadata the producer uses.
    var topicNames: [String] { lock.withLock { accumulator.topicNames } }

    /// InitProducerId answered with an id and epoch: start numbering (again) from 0.
    func producerIdReceived(_ id: Int64, epoch: Int16) {
        lock.withLock {
            guard idempotence != nil else { return }
            idempotence!.setProducerId(id, epoch: epoch)
            accumulator.renumber(&idempotence!)
        }
        wakeup.signal()
    }

    /// The brokers cannot give producer ids. With `fallBack` (they do not serve InitProducerId
    /// at all) idempotence that was only defaulted is dropped and the batches go out
    /// unnumbered; otherwise, or when it was requested explicitly, the producer fails every
    /// record (Kafka's fatal error state).
    func producerIdUnavailable(_ error: ClientError, fallBack: Bool) {
        let work: [() -> Void] = lock.withLock {
            if fallBack, !idempotenceRequired {
                idempotence = nil
                return []
            }
            fatalState = error
            return failAllQueuedLocked(error)
        }
        for w in work { w() }
        wakeup.signal()
    }

    /// The client's answer to a Produce request (the response, a transport failure or its
    /// timeout): kept until the sender's next turn, which applies the node's outcomes in the
    /// order its requests were sent (see `inFlightRequests`). Only the first answer counts.
    func responseArrived(_ result: Result<ProduceResponse, ClientError>, for request: RecordAccumulator.Request) {
        lock.withLock {
            guard let index = inFlightRequests[request.node]?.firstIndex(where: { $0.request.id == request.id }),
                  inFlightRequests[request.node]![index].result == nil else { return }
            inFlightRequests[request.node]![index].result = result
        }
        wakeup.signal()
    }

    /// Applies every outcome at the head of a node's queue.
    private func applyResponsesLocked(nowMs: Int64) -> [() -> Void] {
        var work: [() -> Void] = []
        for node in inFlightRequests.keys.sorted() {
            var queue = inFlightRequests[node]!
            while let first = queue.first, let r = first.result {
                queue.removeFirst()
                work += applyLocked(r, to: first.request, nowMs: nowMs)
            }
            inFlightRequests[node] = queue
        }
        return work
    }

    private func applyLocked(_ result: Result<ProduceResponse, ClientError>, to request: RecordAccumulator.Request,
                             nowMs now: Int64) -> [() -> Void] {
        var work: [() -> Void] = []
        for b in request.batches {
            // Gone already when a forced close failed it.
            guard inFlightBatches.removeValue(forKey: b.id) != nil else { continue }
            switch result {
            case let .success(response):
                guard let p = response.partition(topic: b.topicPartition.topic, partition: b.topicPartition.partition) else {
                    work += failedAttemptLocked(b, .broker(.unknownServerError, message: "the Produce response has no result for \(b.topicPartition)"),
                                                nowMs: now)
                    continue
                }
                switch p.errorCode {
                case .none, .duplicateSequenceNumber:
                    work += succeededLocked(b, baseOffset: p.baseOffset, logAppendTimeMs: p.logAppendTimeMs)
                default:
                    work += failedAttemptLocked(b, .broker(p.errorCode, message: p.errorMessage), nowMs: now)
                }
            case let .failure(error):
                work += failedAttemptLocked(b, error, nowMs: now)
            }
        }
        return work
    }

    // MARK: Outcomes (under the lock)

    private func succeededLocked(_ b: ProducerBatch, baseOffset: Int64, logAppendTimeMs: Int64) -> [() -> Void] {
        if b.hasSequence { idempotence?.acknowledged(b.topicPartition, lastPosition: b.lastSequencePosition) }
        accumulator.done(b)
        _metrics.recordsSent += b.recordCount
        _metrics.batchesSent += 1
        _metrics.bytesSent += b.sentSize
        let completions = b.completions(baseOffset: baseOffset, logAppendTimeMs: logAppendTimeMs)
        var work: [() -> Void] = grantMemoryLocked()
        if !completions.isEmpty {
            work.append { for (c, m) in completions { c(.success(m)) } }
        }
        return work
    }

    func failLocked(_ b: ProducerBatch, _ error: ClientError) -> [() -> Void] {
        // The sequence numbers of a failed batch leave a gap the leader never sees filled.
        if b.hasSequence { idempotence?.requestReset() }
        // A transaction with a failed record can only be aborted.
        transaction?.fail(error)
        accumulator.done(b)
        _metrics.recordErrors += b.recordCount
        let handlers = b.completionHandlers
        var work: [() -> Void] = grantMemoryLocked()
        if !handlers.isEmpty {
            work.append { for c in handlers { c(.failure(error)) } }
        }
        return work
    }

    /// Kafka's `Sender.completeBatch` for an error: retry or fail.
    private func failedAttemptLocked(_ b: ProducerBatch, _ error: ClientError, nowMs: Int64) -> [() -> Void] {
        b.lastError = error
        let canRetry = Int64(b.attempts) <= Int64(config.retries) && nowMs - b.createdMs < deliveryTimeoutMs && !stopped
        if idempotence != nil, b.hasSequence {
            switch error.errorCode {
            case .outOfOrderSequenceNumber?:
                // An earlier batch is unresolved: this one goes again after it. Otherwise the
                // leader lost this producer's state or forgot the batch: fatal for the batch.
                if canRetry, idempotence!.outOfOrderIsRetriable(b.topicPartition, basePosition: b.sequencePosition) {
                    accumulator.reenqueue(b, nowMs: nowMs)
                    return []
                }
                return failLocked(b, error)
            case .unknownProducerId?:
                idempotence!.requestReset()
                // A transaction cannot go on with a new producer id: it must be aborted.
                if canRetry, transaction == nil {
                    accumulator.reenqueue(b, nowMs: nowMs)
                    return []
                }
                return failLocked(b, error)
            default: break
            }
        }
        if error.isRetriable, canRetry {
            if Self.invalidatesMetadata(error) { metadataRefreshNeeded = true }
            accumulator.reenqueue(b, nowMs: nowMs)
            return []
        }
        // Retriable, but delivery.timeout.ms has passed (the attempt's outcome came at or after
        // the deadline): the batch expired, as Kafka expires a batch in flight, whether the
        // sender's turn came a little before the deadline or after it.
        if error.isRetriable, nowMs - b.createdMs >= deliveryTimeoutMs, !stopped {
            return failLocked(b, expiryError(b, nowMs: nowMs, metadata: nil))
        }
        return failLocked(b, error)
    }

    /// Errors after which the client's view of leaders is probably stale (Kafka's
    /// `InvalidMetadataException`s and network errors).
    static func invalidatesMetadata(_ error: ClientError) -> Bool {
        switch error {
        case .transport: return true
        case let .broker(code, _):
            return [.notLeaderOrFollower, .unknownTopicOrPartition, .leaderNotAvailable, .fencedLeaderEpoch,
                    .unknownLeaderEpoch, .kafkaStorageError, .networkException].contains(code)
        default: return false
        }
    }

    /// Why a batch expired: its age, and its last error or else (from `metadata`) a missing leader.
    private func expiryError(_ b: ProducerBatch, nowMs: Int64, metadata: ClusterMetadata?) -> ClientError {
        var message = "Expiring \(b.recordCount) record(s) for \(b.topicPartition): \(nowMs - b.createdMs) ms has passed since batch creation"
            + " (delivery.timeout.ms \(deliveryTimeoutMs))"
        if let last = b.lastError {
            message += "; last error: \(last)"
        } else if let metadata, metadata.leader(of: b.topicPartition) == nil {
            message += "; the partition has no leader (LEADER_NOT_AVAILABLE)"
        }
        return .timeout(message)
    }

    func flushWaitersDoneLocked(all: Bool) -> [() -> Void] {
        guard !flushWaiters.isEmpty else { return [] }
        var work: [() -> Void] = []
        flushWaiters.removeAll { w in
            guard all || accumulator.isDone(upTo: w.mark) else { return false }
            let c = w.continuation
            work.append { c.resume() }
            return true
        }
        return work
    }
}

// MARK: Transactions

extension ProducerCore {
    /// Runs `body` on the transactional state under the lock. Precondition: transactional.
    func withTransaction<R>(_ body: (inout TransactionState) throws(ClientError) -> R) throws(ClientError) -> R {
        lock.lock()
        defer { lock.unlock() }
        guard transaction != nil else {
            throw .illegalState("Cannot use transactional methods without enabling transactions by setting the transactional.id configuration.")
        }
        return try body(&transaction!)
    }

    /// The producer id and epoch batches carry now.
    var producerIdAndEpoch: (producerId: Int64, epoch: Int16) {
        lock.withLock { (idempotence?.producerId ?? -1, idempotence?.epoch ?? -1) }
    }

    /// Whether a batch with sequence numbers failed, so the epoch must be bumped before more
    /// batches go out (a transactional producer does it when the transaction is aborted).
    var needsEpochBump: Bool { lock.withLock { idempotence?.resetPending ?? false } }

    /// The coordinator answered AddPartitionsToTxn for `tps` (see `TransactionState.partitionsAdded`).
    func partitionsAdded(_ tps: Set<TopicPartition>, error: ClientError?) {
        let work: [() -> Void] = lock.withLock {
            transaction?.partitionsAdded(tps, error: error)
            // A failed transaction's queued batches will not go out: fail them now.
            guard let error, !error.isRetriable else { return [] }
            return failAllQueuedLocked(error)
        }
        for w in work { w() }
        wakeup.signal()
    }

    /// Whether AddPartitionsToTxn requests are on their way (an abort waits for them, so that
    /// the coordinator's answer cannot open a transaction behind its back).
    var isAddingPartitions: Bool { lock.withLock { transaction?.isAddingPartitions ?? false } }

    /// abortTransaction: the records not sent yet fail (`error`); those in flight complete.
    func failQueued(_ error: ClientError) {
        let work = lock.withLock { failAllQueuedLocked(error) }
        for w in work { w() }
        wakeup.signal()
    }

    /// Fails every queued (unsent) batch with `error`; returns the completions to run.
    private func failAllQueuedLocked(_ error: ClientError) -> [() -> Void] {
        var work: [() -> Void] = []
        for b in accumulator.removeAllQueued() { work += failLocked(b, error) }
        work += flushWaitersDoneLocked(all: false)
        return work
    }
}
