import EddyProtocol

/// The transactional producer (KIP-98, KIP-447), as Kafka's `KafkaProducer` offers it:
///
/// ```swift
/// try await producer.initTransactions()
/// try producer.beginTransaction()
/// try await producer.send(...)                       // any partitions
/// try await producer.sendOffsetsToTransaction(offsets, groupMetadata: consumer.groupMetadata()!)
/// try await producer.commitTransaction()             // or abortTransaction()
/// ```
///
/// The records of a transaction and the consumer offsets sent with it become visible to
/// read_committed consumers, and the group, all together when it commits, and never if it
/// aborts. A record that fails leaves the transaction able only to abort; a producer fenced by
/// a newer instance with the same transactional.id (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH)
/// can only be closed. Coordinator requests are retried while the coordinator is busy or
/// moving, for at most max.block.ms.
extension Producer {
    /// Kafka's `initTransactions`: finds the transactional id's coordinator and gets the
    /// producer id and a new epoch from it (InitProducerId), which fences every older instance
    /// and aborts a transaction one of them left open. Call once, before any transaction.
    public func initTransactions() async throws(ClientError) {
        let transactionalId = try core.withTransaction { (t) throws(ClientError) -> String in
            try t.checkNotFatal()
            guard t.phase == .uninitialized else { throw .illegalState("initTransactions() was already called.") }
            return t.transactionalId
        }
        try await obtainProducerId(transactionalId, current: (-1, -1))
        try core.withTransaction { (t) throws(ClientError) in try t.initialized() }
    }

    /// InitProducerId for the transactional id: the first one, or (`current`) an epoch bump
    /// after a failed batch (KIP-360).
    private func obtainProducerId(_ transactionalId: String, current: (producerId: Int64, epoch: Int16)) async throws(ClientError) {
        let request = InitProducerIdRequest(transactionalId: transactionalId, transactionTimeoutMs: config.transactionTimeoutMs,
                                            producerId: current.producerId, producerEpoch: current.epoch)
        let response = try await coordinatorCall.send(.initProducerId(request)) {
            guard case let .initProducerId(r) = $0 else { return nil }
            return r.errorCode
        }
        guard case let .initProducerId(r) = response else { return }
        core.producerIdReceived(r.producerId, epoch: r.producerEpoch)
    }

    /// Kafka's `beginTransaction`: records sent from now on belong to a new transaction.
    public func beginTransaction() throws(ClientError) {
        try core.withTransaction { (t) throws(ClientError) in try t.begin() }
    }

    /// Kafka's `sendOffsetsToTransaction`: the consumer group's offsets (the next offset to read
    /// per partition) are committed with the transaction. The group's partition of
    /// `__consumer_offsets` joins the transaction (AddOffsetsToTxn), then the group's
    /// coordinator stores the offsets pending (TxnOffsetCommit, with the member's generation so
    /// that a member that lost its partitions is fenced: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
    /// FENCED_INSTANCE_ID, which leave the transaction to abort).
    public func sendOffsetsToTransaction(_ offsets: [TopicPartition: OffsetAndMetadata],
                                         groupMetadata: ConsumerGroupMetadata) async throws(ClientError) {
        let transactionalId = try core.withTransaction { (t) throws(ClientError) -> String in
            try t.checkSend()
            return t.transactionalId
        }
        let (producerId, epoch) = core.producerIdAndEpoch
        do throws(ClientError) {
            _ = try await coordinatorCall.send(.addOffsetsToTxn(AddOffsetsToTxnRequest(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch, groupId: groupMetadata.groupId))) {
                guard case let .addOffsetsToTxn(r) = $0 else { return nil }
                return r.errorCode
            }
            try core.withTransaction { (t) throws(ClientError) in t.offsetsAdded() }
            let byTopic = Dictionary(grouping: offsets.keys.sorted(), by: \.topic)
            let request = TxnOffsetCommitRequest(
                transactionalId: transactionalId, groupId: groupMetadata.groupId, producerId: producerId, producerEpoch: epoch,
                generationId: groupMetadata.generationId, memberId: groupMetadata.memberId, groupInstanceId: groupMetadata.groupInstanceId,
                topics: byTopic.keys.sorted().map { topic in
                    .init(name: topic, partitions: byTopic[topic]!.map { tp in
                        let o = offsets[tp]!
                        return .init(partitionIndex: tp.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch ?? -1,
                                     committedMetadata: o.metadata)
                    })
                })
            _ = try await coordinatorCall.send(.txnOffsetCommit(request), key: groupMetadata.groupId, type: .group) {
                guard case let .txnOffsetCommit(r) = $0 else { return nil }
                return r.errors.values.first { $0 != .none } ?? ErrorCode.none
            }
        } catch {
            core.withTransactionFailing(error)
            throw error
        }
    }

