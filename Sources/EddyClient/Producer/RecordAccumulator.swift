import EddyProtocol

/// Collects records into per-partition batches and decides which batches go out next (Kafka's
/// `RecordAccumulator` with its `BufferPool` accounting).
///
/// - A partition's queue holds its batches oldest first; only the last may be open. A record
///   goes into the open batch if it fits in batch.size (a first record always fits), else the
///   open batch is marked full and a new one starts.
/// - Each batch takes max(batch.size, its first record's size) from buffer.memory when it is
///   created and gives it back when done; `append` reports `.needsMemory` when the memory is
///   short, and the producer waits (max.block.ms) for other batches to complete.
/// - A queue's first batch is *sendable* when it is full, another batch follows it, it waited
///   linger.ms, a flush or close is in progress, or memory is exhausted, and it is not backing
///   off after a failed attempt (retry.backoff.ms).
/// - `drain` takes sendable first batches for each leader, at most one per partition in a
///   request and at most max.request.size of them (the first always), as many requests per
///   node as the caller allows (max.in.flight.requests.per.connection minus those in flight).
/// - Idempotence: a batch gets its sequence numbers when first drained; at most 5 of a
///   partition's batches are in flight. A batch that already has them (a retry) goes back into
///   the queue in sequence order ahead of new batches, is sent only when nothing else of its
///   partition is in flight, and nothing follows it until it is resolved. So a partition's
///   batches reach the leader in sequence order, and at most 4 are written after a batch whose
///   outcome is in doubt: the leader, which remembers a producer's last 5 batches, still
///   recognises it when it comes again.
/// - Keyless records go to the partitioner's sticky partition. The partitioner is consulted
///   when the choice may change (a batch filled, 2 × batch.size appended, another topic), not
///   for every record; it decides exactly as if told of each one.
///
/// A value with no I/O, kept under the producer's lock. Times are monotonic milliseconds.
struct RecordAccumulator: Sendable {
    struct Settings: Sendable {
        var batchSize: Int
        var lingerMs: Int64
        var retryBackoffMs: Int64
        var deliveryTimeoutMs: Int64
        var bufferMemory: Int
        var maxRequestSize: Int
        /// compression.type: the codec of every batch.
        var compression: CompressionType = .none
        /// compression.<codec>.level (KIP-390): the level batches are compressed at.
        var compressionLevel: Int?
        /// Batches are transactional (a producer with transactional.id).
        var transactional = false
    }

    struct TopicInfo: Sendable, Equatable {
        var partitionCount: Int
        /// Partitions with a leader, for the sticky partitioner.
        var availablePartitions: [Int32]
    }

    enum AppendOutcome: Equatable {
        /// The record is in a batch; `newBatch` if it started one (the sender should look
        /// again), `previousFull` if the partition's previous batch became full.
        case appended(TopicPartition, newBatch: Bool, previousFull: Bool)
        /// The topic's metadata is not known yet.
        case unknownTopic
        /// A new batch needs this many bytes of buffer.memory.
        case needsMemory(Int)
    }

    struct Request: Sendable {
        var node: Int32
        var batches: [ProducerBatch]
        /// The producer's own number for the request, to match its answer to its in-flight
        /// entry (not the correlation id, which the `KafkaClient` assigns); set when it is sent.
        var id: UInt64 = 0
        /// How long the client waits for the response; set by the producer.
        var timeoutMs: Int64 = 0
    }

    struct DrainResult {
        var requests: [Request] = []
        /// When a batch not sendable now becomes sendable (linger, backoff), if any.
        var nextReadyMs: Int64?
        /// Some queued partition has no known leader: refresh metadata.
        var unknownLeader = false
    }

