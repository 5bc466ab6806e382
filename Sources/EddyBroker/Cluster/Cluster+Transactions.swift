import EddyProtocol
import EddyStorage

/// `__transaction_state` and the transaction coordinators: the topic's creation on demand, each
/// broker loading the partitions it leads, and carrying out the coordinators' actions (writes to
/// `__transaction_state`, markers through WriteTxnMarkers, replies). Every function here
/// expects the cluster lock held unless it says otherwise; answers go to `deferred`.
extension Cluster {
    static let transactionStateTopic = "__transaction_state"

    /// The topic configs Kafka gives `__transaction_state` (`TransactionLog`'s): compacted,
    /// min.insync.replicas 2 (transaction.state.log.min.isr), uncompressed.
    var transactionStateTopicConfigs: [String: String] {
        let rf = transactionStateReplicationFactor
        return ["cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "uncompressed",
                "min.insync.replicas": String(min(2, Int(rf)))]
    }

    private var transactionStateReplicationFactor: Int16 {
        let active = controller.assignableBrokerIds(in: metadata.latestImage).count
        return Int16(clamping: max(1, min(Int(options.transactionCoordinator.replicationFactor), active)))
    }

    /// The `__transaction_state` topic, created first if it does not exist yet (on the first
    /// FindCoordinator for a transactional id, as Kafka): transaction.state.log.num.partitions
    /// partitions, replication factor transaction.state.log.replication.factor capped at the
    /// active brokers.
    func ensureTransactionStateTopic() throws(BrokerError) -> TopicImage {
        if let topic = metadata.image.topic(named: Cluster.transactionStateTopic) { return topic }
        let rf = transactionStateReplicationFactor
        let (id, start) = drawTopicIdAndAssignmentStart()
        let created = try controller.createTopic(name: Cluster.transactionStateTopic, partitions: options.transactionCoordinator.numPartitions,
                                                 replicationFactor: rf, configs: transactionStateTopicConfigs, topicId: id,
                                                 image: metadata.latestImage, assignmentStart: start)
        try commitDurably(created.records)
        logger.info("created \(Cluster.transactionStateTopic)", metadata: ["partitions": "\(created.partitions)", "replicationFactor": "\(rf)"])
        guard let topic = metadata.image.topic(named: Cluster.transactionStateTopic) else {
            throw .unexpected("\(Cluster.transactionStateTopic) missing right after its creation")
        }
        return topic
    }

    /// A `__transaction_state` replica changed role on `node`: a new leader starts loading it, a
    /// former one unloads its transactions (their waiting requests get NOT_COORDINATOR).
    func transactionCoordinatorRoleChanged(_ replica: Replica, on node: Broker) {
        let tp = replica.topicPartition
        guard tp.topic == Cluster.transactionStateTopic else { return }
        let txns = node.transactions
        if replica.isLeader {
            if txns.partitions[tp.partition] == nil { txns.partitions[tp.partition] = .loading(lastError: nil) }
        } else {
            unloadTransactionPartition(tp.partition, on: node)
        }
    }

    /// Drops partition `p`'s transactions from `node`'s coordinator (leadership lost, or the
    /// replica removed): their waiting requests get NOT_COORDINATOR, their marker jobs stop (the
    /// next coordinator resumes them).
    func unloadTransactionPartition(_ p: Int32, on node: Broker) {
        let txns = node.transactions
        guard txns.partitions.removeValue(forKey: p) != nil else { return }
        carryOutTransactions(txns.coordinator.unload(partition: p), on: node)
        txns.markerJobs = txns.markerJobs.filter { txns.coordinator.partitionFor($0.key) != p }
    }

    /// Starts loading the `__transaction_state` partitions `node` leads but has not loaded (see
    /// `loadPartitions`).
    func loadTransactionPartitions(on node: Broker) { loadPartitions(of: .transactions, on: node) }

    /// Carries out a coordinator's actions on `node`:
    /// - `reply`: the waiting request is answered;
    /// - `append`: the record is appended to this broker's leader replica of its
    ///   `__transaction_state` partition with acks=all, once the lock is released, in order
    ///   (`Broker.queueGroupWrite`); its outcome goes back to the state machine;
    /// - `writeMarkers`: a marker job starts (`sendMarkers`).
    func carryOutTransactions(_ actions: [TransactionAction], on node: Broker) {
        let txns = node.transactions
        for action in actions {
            switch action {
            case let .reply(token, reply):
                guard let respond = txns.pendingReplies.removeValue(forKey: token) else { continue }
                deferred.append { respond(reply) }
            case let .append(write):
                var builder = RecordBatchBuilder()
                builder.append(timestamp: clock.nowMs(), key: write.key, value: write.value)
                let planned = node.planAppend(TopicPartition(Cluster.transactionStateTopic, write.partition),
                                              write: .records(builder.build().bytes), acks: -1)
                node.queueGroupWrite(Broker.GroupWrite(planned: [planned], deadlineMs: clock.nowMs() + options.offsetsCommitTimeoutMs) { [self] response in
                    var error: ErrorCode = .unknownServerError
                    if case let .produce(r) = response, let p = r.responses.first?.partitionResponses.first { error = p.errorCode }
                    lock.withLock {
                        guard node.isRunning else { return }
                        carryOutTransactions(node.transactions.coordinator.writeCompleted(write.id, error: error == .none ? nil : error,
                                                                                          now: clock.nowMs()), on: node)
                    }
                    flushDeferred()
                })
            case let .writeMarkers(markers):
                txns.markerJobs[markers.transactionalId] = BrokerTransactionCoordinator.MarkerJob(markers: markers, remaining: Set(markers.partitions))
                sendMarkers(markers.transactionalId, on: node)
            }
        }
    }

