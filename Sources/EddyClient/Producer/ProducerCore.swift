import EddyProtocol
import Foundation

/// The state one producer shares between the tasks that call `send`/`flush`/`close` and its
/// sender loop: the accumulator, the idempotence bookkeeping, tasks waiting for buffer memory
/// or a flush, and the counters, all under one lock. Every decision is made by the value types
/// it holds (`RecordAccumulator`, `IdempotenceState`); this class adds the waiting and runs
/// completions outside the lock.
@usableFromInline
final class ProducerCore: @unchecked Sendable {
    let config: ProducerConfig
    let client: KafkaClient
    let wakeup = SenderWakeup()
    let deliveryTimeoutMs: Int64

    let lock = NSLock()
    var accumulator: RecordAccumulator
    var idempotence: IdempotenceState?
    /// A transactional producer's state (transactional.id set); nil otherwise.
    var transaction: TransactionState?
    /// enable.idempotence was set to true, so a broker without InitProducerId is an error
    /// rather than a reason to fall back to plain batches.
    let idempotenceRequired: Bool
    var memoryWaiters: [MemoryWaiter] = []
    var flushWaiters: [(mark: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    /// Produce requests awaiting a response, per node, oldest first. Responses are taken in
    /// this order, as over one Kafka connection: a response that arrives early waits for the
    /// earlier requests' outcomes, so a partition's batches are resolved in the order sent.
    var inFlightRequests: [Int32: [InFlightRequest]] = [:]
    var nextRequestId: UInt64 = 1

    struct InFlightRequest {
        var request: RecordAccumulator.Request
        /// The response or failure, once known; the first one wins.
        var result: Result<ProduceResponse, ClientError>?
    }
    var metadataRefreshNeeded = false
    var closed = false
    var stopped = false
    /// Set when the producer can no longer send (Kafka's fatal error state).
    var fatalState: ClientError?
    var _metrics = ProducerMetrics()
    /// Batches in requests awaiting responses (so a forced close can fail them).
    var inFlightBatches: [UInt64: ProducerBatch] = [:]

    init(config: ProducerConfig, client: KafkaClient, random: any RandomNumberGenerator & Sendable) {
        self.config = config
        self.client = client
        deliveryTimeoutMs = config.effectiveDeliveryTimeoutMs
        let settings = RecordAccumulator.Settings(batchSize: config.batchSize, lingerMs: config.lingerMs,
                                                  retryBackoffMs: config.retryBackoffMs, deliveryTimeoutMs: deliveryTimeoutMs,
                                                  bufferMemory: config.bufferMemory, maxRequestSize: config.maxRequestSize,
                                                  compression: config.compression, compressionLevel: config.compressionLevel,
                                                  transactional: config.transactionalId != nil)
        accumulator = RecordAccumulator(settings: settings,
                                        partitioner: Partitioner(batchSize: config.batchSize, ignoreKeys: config.partitionerIgnoreKeys,
                                                                 random: random))
        idempotence = config.idempotenceEnabled ? IdempotenceState() : nil
        transaction = config.transactionalId.map { TransactionState(transactionalId: $0) }
        idempotenceRequired = config.enableIdempotence == true
    }

    var metrics: ProducerMetrics { lock.withLock { _metrics } }

    var isIdempotent: Bool { lock.withLock { idempotence != nil } }

    // MARK: Sending

    /// Per-record bytes of a batch beyond key, value and headers: the record's length,
    /// attributes, timestamp and offset deltas and the key and value lengths, as varints at
    /// their largest.
    static let recordOverhead = 31

    /// The fast path of `append`: appends at once if the topic's metadata is known and no
    /// memory must be waited for. Returns false when `append` has to wait; throws what
    /// `append` would throw before queuing.
    @usableFromInline
    func appendIfReady(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader],
                       timestamp: Int64?, completion: SendCompletion?) throws(ClientError) -> Bool {
        let estimate = try checkedEstimate(key: key, value: value, headers: headers)
        let ts = timestamp ?? ClientTime.wallClockMs()
        var granted = 0
        switch try appendLocked(topic: topic, partition: partition, key: key, value: value, headers: headers, timestamp: ts,
                                estimate: estimate, completion: completion, granted: &granted) {
        case let .appended(_, newBatch, previousFull):
            if newBatch || previousFull { wakeup.signal() }
            return true
        case .unknownTopic, .needsMemory:
            return false
        }
    }

    /// Appends one serialized record, waiting up to max.block.ms for the topic's metadata and
    /// for buffer memory. Errors found before the record is queued are thrown; later ones go to
    /// `completion`.
    @usableFromInline
    func append(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader],
                timestamp: Int64?, completion: SendCompletion?) async throws(ClientError) {
        let estimate = try checkedEstimate(key: key, value: value, headers: headers)
        let ts = timestamp ?? ClientTime.wallClockMs()
        var granted = 0
        var deadline: Int64?
        while true {
            let outcome: RecordAccumulator.AppendOutcome
            do throws(ClientError) {
                outcome = try appendLocked(topic: topic, partition: partition, key: key, value: value, headers: headers,
                                           timestamp: ts, estimate: estimate, completion: completion, granted: &granted)
            } catch {
                if granted > 0 { releaseGrant(granted) }
                throw error
            }
            switch outcome {
            case let .appended(_, newBatch, previousFull):
                if granted > 0 { releaseGrant(granted) }
                if newBatch || previousFull { wakeup.signal() }
                return
            case .unknownTopic:
                let d = deadline ?? ClientTime.monotonicMs() + config.maxBlockMs
                deadline = d
                try await waitOnMetadata(topic: topic, deadlineMs: d)
            case let .needsMemory(bytes):
                let d = deadline ?? ClientTime.monotonicMs() + config.maxBlockMs
                deadline = d
                if granted > 0 { releaseGrant(granted) }
                granted = 0
                granted = try await acquireMemory(bytes, deadlineMs: d)
            }
        }
    }