    let settings: Settings
    private(set) var availableMemory: Int
    private(set) var topics: [String: TopicInfo] = [:]
    private var partitioner: Partitioner
    private var queues: [TopicPartition: PartitionQueue] = [:]
    private var nextBatchId: UInt64 = 1
    /// Ids of batches created and not yet done.
    private var incomplete: Set<UInt64> = []
    /// Batches with ids up to this are sendable at once (a flush is waiting for them).
    private var flushMark: UInt64 = 0
    /// Everything is sendable at once (the producer is closing).
    var closing = false
    /// Someone waits for buffer.memory: everything is sendable at once, to free it.
    var memoryExhausted = false
    /// The last topic appended to (its name, metadata and sticky mirror) and the last batch
    /// created, so that a stream of records to one partition finds its batch without hashing.
    private var currentTopic: String?
    private var currentInfo = TopicInfo(partitionCount: 0, availablePartitions: [])
    private var currentSticky: StickyMirror?
    private var lastOpenBatch: ProducerBatch?
    /// Sticky mirrors of topics other than the current one.
    private var stickyMirrors: [String: StickyMirror] = [:]

    /// What the accumulator knows of the partitioner's sticky state for a topic: its choice,
    /// the bytes it was told about since choosing, and bytes appended since, not yet told.
    private struct StickyMirror {
        var choice: PartitionChoice
        var reported: Int
        var pending: Int
    }

    private struct PartitionQueue {
        var batches: [ProducerBatch] = []
        var inFlight = 0
        /// Batches in flight on their second or later attempt.
        var retriesInFlight = 0
    }

    init(settings: Settings, partitioner: Partitioner) {
        self.settings = settings
        self.availableMemory = settings.bufferMemory
        self.partitioner = partitioner
    }

    // MARK: Appending