    /// Sends a marker job's next WriteTxnMarkers round: one request per leader of the partitions
    /// still without their marker. A partition whose topic is gone needs none; one without a
    /// running leader waits for the next round (`retryTransactionMarkers`). When every partition
    /// has its marker, the state machine writes the transaction's completion.
    func sendMarkers(_ transactionalId: String, on node: Broker) {
        let txns = node.transactions
        guard var job = txns.markerJobs[transactionalId], !job.inFlight else { return }
        let image = metadata.image
        job.remaining = job.remaining.filter { image.partition($0) != nil }
        guard !job.remaining.isEmpty else {
            txns.markerJobs[transactionalId] = nil
            carryOutTransactions(txns.coordinator.markersWritten(transactionalId: transactionalId, producerEpoch: job.markers.producerEpoch,
                                                                 now: clock.nowMs()), on: node)
            return
        }
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in job.remaining.sorted() {
            guard let reg = image.partition(tp), reg.hasLeader, nodes[reg.leader] != nil else { continue }
            byLeader[reg.leader, default: []].append(tp)
        }
        guard !byLeader.isEmpty else {
            job.retryAtMs = clock.nowMs() + BrokerTransactionCoordinator.markerRetryBackoffMs
            txns.markerJobs[transactionalId] = job
            driverDeadline?(job.retryAtMs)
            return
        }
        job.inFlight = true
        txns.markerJobs[transactionalId] = job
        let markers = job.markers
        let results = AnswerCountdown<[TopicPartition: ErrorCode]>(count: byLeader.count, initial: [:])
        for (leader, partitions) in byLeader.sorted(by: { $0.key < $1.key }) {
            let request = WriteTxnMarkersRequest(markers: [.init(producerId: markers.producerId, producerEpoch: markers.producerEpoch,
                                                                  committed: markers.committed,
                                                                  topics: WriteTxnMarkersRequest.grouped(partitions).map { .init(name: $0.topic, partitionIndexes: $0.partitions) },
                                                                  coordinatorEpoch: markers.coordinatorEpoch)])
            let context = RequestContext(clientId: "broker-\(node.id)-txn-marker-sender")
            deferred.append { [self] in
                send(.writeTxnMarkers(request), to: leader, context: context) { [self] result in
                    var errors: [TopicPartition: ErrorCode] = [:]
                    if case let .success(.writeTxnMarkers(r)) = result { errors = r.errors(producerId: markers.producerId) }
                    for tp in partitions where errors[tp] == nil { errors[tp] = .networkException }
                    guard let all = results.add({ $0.merge(errors) { _, new in new } }) else { return }
                    markerRoundDone(transactionalId, producerEpoch: markers.producerEpoch, errors: all, on: node)
                }
            }
        }
    }

    /// A marker round's answers: the partitions that have their marker (or whose topic is
    /// gone) leave the job; the rest are sent again now, or after a backoff if none progressed.
    /// Called without the lock.
    private func markerRoundDone(_ transactionalId: String, producerEpoch: Int16, errors: [TopicPartition: ErrorCode], on node: Broker) {
        lock.withLock {
            let txns = node.transactions
            guard node.isRunning, var job = txns.markerJobs[transactionalId], job.markers.producerEpoch == producerEpoch else { return }
            job.inFlight = false
            if errors.values.contains(.transactionCoordinatorFenced) {
                // A newer coordinator has written markers for this producer: it owns the
                // transaction now, and this one stops (Kafka's marker channel aborts sending).
                logger.warning("transaction markers fenced by a newer coordinator; leaving the transaction to it",
                               metadata: ["transactionalId": "\(transactionalId)"])
                txns.markerJobs[transactionalId] = nil
                return
            }
            var progressed = false
            // A partition whose producer already has a newer epoch (INVALID_PRODUCER_EPOCH) has
            // moved past this transaction: nothing is left to write there.
            for (tp, e) in errors where e == .none || e == .unknownTopicOrPartition || e == .invalidProducerEpoch {
                if job.remaining.remove(tp) != nil { progressed = true }
            }
            let failed = errors.filter { ![.none, .unknownTopicOrPartition, .invalidProducerEpoch].contains($0.value) }
            if !failed.isEmpty {
                logger.debug("transaction markers not written yet", metadata: ["transactionalId": "\(transactionalId)", "errors": "\(failed)"])
            }
            if !progressed && !job.remaining.isEmpty {
                job.retryAtMs = clock.nowMs() + BrokerTransactionCoordinator.markerRetryBackoffMs
                driverDeadline?(job.retryAtMs)
            }
            txns.markerJobs[transactionalId] = job
            if job.retryAtMs <= clock.nowMs() { sendMarkers(transactionalId, on: node) }
        }
        flushDeferred()
    }

    /// The coordinators' periodic work (from `tick`): loading led partitions, marker rounds due
    /// again, and every transaction.abort.timed.out.transaction.cleanup.interval.ms the state
    /// machine's `tick` (timeouts, expirations, resumed markers).
    func tickTransactionCoordinators(now: Int64) {
        for node in nodes.values.sorted(by: { $0.id < $1.id }) {
            let txns = node.transactions
            if txns.isLoading { loadTransactionPartitions(on: node) }
            for (id, job) in txns.markerJobs.sorted(by: { $0.key < $1.key }) where !job.inFlight && job.retryAtMs <= now {
                sendMarkers(id, on: node)
            }
            if now - txns.lastExpirationCheckMs >= options.transactionCoordinator.abortTimedOutTransactionCleanupIntervalMs {
                txns.lastExpirationCheckMs = now
                carryOutTransactions(txns.coordinator.tick(now: now), on: node)
            }
        }
    }
}