    /// The record's estimated size in a batch, after checking it against max.request.size and
    /// buffer.memory (a record alone in a batch must fit both).
    private func checkedEstimate(key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]) throws(ClientError) -> Int {
        var estimate = Self.recordOverhead + (key?.count ?? 0) + (value?.count ?? 0)
        for h in headers { estimate += 10 + h.key.utf8.count + (h.value?.count ?? 0) }
        let size = estimate + RecordBatchHeader.size
        if size > config.maxRequestSize {
            throw .recordTooLarge(size: size, max: config.maxRequestSize, setting: "max.request.size")
        }
        if size > config.bufferMemory {
            throw .recordTooLarge(size: size, max: config.bufferMemory, setting: "buffer.memory")
        }
        return estimate
    }

    private func appendLocked(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader],
                              timestamp: Int64, estimate: Int, completion: SendCompletion?,
                              granted: inout Int) throws(ClientError) -> RecordAccumulator.AppendOutcome {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw .closed("Cannot send after the producer is closed.") }
        if let fatalState { throw fatalState }
        if let transaction { try transaction.checkSend() }
        return try accumulator.append(topic: topic, partition: partition, key: key, value: value, headers: headers,
                                      timestamp: timestamp, estimate: estimate, completion: completion,
                                      nowMs: ClientTime.monotonicMs(), grantedMemory: &granted,
                                      mayTakeMemory: memoryWaiters.isEmpty)
    }

    /// Kafka's `waitOnMetadata`: refreshes until the topic is known, retrying retriable
    /// errors (such as UNKNOWN_TOPIC_OR_PARTITION while a new topic propagates) until the deadline.
    private func waitOnMetadata(topic: String, deadlineMs: Int64) async throws(ClientError) {
        var lastError: ClientError?
        while true {
            do throws(ClientError) {
                let t = try await client.topicMetadata(topic, refresh: true)
                lock.withLock { accumulator.updateTopic(topic, Self.topicInfo(t)) }
                return
            } catch {
                guard error.isRetriable else { throw error }
                lastError = error
            }
            let now = ClientTime.monotonicMs()
            if now + config.retryBackoffMs >= deadlineMs {
                throw .timeout("Topic \(topic) not present in metadata after \(config.maxBlockMs) ms (max.block.ms)"
                    + (lastError.map { "; last error: \($0)" } ?? ""))
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
        }
    }

    static func topicInfo(_ t: TopicMetadata) -> RecordAccumulator.TopicInfo {
        RecordAccumulator.TopicInfo(partitionCount: t.partitions.count,
                                    availablePartitions: t.partitions.filter { $0.leader >= 0 }.map(\.topicPartition.partition))
    }

    // MARK: Flush and close

    /// Makes every record appended so far sendable now and waits until each has completed.
    func flush() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done: Bool = lock.withLock {
                let mark = accumulator.beginFlush()
                if accumulator.isDone(upTo: mark) || stopped { return true }
                flushWaiters.append((mark, c))
                return false
            }
            if done { c.resume() } else { wakeup.signal() }
        }
    }

    /// Refuses new records and makes everything queued sendable.
    func beginClose() {
        let resumes: [() -> Void] = lock.withLock {
            closed = true
            accumulator.closing = true
            let waiters = memoryWaiters
            memoryWaiters.removeAll()
            accumulator.memoryExhausted = false
            return waiters.compactMap { w in
                guard let c = w.continuation else { return nil }
                w.continuation = nil
                return { c.resume(returning: .failure(.closed("The producer was closed while send waited for buffer memory."))) }
            }
        }
        for r in resumes { r() }
        wakeup.signal()
    }

    /// Fails every record not yet acknowledged (queued or in flight) and stops the sender:
    /// Kafka's forced close.
    func stop(reason: ClientError) {
        let work: [() -> Void] = lock.withLock {
            var work: [() -> Void] = []
            for b in accumulator.removeAllQueued() { work += failLocked(b, reason) }
            for b in inFlightBatches.values.sorted(by: { $0.id < $1.id }) { work += failLocked(b, reason) }
            inFlightBatches.removeAll()
            stopped = true
            work += flushWaitersDoneLocked(all: true)
            return work
        }
        for w in work { w() }
        wakeup.signal()
    }

}