    /// Appends one record of about `estimate` bytes. `nowMs` is read only if a batch starts.
    ///
    /// - Parameter grantedMemory: memory already set aside for this record by a waiter; a new
    ///   batch uses it first and the caller gives back what is left.
    /// - Parameter mayTakeMemory: whether a new batch may take free memory (false while others wait for it).
    mutating func append(topic: String, partition: Int32?, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader],
                         timestamp: Int64, estimate: Int, completion: SendCompletion?, nowMs: @autoclosure () -> Int64,
                         grantedMemory: inout Int, mayTakeMemory: Bool) throws(ClientError) -> AppendOutcome {
        guard let info = topicInfo(topic) else { return .unknownTopic }
        let sticky = partition == nil && (key == nil || partitioner.ignoreKeys)
        var choice = sticky
            ? try stickyChoice(topic, info)
            : try partitioner.partition(topic: topic, key: key, explicitPartition: partition,
                                        partitionCount: info.partitionCount, availablePartitions: info.availablePartitions)
        var tp = TopicPartition(topic, choice.partition)
        var previousFull = false
        while let last = openBatch(tp) {
            if last.recordCount == 0 || last.sizeInBytes + estimate <= settings.batchSize {
                last.append(timestamp: timestamp, key: key, value: value, headers: headers, completion: completion)
                if sticky { stickyAppended(bytes: estimate, batchIsReady: false) }
                return .appended(tp, newBatch: false, previousFull: previousFull)
            }
            last.isFull = true
            previousFull = true
            // Kafka switches the sticky partition when its batch fills, before starting another
            // batch there; the record then goes to the new sticky partition.
            guard sticky else { break }
            stickyAppended(bytes: 0, batchIsReady: true)
            let next = try stickyChoice(topic, info)
            if next == choice { break }
            choice = next
            tp = TopicPartition(topic, choice.partition)
        }
        let reserve = max(settings.batchSize, estimate + RecordBatchHeader.size)
        if grantedMemory >= reserve {
            grantedMemory -= reserve
        } else if mayTakeMemory, availableMemory >= reserve {
            availableMemory -= reserve
        } else {
            return .needsMemory(reserve)
        }
        let batch = ProducerBatch(id: nextBatchId, topicPartition: tp, createdMs: nowMs(), capacity: reserve, reservedMemory: reserve,
                                  compression: settings.compression, compressionLevel: settings.compressionLevel,
                                  transactional: settings.transactional)
        nextBatchId += 1
        incomplete.insert(batch.id)
        batch.append(timestamp: timestamp, key: key, value: value, headers: headers, completion: completion)
        queues[tp, default: PartitionQueue()].batches.append(batch)
        lastOpenBatch = batch
        if sticky { stickyAppended(bytes: estimate, batchIsReady: false) }
        return .appended(tp, newBatch: true, previousFull: previousFull)
    }

    // MARK: Topic and sticky partition caches

    /// The topic's metadata, making it the current topic.
    private mutating func topicInfo(_ topic: String) -> TopicInfo? {
        if currentTopic == topic { return currentInfo }
        guard let info = topics[topic] else { return nil }
        retireCurrentTopic()
        currentTopic = topic
        currentInfo = info
        currentSticky = stickyMirrors.removeValue(forKey: topic)
        return info
    }

    /// Tells the partitioner what it was not told yet about the current topic and keeps the
    /// topic's sticky mirror for later.
    private mutating func retireCurrentTopic() {
        guard let name = currentTopic else { return }
        currentTopic = nil
        guard var m = currentSticky else { return }
        currentSticky = nil
        if m.pending > 0 {
            partitioner.recordAppended(topic: name, choice: m.choice, bytes: m.pending, batchIsReady: false,
                                       partitionCount: currentInfo.partitionCount, availablePartitions: currentInfo.availablePartitions)
            m.reported += m.pending
            m.pending = 0
        }
        if partitioner.stickyPartition(topic: name) == m.choice.partition { stickyMirrors[name] = m }
    }

    /// The current topic's sticky partition: the partitioner's choice, asked once and then kept
    /// until the partitioner may have moved on.
    private mutating func stickyChoice(_ topic: String, _ info: TopicInfo) throws(ClientError) -> PartitionChoice {
        if let m = currentSticky { return m.choice }
        let choice = try partitioner.partition(topic: topic, key: nil, explicitPartition: nil, partitionCount: info.partitionCount,
                                               availablePartitions: info.availablePartitions)
        currentSticky = StickyMirror(choice: choice, reported: 0, pending: 0)
        return choice
    }

    /// Counts `bytes` appended to the current topic's sticky partition. The partitioner is
    /// told when its batch filled (`batchIsReady`) and whenever the bytes it would have counted
    /// reach 2 × batch.size: only then can it move on, so it decides as if told of every record.
    private mutating func stickyAppended(bytes: Int, batchIsReady: Bool) {
        guard var m = currentSticky else { return }
        m.pending += bytes
        let limit = partitioner.batchSize
        if batchIsReady || m.reported + m.pending >= 2 * limit, let name = currentTopic {
            partitioner.recordAppended(topic: name, choice: m.choice, bytes: m.pending, batchIsReady: batchIsReady,
                                       partitionCount: currentInfo.partitionCount, availablePartitions: currentInfo.availablePartitions)
            m.reported += m.pending
            m.pending = 0
            // The partitioner's rule: it drew a new sticky partition (possibly the same one)
            // and counts from 0 again; ask it for the choice next time.
            if (m.reported >= limit && batchIsReady) || m.reported >= 2 * limit {
                currentSticky = nil
                return
            }
        }
        currentSticky = m
    }

    /// The open batch of `tp`, if its last batch is open. A batch taken out of its queue is
    /// always closed first, so the remembered last batch is still the queue's while it is open.
    private func openBatch(_ tp: TopicPartition) -> ProducerBatch? {
        if let b = lastOpenBatch, b.isOpen, b.topicPartition == tp { return b }
        guard let last = queues[tp]?.batches.last, last.isOpen else { return nil }
        return last
    }

    /// Gives back buffer memory (a done batch's reservation, or an unused grant).
    mutating func release(memory bytes: Int) {
        availableMemory = min(settings.bufferMemory, availableMemory + bytes)
    }

    /// Takes memory for a waiter; false if not enough is free.
    mutating func take(memory bytes: Int) -> Bool {
        guard availableMemory >= bytes else { return false }
        availableMemory -= bytes
        return true
    }

    // MARK: Metadata

    mutating func updateTopic(_ name: String, _ info: TopicInfo) {
        guard topics[name] != info else { return }
        if currentTopic == name { retireCurrentTopic() }
        stickyMirrors[name] = nil
        topics[name] = info
    }

    var topicNames: [String] { topics.keys.sorted() }

    // MARK: Draining

    /// Takes the batches to send now; see the type's rules. `requestsAllowed(node)` is how many
    /// more requests `node` may have in flight.
    /// - Parameter mayGoOut: whether a partition's batches may be sent now (a transactional
    ///   producer's only once the partition is in the transaction).
    mutating func drain(nowMs: Int64, leaderOf: (TopicPartition) -> Int32?, requestsAllowed: (Int32) -> Int,
                        maxInFlightPerPartition: Int, idempotence: inout IdempotenceState?,
                        mayGoOut: (TopicPartition) -> Bool = { _ in true }) -> DrainResult {
        var result = DrainResult()
        if let i = idempotence, !i.hasProducerId || i.resetPending {
            // Nothing may go out until the producer id is known; expiry still applies.
            return result
        }
        // Sendable partitions, grouped by leader.
        var byNode: [Int32: [TopicPartition]] = [:]
        for (tp, q) in queues {
            guard let head = q.batches.first, mayGoOut(tp) else { continue }
            guard let leader = leaderOf(tp) else {
                result.unknownLeader = true
                continue
            }
            switch readiness(head, q, nowMs: nowMs, maxInFlightPerPartition: maxInFlightPerPartition, idempotent: idempotence != nil) {
            case .sendable: byNode[leader, default: []].append(tp)
            case let .at(ms): result.nextReadyMs = min(result.nextReadyMs ?? ms, ms)
            case .blocked: break
            }
        }
        for (node, partitions) in byNode.sorted(by: { $0.key < $1.key }) {
            var allowed = requestsAllowed(node)
            var candidates = partitions.sorted()
            while allowed > 0, !candidates.isEmpty {
                var batches: [ProducerBatch] = []
                var size = 0
                var next: [TopicPartition] = []
                for tp in candidates {
                    guard let head = queues[tp]?.batches.first else { continue }
                    head.close()
                    if !batches.isEmpty, size + head.sizeInBytes > settings.maxRequestSize {
                        next.append(tp)
                        continue
                    }
                    queues[tp]!.batches.removeFirst()
                    queues[tp]!.inFlight += 1
                    if idempotence != nil, !head.hasSequence {
                        let position = idempotence!.assignSequences(tp, count: head.recordCount)
                        head.setProducerState(producerId: idempotence!.producerId, epoch: idempotence!.epoch, sequencePosition: position)
                    }
                    head.inFlight = true
                    head.attempts += 1
                    if head.attempts > 1 { queues[tp]!.retriesInFlight += 1 }
                    size += head.sizeInBytes
                    batches.append(head)
                    // The partition may send its next batch in another request.
                    if let q = queues[tp], let newHead = q.batches.first {
                        switch readiness(newHead, q, nowMs: nowMs, maxInFlightPerPartition: maxInFlightPerPartition,
                                         idempotent: idempotence != nil) {
                        case .sendable: next.append(tp)
                        case let .at(ms): result.nextReadyMs = min(result.nextReadyMs ?? ms, ms)
                        case .blocked: break
                        }
                    }
                }
                if batches.isEmpty { break }
                result.requests.append(Request(node: node, batches: batches))
                allowed -= 1
                candidates = next
            }
        }
        return result
    }

    private enum Readiness {
        case sendable
        /// Sendable at this time unless something changes first.
        case at(Int64)
        /// Waits for an event (a response), not for time.
        case blocked
    }

    private func readiness(_ head: ProducerBatch, _ q: PartitionQueue, nowMs: Int64,
                           maxInFlightPerPartition: Int, idempotent: Bool) -> Readiness {
        if idempotent {
            // A retry goes alone, once everything sent before it is resolved, and nothing
            // follows it until it succeeds: the leader recognises a resent batch only among
            // the last 5 it wrote, so at most 4 may be written after a batch in doubt.
            if head.hasSequence, q.inFlight > 0 { return .blocked }
            if q.retriesInFlight > 0 || q.inFlight >= maxInFlightPerPartition { return .blocked }
        }
        let queueCount = q.batches.count
        if head.attempts > 0 {
            let retryAt = head.lastAttemptMs + settings.retryBackoffMs
            if nowMs < retryAt { return .at(retryAt) }
            return .sendable
        }
        if head.isFull || queueCount > 1 || head.id <= flushMark || closing || memoryExhausted || !head.isOpen {
            return .sendable
        }
        let lingerEnd = head.createdMs + settings.lingerMs
        return nowMs >= lingerEnd ? .sendable : .at(lingerEnd)
    }

    // MARK: Outcomes

    /// A sent batch is back for another attempt: it returns to the front of its queue (in
    /// sequence order among other retries when it has sequence numbers).
    mutating func reenqueue(_ batch: ProducerBatch, nowMs: Int64) {
        let tp = batch.topicPartition
        markNotInFlight(batch)
        batch.lastAttemptMs = nowMs
        var q = queues.removeValue(forKey: tp) ?? PartitionQueue()
        var at = 0
        if batch.hasSequence {
            while at < q.batches.count, q.batches[at].hasSequence, q.batches[at].sequencePosition < batch.sequencePosition { at += 1 }
        }
        q.batches.insert(batch, at: at)
        queues[tp] = q
    }

    /// A sent batch's request completed (whatever the outcome).
    mutating func markNotInFlight(_ batch: ProducerBatch) {
        guard batch.inFlight else { return }
        batch.inFlight = false
        queues[batch.topicPartition, default: PartitionQueue()].inFlight -= 1
        if batch.attempts > 1 { queues[batch.topicPartition]!.retriesInFlight -= 1 }
    }

    /// The batch is done (acknowledged or failed): its memory is free.
    mutating func done(_ batch: ProducerBatch) {
        markNotInFlight(batch)
        if incomplete.remove(batch.id) != nil { release(memory: batch.reservedMemory) }
    }

    /// Removes and returns the queued (not in flight) batches older than delivery.timeout.ms.
    mutating func expiredBatches(nowMs: Int64) -> [ProducerBatch] {
        var expired: [ProducerBatch] = []
        let timeout = settings.deliveryTimeoutMs
        for tp in queues.keys {
            let q = queues[tp]!
            guard q.batches.contains(where: { nowMs - $0.createdMs >= timeout }) else { continue }
            let old = q.batches.filter { nowMs - $0.createdMs >= timeout }
            for b in old { b.close() }
            expired += old
            queues[tp]!.batches.removeAll { nowMs - $0.createdMs >= timeout }
        }
        return expired
    }

    /// When the oldest queued batch expires, if any is queued.
    var nextExpiryMs: Int64? {
        queues.values.compactMap { $0.batches.map(\.createdMs).min() }.min().map { $0 + settings.deliveryTimeoutMs }
    }

    /// Removes and returns every queued batch (a forced close).
    mutating func removeAllQueued() -> [ProducerBatch] {
        var all: [ProducerBatch] = []
        for tp in queues.keys.sorted() {
            all += queues[tp]!.batches
            queues[tp]!.batches.removeAll()
        }
        for b in all { b.close() }
        return all
    }

    /// After a new producer id: the queued batches that had sequence numbers get new ones, in
    /// queue order, from the new id's 0.
    mutating func renumber(_ idempotence: inout IdempotenceState) {
        for tp in queues.keys.sorted() {
            for b in queues[tp]!.batches where b.hasSequence {
                let position = idempotence.assignSequences(tp, count: b.recordCount)
                b.setProducerState(producerId: idempotence.producerId, epoch: idempotence.epoch, sequencePosition: position)
            }
        }
    }

    // MARK: Flush

    /// Makes every batch created so far sendable at once; returns the mark to wait for.
    mutating func beginFlush() -> UInt64 {
        flushMark = max(flushMark, nextBatchId - 1)
        return nextBatchId - 1
    }

    /// Whether every batch up to `mark` is done.
    func isDone(upTo mark: UInt64) -> Bool { !incomplete.contains { $0 <= mark } }

    var hasIncomplete: Bool { !incomplete.isEmpty }

    var inFlightBatchCount: Int { queues.values.reduce(0) { $0 + $1.inFlight } }

    /// Partitions with batches waiting to be sent.
    var queuedPartitions: Set<TopicPartition> { Set(queues.filter { !$0.value.batches.isEmpty }.keys) }
}
