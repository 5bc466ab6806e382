import EddyProtocol

/// Consume-transform-produce, exactly once end to end (KIP-98's and KIP-447's loop, as Kafka
/// Streams runs it with processing.guarantee=exactly_once_v2): every `process` polls a batch of
/// records, lets `transform` turn it into output records, and sends the outputs and the
/// batch's input offsets in one transaction. Downstream read_committed consumers and the
/// group's committed offsets then see each input's outputs once: all of a batch or none.
///
/// - `consumer`: in a group, with enable.auto.commit false and isolation.level read_committed
///   (the group's committed offsets are the transactions'; an upstream transaction's aborted
///   records are never processed).
/// - `producer`: transactional (transactional.id), `initTransactions` done or left to the
///   first `process`.
///
/// If `transform`, a send or the commit fails, the transaction is aborted and the consumer
/// rewound to the batch's first records, so the next `process` starts the batch again; the
/// error is rethrown. A commit whose answer did not come (EndTxn timed out: it may have
/// committed) is neither aborted nor rewound: the next `process` commits it again before it
/// polls. An abort that failed too is tried again by the next `process` before it polls, so no
/// batch is read while a transaction is unended. A fenced producer (a newer instance with the same transactional.id) or
/// a member that lost its partitions gets the fencing error: close both then.
public final class ExactlyOnceProcessor<Key: Sendable, Value: Sendable>: Sendable {
    public let consumer: Consumer
    public let producer: Producer<Key, Value>

    public init(consumer: Consumer, producer: Producer<Key, Value>) throws(ClientError) {
        guard producer.config.transactionalId != nil else {
            throw .invalidConfig(key: "transactional.id", value: "", reason: "exactly-once processing needs a transactional producer")
        }
        // enable.auto.commit defaults to true: it must be turned off explicitly.
        guard consumer.config.groupId != nil, !consumer.config.autoCommitEnabled else {
            throw .invalidConfig(key: "enable.auto.commit", value: "true",
                                 reason: "exactly-once processing commits offsets with the transaction: use a group without auto commit")
        }
        guard consumer.config.isolationLevel == .readCommitted else {
            throw .invalidConfig(key: "isolation.level", value: "read_uncommitted",
                                 reason: "exactly-once processing reads committed records only (read_committed)")
        }
        self.consumer = consumer
        self.producer = producer
    }

    /// One round: polls up to `timeoutMs`; if records came, transforms and commits them in one
    /// transaction. Returns how many input records were committed (0: nothing came).
    @discardableResult
    public func process(timeoutMs: Int64,
                        _ transform: @Sendable ([ConsumerRecord]) async throws -> [ProducerRecord<Key, Value>]) async throws -> Int {
        if !producer.isTransactionReady { try await producer.initTransactions() }
        if producer.isCommitUnanswered { try await producer.commitTransaction() }
        if producer.hasUnendedTransaction { try await producer.abortTransaction() }
        let records = try await consumer.poll(timeoutMs: timeoutMs)
        guard !records.isEmpty, let group = consumer.groupMetadata() else { return 0 }
        var first: [TopicPartition: Int64] = [:]
        var next: [TopicPartition: OffsetAndMetadata] = [:]
        for r in records {
            if first[r.topicPartition] == nil { first[r.topicPartition] = r.offset }
            next[r.topicPartition] = OffsetAndMetadata(r.offset + 1, leaderEpoch: r.leaderEpoch)
        }
        try producer.beginTransaction()
        do {
            for output in try await transform(records) { try await producer.sendAndForget(output) }
            try await producer.sendOffsetsToTransaction(next, groupMetadata: group)
            try await producer.commitTransaction()
            return records.count
        } catch {
            // A commit that may have happened is made again by the next round, not aborted.
            if producer.isCommitUnanswered { throw error }
            try? await producer.abortTransaction()
            // Start the batch again (the partitions this member still owns).
            for (tp, offset) in first where consumer.assignment().contains(tp) { try? consumer.seek(tp, offset: offset) }
            throw error
        }
    }
}

