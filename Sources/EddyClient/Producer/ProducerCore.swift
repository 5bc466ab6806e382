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

    private let lock = NSLock()
    private var accumulator: RecordAccumulator
    private var idempotence: IdempotenceState?
    /// enable.idempotence was set to true, so a broker without InitProducerId is an error
    /// rather than a reason to fall back to plain batches.
    private let idempotenceRequired: Bool
    private var memoryWaiters: [MemoryWaiter] = []
    private var flushWaiters: [(mark: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
    /// Produce requests awaiting a response, per node, oldest first. Responses are taken in
    /// this order, as over one Kafka connection: a response that arrives early waits for the
    /// earlier requests' outcomes, so a partition's batches are resolved in the order sent.
    private var inFlightRequests: [Int32: [InFlightRequest]] = [:]
    private var nextRequestId: UInt64 = 1

    private struct InFlightRequest {
        var request: RecordAccumulator.Request
        /// When the request times out (request.timeout.ms, capped by delivery.timeout.ms).
        var deadlineMs: Int64
        /// The response or failure, once known; the first one wins.
        var result: Result<ProduceResponse, ClientError>?
    }
    private var metadataRefreshNeeded = false
    private var closed = false
    private var stopped = false
    /// Set when the producer can no longer send (Kafka's fatal error state).
    private var fatalError: ClientError?
    private var _metrics = ProducerMetrics()

    init(config: ProducerConfig, client: KafkaClient, random: any RandomNumberGenerator & Sendable) {
        self.config = config
        self.client = client
        deliveryTimeoutMs = config.effectiveDeliveryTimeoutMs
        let settings = RecordAccumulator.Settings(batchSize: config.batchSize, lingerMs: config.lingerMs,
                                                  retryBackoffMs: config.retryBackoffMs, deliveryTimeoutMs: deliveryTimeoutMs,
                                                  bufferMemory: config.bufferMemory, maxRequestSize: config.maxRequestSize)
        accumulator = RecordAccumulator(settings: settings,
                                        partitioner: Partitioner(batchSize: config.batchSize, ignoreKeys: config.partitionerIgnoreKeys,
                                                                 random: random))
        idempotence = config.idempotenceEnabled ? IdempotenceState() : nil
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
        let ts = timestamp ?? ProducerClock.wallClockMs()
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
        let ts = timestamp ?? ProducerClock.wallClockMs()
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
        if let fatalError { throw fatalError }
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

    // MARK: Buffer memory

    private final class MemoryWaiter: @unchecked Sendable {
        let bytes: Int
        var continuation: CheckedContinuation<Result<Int, ClientError>, Never>?

        init(bytes: Int) { self.bytes = bytes }
    }

    /// Waits (first come, first served) until `bytes` of buffer.memory are free and takes them.
    private func acquireMemory(_ bytes: Int, deadlineMs: Int64) async throws(ClientError) -> Int {
        let waiter = MemoryWaiter(bytes: bytes)
        let result: Result<Int, ClientError> = await withCheckedContinuation { c in
            let immediate: Result<Int, ClientError>? = lock.withLock {
                if closed { return .failure(.closed("Cannot send after the producer is closed.")) }
                if memoryWaiters.isEmpty, accumulator.take(memory: bytes) { return .success(bytes) }
                waiter.continuation = c
                memoryWaiters.append(waiter)
                accumulator.memoryExhausted = true
                return nil
            }
            if let immediate {
                c.resume(returning: immediate)
                return
            }
            wakeup.signal()
            let delay = max(0, deadlineMs - ClientTime.monotonicMs())
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(min(delay, Int64(Int32.max))))) { [self] in
                expire(waiter)
            }
        }
        return try result.get()
    }

    private func expire(_ waiter: MemoryWaiter) {
        let c: CheckedContinuation<Result<Int, ClientError>, Never>? = lock.withLock {
            guard let c = waiter.continuation else { return nil }
            waiter.continuation = nil
            memoryWaiters.removeAll { $0 === waiter }
            accumulator.memoryExhausted = !memoryWaiters.isEmpty
            return c
        }
        c?.resume(returning: .failure(.timeout(
            "Failed to allocate \(waiter.bytes) bytes of buffer.memory (\(config.bufferMemory) bytes) within max.block.ms (\(config.maxBlockMs) ms)")))
    }

    private func releaseGrant(_ bytes: Int) {
        let resumes: [() -> Void] = lock.withLock {
            accumulator.release(memory: bytes)
            return grantMemoryLocked()
        }
        for r in resumes { r() }
    }

    /// Hands free memory to waiters in order. Returns the resumptions to run outside the lock.
    private func grantMemoryLocked() -> [() -> Void] {
        var resumes: [() -> Void] = []
        while let w = memoryWaiters.first, let c = w.continuation, accumulator.take(memory: w.bytes) {
            memoryWaiters.removeFirst()
            w.continuation = nil
            let bytes = w.bytes
            resumes.append { c.resume(returning: .success(bytes)) }
        }
        accumulator.memoryExhausted = !memoryWaiters.isEmpty
        return resumes
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

    var isStopped: Bool { lock.withLock { stopped } }

    /// Whether every record ever appended has completed.
    var isDrained: Bool { lock.withLock { !accumulator.hasIncomplete } }

    // MARK: For the sender

    /// Batches in requests awaiting responses (so a forced close can fail them).
    private var inFlightBatches: [UInt64: ProducerBatch] = [:]

    struct Plan {
        var requests: [RecordAccumulator.Request] = []
        /// When the loop must look again even if nothing happens (nil: only on a signal).
        var wakeAtMs: Int64?
        var refreshMetadata = false
        /// Ask for a producer id (first one, or a reset) before anything else.
        var initProducerId: (producerId: Int64, epoch: Int16)?
        var stop = false
    }

    /// One turn of the sender: applies the responses that arrived (in send order per node) and
    /// times out requests past their deadline, expires batches past delivery.timeout.ms, then
    /// takes what can be sent now. The completions of records done meanwhile run before it
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
            if closed, !accumulator.hasIncomplete, inFlightRequests.values.allSatisfy(\.isEmpty) {
                plan.stop = true
                work += flushWaitersDoneLocked(all: true)
                return plan
            }
            if let i = idempotence {
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
                maxInFlightPerPartition: min(maxInFlight, ProducerConfig.maxInFlightForIdempotence), idempotence: &idempotence)
            for var r in drained.requests {
                r.id = nextRequestId
                nextRequestId += 1
                r.timeoutMs = requestTimeoutLocked(for: r.batches, nowMs: nowMs)
                plan.requests.append(r)
                inFlightRequests[r.node, default: []].append(InFlightRequest(request: r, deadlineMs: nowMs + r.timeoutMs))
                for b in r.batches { inFlightBatches[b.id] = b }
                _metrics.requests += 1
                _metrics.retries += r.batches.filter { $0.attempts > 1 }.count
            }
            plan.refreshMetadata = metadataRefreshNeeded || drained.unknownLeader
            metadataRefreshNeeded = false
            let requestDeadline = inFlightRequests.values.lazy.flatMap { $0 }.filter { $0.result == nil }.map(\.deadlineMs).min()
            plan.wakeAtMs = [drained.nextReadyMs, accumulator.nextExpiryMs, requestDeadline].compactMap { $0 }.min()
            work += flushWaitersDoneLocked(all: false)
            return plan
        }
        for w in work { w() }
        return plan
    }

    /// How long a request carrying `batches` may wait for its response: request.timeout.ms,
    /// but never past the oldest batch's delivery deadline.
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

    func requestMetadataRefresh() { lock.withLock { metadataRefreshNeeded = true } }

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
            fatalError = error
            var work: [() -> Void] = []
            for b in accumulator.removeAllQueued() { work += failLocked(b, error) }
            work += flushWaitersDoneLocked(all: false)
            return work
        }
        for w in work { w() }
        wakeup.signal()
    }

    /// The transport's answer to a Produce request: kept until the sender's next turn, which
    /// applies the node's outcomes in the order its requests were sent (see
    /// `inFlightRequests`). An answer after the request timed out is ignored.
    func responseArrived(_ result: Result<ProduceResponse, ClientError>, for request: RecordAccumulator.Request) {
        lock.withLock {
            guard let index = inFlightRequests[request.node]?.firstIndex(where: { $0.request.id == request.id }),
                  inFlightRequests[request.node]![index].result == nil else { return }
            inFlightRequests[request.node]![index].result = result
        }
        wakeup.signal()
    }

    /// Times out overdue requests, then applies every outcome at the head of a node's queue.
    private func applyResponsesLocked(nowMs: Int64) -> [() -> Void] {
        var work: [() -> Void] = []
        for node in inFlightRequests.keys.sorted() {
            var queue = inFlightRequests[node]!
            for i in queue.indices where queue[i].result == nil && queue[i].deadlineMs <= nowMs {
                queue[i].result = .failure(.transport(.timedOut(node)))
            }
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
        _metrics.bytesSent += b.sizeInBytes
        let completions = b.completions(baseOffset: baseOffset, logAppendTimeMs: logAppendTimeMs)
        var work: [() -> Void] = grantMemoryLocked()
        if !completions.isEmpty {
            work.append { for (c, m) in completions { c(.success(m)) } }
        }
        return work
    }

    private func failLocked(_ b: ProducerBatch, _ error: ClientError) -> [() -> Void] {
        // The sequence numbers of a failed batch leave a gap the leader never sees filled.
        if b.hasSequence { idempotence?.requestReset() }
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
        if case let .transport(t) = error, t != .brokerUnavailable(t.node) { b.maybeWritten = true }
        let canRetry = Int64(b.attempts) <= Int64(config.retries) && nowMs - b.createdMs < deliveryTimeoutMs && !closedForcefully
        if idempotence != nil, b.hasSequence {
            switch error.errorCode {
            case .outOfOrderSequenceNumber?:
                // An earlier batch is unresolved: this one goes again after it. Otherwise the
                // leader lost this producer's state: fatal for the batch.
                if canRetry, idempotence!.outOfOrderIsRetriable(b.topicPartition, basePosition: b.sequencePosition) {
                    accumulator.reenqueue(b, nowMs: nowMs)
                    return []
                }
                return failLocked(b, error)
            case .unknownProducerId?:
                idempotence!.requestReset()
                if canRetry {
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
        return failLocked(b, error)
    }

    private var closedForcefully: Bool { stopped }

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

    private func expiryError(_ b: ProducerBatch, nowMs: Int64, metadata: ClusterMetadata) -> ClientError {
        var message = "Expiring \(b.recordCount) record(s) for \(b.topicPartition): \(nowMs - b.createdMs) ms has passed since batch creation"
            + " (delivery.timeout.ms \(deliveryTimeoutMs))"
        if let last = b.lastError {
            message += "; last error: \(last)"
        } else if metadata.leader(of: b.topicPartition) == nil {
            message += "; the partition has no leader (LEADER_NOT_AVAILABLE)"
        }
        return .timeout(message)
    }

    private func flushWaitersDoneLocked(all: Bool) -> [() -> Void] {
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