    /// Kafka's `commitTransaction`: sends what is queued, waits until every record of the
    /// transaction is acknowledged, then has the coordinator commit it (EndTxn), which writes
    /// the COMMIT markers. If a record failed, throws its error: the transaction must then be
    /// aborted. A commit that failed otherwise (the coordinator did not answer in time) may be
    /// called again, or the transaction aborted.
    public func commitTransaction() async throws(ClientError) {
        try core.withTransaction { (t) throws(ClientError) in try t.beginCommit() }
        await flush()
        let started = try core.withTransaction { (t) throws(ClientError) -> Bool in
            if case let .abortableError(e) = t.phase { throw e }
            try t.checkNotFatal()
            return t.startedOnCoordinator
        }
        if started { try await endTransaction(commit: true) }
        try core.withTransaction { (t) throws(ClientError) in t.ended() }
    }

    /// Kafka's `abortTransaction`: records not sent yet fail, those in flight complete, and the
    /// coordinator aborts the transaction (EndTxn), which writes ABORT markers so that
    /// read_committed consumers skip its records. After a failed record the epoch is bumped
    /// (InitProducerId with the current id and epoch), so that the next transaction starts
    /// with fresh sequence numbers. An abort that failed without a fatal error may be called again.
    public func abortTransaction() async throws(ClientError) {
        let transactionalId = try core.withTransaction { (t) throws(ClientError) -> String in
            try t.beginAbort()
            return t.transactionalId
        }
        core.failQueued(.illegalState("Failing batch since transaction was aborted."))
        await flush()
        // A partition the coordinator is adding joins the transaction this abort must end.
        let deadline = ClientTime.monotonicMs() + config.maxBlockMs
        while core.isAddingPartitions {
            guard ClientTime.monotonicMs() < deadline else {
                throw .timeout("abortTransaction: AddPartitionsToTxn did not complete within max.block.ms (\(config.maxBlockMs) ms)")
            }
            await ClientTime.sleep(ms: max(1, config.retryBackoffMs))
        }
        let started = try core.withTransaction { (t) throws(ClientError) -> Bool in
            try t.checkNotFatal()
            return t.startedOnCoordinator
        }
        if started {
            try await endTransaction(commit: false)
            try core.withTransaction { (t) throws(ClientError) in t.endedOnCoordinator() }
        }
        if core.needsEpochBump {
            do throws(ClientError) {
                try await obtainProducerId(transactionalId, current: core.producerIdAndEpoch)
            } catch {
                core.withTransactionEndFailing(error)
                throw error
            }
        }
        try core.withTransaction { (t) throws(ClientError) in t.ended() }
    }

    private func endTransaction(commit: Bool) async throws(ClientError) {
        let (producerId, epoch) = core.producerIdAndEpoch
        let transactionalId = config.transactionalId ?? ""
        do throws(ClientError) {
            _ = try await coordinatorCall.send(.endTxn(EndTxnRequest(transactionalId: transactionalId, producerId: producerId,
                                                                     producerEpoch: epoch, committed: commit))) {
                guard case let .endTxn(r) = $0 else { return nil }
                return r.errorCode
            }
        } catch {
            core.withTransactionEndFailing(error)
            throw error
        }
    }

    private var coordinatorCall: TransactionCoordinatorCall { TransactionCoordinatorCall(client: client, config: config) }

    /// Whether a commit was asked of the coordinator and did not get its answer (EndTxn timed
    /// out, say): the transaction may have committed, so `commitTransaction` should be called
    /// again rather than `abortTransaction` (which the coordinator would then refuse).
    public var isCommitUnanswered: Bool { core.transactionPhase == .committing }

    /// Whether `initTransactions` has completed (and the producer is not fenced).
    public var isTransactionReady: Bool {
        switch core.transactionPhase {
        case nil, .uninitialized?, .fatalError?: false
        default: true
        }
    }

    /// Whether a transaction is open or was left unended by a failed commit or abort.
    var hasUnendedTransaction: Bool {
        switch core.transactionPhase {
        case .inTransaction?, .committing?, .aborting?, .abortableError?: true
        default: false
        }
    }
}

extension ProducerCore {
    /// The transactional producer's phase; nil when the producer is not transactional.
    var transactionPhase: TransactionState.Phase? { lock.withLock { transaction?.phase } }

    /// A transactional request failed: fatal errors end the producer, others the transaction.
    func withTransactionFailing(_ error: ClientError) {
        lock.withLock { transaction?.fail(error) }
    }

    /// EndTxn failed: fatal errors end the producer; otherwise the commit or abort may be
    /// tried again.
    func withTransactionEndFailing(_ error: ClientError) {
        lock.withLock { transaction?.endFailed(error) }
    }
}

/// One request of the transactional producer to a coordinator (the transactional id's, or a
/// group's for TxnOffsetCommit), retried as Kafka's `TransactionManager` retries: while the
/// answer is retriable (COORDINATOR_NOT_AVAILABLE and NOT_COORDINATOR, after which the
/// coordinator is looked up again; COORDINATOR_LOAD_IN_PROGRESS; CONCURRENT_TRANSACTIONS while
/// the previous transaction's markers are written) or the request failed in transport, every
/// retry.backoff.ms, for at most max.block.ms.
struct TransactionCoordinatorCall: Sendable {
    let client: KafkaClient
    let config: ProducerConfig

    /// Sends `request` until `error` of the answer is `.none` (the answer is returned) or not
    /// retriable (thrown as `ClientError.broker`). `error` returns nil for an answer of the
    /// wrong kind.
    func send(_ request: KafkaRequest, key: String? = nil, type: FindCoordinatorRequest.CoordinatorType = .transaction,
              error: @Sendable (KafkaResponse) -> ErrorCode?) async throws(ClientError) -> KafkaResponse {
        let key = key ?? config.transactionalId ?? ""
        let deadline = ClientTime.monotonicMs() + config.maxBlockMs
        var last: ClientError
        while true {
            do throws(ClientError) {
                let node = try await client.coordinator(for: key, type: type, timeoutMs: config.requestTimeoutMs)
                let response = try await client.send(request, to: node, timeoutMs: config.requestTimeoutMs)
                guard let code = error(response) else { throw KafkaClient.unexpected(response, expected: request.apiKey.name) }
                if code == .none { return response }
                if code == .notCoordinator || code == .coordinatorNotAvailable { client.coordinatorFailed(for: key, type: type) }
                last = .broker(code, message: "\(request.apiKey.name) for \(key)")
                guard code.isRetriable else { throw last }
            } catch {
                guard error.isRetriable else { throw error }
                if case .transport = error { client.coordinatorFailed(for: key, type: type) }
                last = error
            }
            if ClientTime.monotonicMs() + config.retryBackoffMs >= deadline {
                throw .timeout("\(request.apiKey.name) for \(key) did not succeed within max.block.ms (\(config.maxBlockMs) ms): \(last)")
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
        }
    }
}
