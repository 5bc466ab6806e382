import EddyProtocol

/// The transaction coordinator's broker configs (Kafka's names and defaults).
public struct TransactionCoordinatorConfig: Sendable, Equatable {
    /// transaction.state.log.num.partitions
    public var numPartitions: Int32 = 50
    /// transaction.state.log.replication.factor (eddy creates the topic with fewer when fewer
    /// brokers run, as for `__consumer_offsets`).
    public var replicationFactor: Int16 = 3
    /// transaction.max.timeout.ms: a producer asking for a longer transaction.timeout.ms gets
    /// INVALID_TRANSACTION_TIMEOUT.
    public var maxTimeoutMs: Int32 = 900_000
    /// transaction.abort.timed.out.transaction.cleanup.interval.ms: how often expired
    /// transactions are looked for (`tick`).
    public var abortTimedOutTransactionCleanupIntervalMs: Int64 = 10_000
    /// transactional.id.expiration.ms: an idle transactional id is forgotten after this long.
    public var transactionalIdExpirationMs: Int64 = 604_800_000

    public init() {}
}

/// Identifies a client request the coordinator answers later (`TransactionAction.reply`).
public typealias TransactionRequestToken = UInt64

/// What the caller of `TransactionCoordinator` must do after an event, in the order given.
public enum TransactionAction: Equatable, Sendable {
    /// Append the record to `__transaction_state` (acks=all), then report the outcome with
    /// `writeCompleted(_:error:now:)`. Nothing it changes is visible until then.
    case append(TransactionWrite)
    /// Have the partitions' leaders write the transaction's markers (WriteTxnMarkers), retrying
    /// until each has it (a deleted topic's partitions count as done), then report
    /// `markersWritten(transactionalId:producerEpoch:now:)`.
    case writeMarkers(TransactionMarkers)
    /// Answer the request with this token.
    case reply(TransactionRequestToken, TransactionReply)
}

/// A record for `__transaction_state` (value nil: a tombstone).
public struct TransactionWrite: Equatable, Sendable {
    public var id: UInt64
    public var partition: Int32
    public var key: [UInt8]
    public var value: [UInt8]?
}

/// The markers that end a transaction in each of its partitions.
public struct TransactionMarkers: Equatable, Sendable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var committed: Bool
    public var coordinatorEpoch: Int32
    public var partitions: [TopicPartition]
}

/// A coordinator's answer: an error, and for InitProducerId the producer id and epoch.
public struct TransactionReply: Equatable, Sendable {
    public var error: ErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(_ error: ErrorCode, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.error = error
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }
}

/// The transaction coordinator as a pure state machine (Kafka's `TransactionCoordinator` with
/// its `TransactionStateManager`), for the transactional ids of the `__transaction_state`
/// partitions this broker leads.
///
/// No I/O and no clock: each event takes `now` and returns `TransactionAction`s the caller
/// carries out. A change is first written to `__transaction_state` (`append`) and applied only
/// when the caller reports the write durable (`writeCompleted`), as Kafka's
/// `prepareTransitionTo`/`completeTransitionTo`; a transactional id has at most one write in
/// flight (requests meanwhile get CONCURRENT_TRANSACTIONS).
///
/// Commit and abort: EndTxn moves an Ongoing transaction to PrepareCommit or PrepareAbort (the
/// decision is durable once written), answers the producer, and asks for the markers; once they
/// are written, CompleteCommit or CompleteAbort is written. A coordinator that takes over a
/// partition (`load`) resumes the markers of every transaction it finds preparing.
/// Zombies are fenced by epoch: every InitProducerId bumps the producer epoch; one that finds a
/// transaction open aborts it with the bumped epoch (CONCURRENT_TRANSACTIONS until done, the
/// producer retries); a transaction open longer than its timeout is aborted the same way
/// (`tick`), so its producer's next request is PRODUCER_FENCED.
/// Not thread-safe: the owner serialises events.
public struct TransactionCoordinator: Sendable {
    public var config: TransactionCoordinatorConfig
    public private(set) var transactions: [String: TransactionMetadata] = [:]
    /// The `__transaction_state` partitions loaded here, with their coordinator epochs (the
    /// partition's leader epoch when it was loaded).
    public private(set) var coordinatorEpochs: [Int32: Int32] = [:]
    /// Writes in flight, by id, and by transactional id.
    private var pending: [UInt64: Pending] = [:]
    private var pendingByTransaction: [String: UInt64] = [:]
    /// Transactions whose markers are being written.
    public private(set) var markersInFlight: Set<String> = []
    private var nextWriteId: UInt64 = 1

    private struct Pending {
        var target: TransactionMetadata
        /// Answered when the write completes (nil for the coordinator's own writes).
        var token: TransactionRequestToken?
        /// The answer on success.
        var reply: TransactionReply
        /// Markers to write once it is durable.
        var markers: Bool
    }

    public init(config: TransactionCoordinatorConfig = TransactionCoordinatorConfig()) {
        self.config = config
    }

    /// The `__transaction_state` partition of `transactionalId`.
    public func partitionFor(_ transactionalId: String) -> Int32 {
        OffsetsTopic.partitionFor(groupId: transactionalId, partitionCount: config.numPartitions)
    }

    /// Whether `transactionalId`'s partition is loaded here.
    public func owns(_ transactionalId: String) -> Bool { coordinatorEpochs[partitionFor(transactionalId)] != nil }

    /// Whether InitProducerId for `transactionalId` would need a new producer id (an unknown
    /// id, or an exhausted epoch): the caller allocates one before calling it.
    public func needsNewProducerId(_ transactionalId: String) -> Bool {
        guard let m = transactions[transactionalId] else { return true }
        return m.producerEpoch >= Int16.max - 1
    }

    /// Whether a write for `transactionalId` is in flight.
    public func hasPendingWrite(_ transactionalId: String) -> Bool { pendingByTransaction[transactionalId] != nil }

    // MARK: Requests

    /// InitProducerId with a transactional id: a new producer id (epoch 0) for a new id, else
    /// the next epoch (a new producer id once the epoch is exhausted), which fences every older
    /// producer of the id. An open transaction is aborted first (CONCURRENT_TRANSACTIONS: retry).
    /// With `producerId` ≥ 0 (KIP-360, v3+) the caller must hold the current producer id at the
    /// current epoch, or the previous epoch when it retries (INVALID_PRODUCER_EPOCH otherwise).
    public mutating func initProducerId(_ token: TransactionRequestToken, transactionalId: String, timeoutMs: Int32,
                                        producerId: Int64 = -1, producerEpoch: Int16 = -1, now: Int64,
                                        newProducerId: () -> Int64?) -> [TransactionAction] {
        func reply(_ error: ErrorCode) -> [TransactionAction] { [.reply(token, TransactionReply(error))] }
        guard !transactionalId.isEmpty else { return reply(.invalidRequest) }
        guard owns(transactionalId) else { return reply(.notCoordinator) }
        guard timeoutMs > 0, timeoutMs <= config.maxTimeoutMs else { return reply(.invalidTransactionTimeout) }
        guard !hasPendingWrite(transactionalId), !markersInFlight.contains(transactionalId) else { return reply(.concurrentTransactions) }
        guard var m = transactions[transactionalId] else {
            guard let pid = newProducerId() else { return reply(.coordinatorNotAvailable) }
            let m = TransactionMetadata(transactionalId: transactionalId, producerId: pid, producerEpoch: 0, timeoutMs: timeoutMs,
                                        state: .empty, lastUpdateTimestampMs: now)
            return write(m, token: token, reply: TransactionReply(.none, producerId: pid, producerEpoch: 0))
        }
        if producerId >= 0 {
            guard producerId == m.producerId else { return reply(.invalidProducerIdMapping) }
            guard producerEpoch == m.producerEpoch || producerEpoch == m.lastProducerEpoch else { return reply(.invalidProducerEpoch) }
        }
        switch m.state {
        case .prepareCommit, .prepareAbort, .prepareEpochFence, .dead:
            return reply(.concurrentTransactions)
        case .ongoing:
            // Fence the producer that left it open, and abort it; the caller retries.
            return reply(.concurrentTransactions) + fenceAndAbort(m, now: now)
        case .empty, .completeCommit, .completeAbort:
            if m.producerEpoch >= Int16.max - 1 {
                guard let pid = newProducerId() else { return reply(.coordinatorNotAvailable) }
                m.producerId = pid
                m.producerEpoch = 0
                m.lastProducerEpoch = -1
            } else {
                m.lastProducerEpoch = m.producerEpoch
                m.producerEpoch += 1
            }
            m.state = .empty
            m.partitions = []
            m.startTimestampMs = -1
            m.timeoutMs = timeoutMs
            m.lastUpdateTimestampMs = now
            return write(m, token: token, reply: TransactionReply(.none, producerId: m.producerId, producerEpoch: m.producerEpoch))
        }
    }

    /// AddPartitionsToTxn (and AddOffsetsToTxn, with the group's `__consumer_offsets`
    /// partition): the partitions join the transaction, which starts (Ongoing) with the first.
    public mutating func addPartitions(_ token: TransactionRequestToken, transactionalId: String, producerId: Int64,
                                       producerEpoch: Int16, partitions: [TopicPartition], now: Int64) -> [TransactionAction] {
        func reply(_ error: ErrorCode) -> [TransactionAction] { [.reply(token, TransactionReply(error))] }
        var m: TransactionMetadata
        switch check(transactionalId, producerId: producerId, producerEpoch: producerEpoch) {
        case let .failure(e): return reply(e)
        case let .success(found): m = found
        }
        switch m.state {
        case .prepareCommit, .prepareAbort, .prepareEpochFence, .dead: return reply(.concurrentTransactions)
        case .ongoing where Set(partitions).isSubset(of: m.partitions): return reply(.none)
        case .empty, .completeCommit, .completeAbort, .ongoing:
            if m.state != .ongoing { m.startTimestampMs = now }
            m.state = .ongoing
            m.partitions.formUnion(partitions)
            m.lastUpdateTimestampMs = now
            return write(m, token: token, reply: TransactionReply(.none))
        }
    }

    /// EndTxn: an Ongoing transaction prepares to commit or abort; the producer is answered
    /// once that is durable, and the markers follow. A retry of a decided transaction is
    /// answered by its state (CONCURRENT_TRANSACTIONS while its markers are written, success
    /// once complete); the opposite decision is INVALID_TXN_STATE.
    public mutating func endTransaction(_ token: TransactionRequestToken, transactionalId: String, producerId: Int64,
                                        producerEpoch: Int16, commit: Bool, now: Int64) -> [TransactionAction] {
        func reply(_ error: ErrorCode) -> [TransactionAction] { [.reply(token, TransactionReply(error))] }
        var m: TransactionMetadata
        switch check(transactionalId, producerId: producerId, producerEpoch: producerEpoch) {
        case let .failure(e): return reply(e)
        case let .success(found): m = found
        }
        switch m.state {
        case .ongoing:
            m.state = commit ? .prepareCommit : .prepareAbort
            m.lastUpdateTimestampMs = now
            return write(m, token: token, reply: TransactionReply(.none), markers: true)
        case .completeCommit: return reply(commit ? .none : .invalidTxnState)
        case .completeAbort: return reply(commit ? .invalidTxnState : .none)
        case .prepareCommit: return reply(commit ? .concurrentTransactions : .invalidTxnState)
        case .prepareAbort: return reply(commit ? .invalidTxnState : .concurrentTransactions)
        case .prepareEpochFence: return reply(.concurrentTransactions)
        case .empty, .dead: return reply(.invalidTxnState)
        }
    }

    /// The checks every producer request after InitProducerId makes (Kafka's coordinator):
    /// the id is coordinated here and known, with this producer id, at this epoch, and nothing
    /// is being written for it.
    private func check(_ transactionalId: String, producerId: Int64, producerEpoch: Int16) -> Lookup {
        guard !transactionalId.isEmpty else { return .failure(.invalidRequest) }
        guard owns(transactionalId) else { return .failure(.notCoordinator) }
        guard let m = transactions[transactionalId], m.producerId == producerId else { return .failure(.invalidProducerIdMapping) }
        guard m.producerEpoch == producerEpoch else { return .failure(.producerFenced) }
        guard !hasPendingWrite(transactionalId) else { return .failure(.concurrentTransactions) }
        return .success(m)
    }

    /// A transaction found, or the error answering the request.
    public enum Lookup: Equatable, Sendable {
        case success(TransactionMetadata)
        case failure(ErrorCode)
    }

    // MARK: Writes and markers

    /// Starts writing `target`; `reply` answers `token` once durable.
    private mutating func write(_ target: TransactionMetadata, token: TransactionRequestToken?, reply: TransactionReply,
                                markers: Bool = false) -> [TransactionAction] {
        let id = nextWriteId
        nextWriteId += 1
        pending[id] = Pending(target: target, token: token, reply: reply, markers: markers)
        pendingByTransaction[target.transactionalId] = id
        let value = target.state == .dead ? nil : TransactionLogRecord.encodeValue(target)
        return [.append(TransactionWrite(id: id, partition: partitionFor(target.transactionalId),
                                         key: TransactionLogRecord.encodeKey(target.transactionalId), value: value))]
    }

    /// The open transaction of a producer that is gone or fenced: its epoch is bumped (so the
    /// old producer is fenced) and the abort is written with the new epoch.
    private mutating func fenceAndAbort(_ m: TransactionMetadata, now: Int64) -> [TransactionAction] {
        var m = m
        m.lastProducerEpoch = m.producerEpoch
        m.producerEpoch = m.producerEpoch < Int16.max ? m.producerEpoch + 1 : m.producerEpoch
        m.state = .prepareAbort
        m.lastUpdateTimestampMs = now
        return write(m, token: nil, reply: TransactionReply(.none), markers: true)
    }

    /// The outcome of an `append`: nil when it is durable (the change applies, and the request
    /// is answered; markers are asked for), else the error (the change is dropped and the
    /// request gets NOT_COORDINATOR when this broker no longer leads the partition,
    /// COORDINATOR_NOT_AVAILABLE otherwise).
    public mutating func writeCompleted(_ id: UInt64, error: ErrorCode?, now: Int64) -> [TransactionAction] {
        guard let p = pending.removeValue(forKey: id) else { return [] }
        let txn = p.target.transactionalId
        if pendingByTransaction[txn] == id { pendingByTransaction[txn] = nil }
        guard let error, error != .none else {
            if p.target.state == .dead {
                transactions[txn] = nil
            } else {
                transactions[txn] = p.target
            }
            var actions: [TransactionAction] = []
            if let token = p.token { actions.append(.reply(token, p.reply)) }
            if p.markers { actions += markerActions(p.target) }
            return actions
        }
        guard let token = p.token else { return [] }
        let answer: ErrorCode = [.notLeaderOrFollower, .notCoordinator].contains(error) || !owns(txn) ? .notCoordinator : .coordinatorNotAvailable
        return [.reply(token, TransactionReply(answer))]
    }

    private mutating func markerActions(_ m: TransactionMetadata) -> [TransactionAction] {
        guard m.state.isPreparing, let epoch = coordinatorEpochs[partitionFor(m.transactionalId)] else { return [] }
        markersInFlight.insert(m.transactionalId)
        return [.writeMarkers(TransactionMarkers(transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch,
                                                 committed: m.state == .prepareCommit, coordinatorEpoch: epoch, partitions: m.sortedPartitions))]
    }

    /// Every marker of the transaction is written: CompleteCommit or CompleteAbort is written.
    /// Ignored unless the transaction is still preparing at `producerEpoch` here.
    public mutating func markersWritten(transactionalId: String, producerEpoch: Int16, now: Int64) -> [TransactionAction] {
        guard markersInFlight.remove(transactionalId) != nil, var m = transactions[transactionalId], m.state.isPreparing,
              m.producerEpoch == producerEpoch, !hasPendingWrite(transactionalId) else { return [] }
        m.state = m.state == .prepareCommit ? .completeCommit : .completeAbort
        m.partitions = []
        m.lastUpdateTimestampMs = now
        return write(m, token: nil, reply: TransactionReply(.none))
    }

    // MARK: Time

    /// Aborts the transactions open longer than their timeout (fencing their producers), asks
    /// again for the markers of preparing transactions whose markers are not being written (a
    /// failed CompleteCommit/CompleteAbort write), and forgets transactional ids idle for
    /// transactional.id.expiration.ms (a tombstone).
    public mutating func tick(now: Int64) -> [TransactionAction] {
        var actions: [TransactionAction] = []
        for id in transactions.keys.sorted() {
            guard let m = transactions[id], !hasPendingWrite(id), !markersInFlight.contains(id) else { continue }
            switch m.state {
            case .ongoing where now >= m.startTimestampMs + Int64(m.timeoutMs):
                actions += fenceAndAbort(m, now: now)
            case .prepareCommit, .prepareAbort:
                actions += markerActions(m)
            case .empty, .completeCommit, .completeAbort:
                guard now >= m.lastUpdateTimestampMs + config.transactionalIdExpirationMs else { continue }
                var dead = m
                dead.state = .dead
                actions += write(dead, token: nil, reply: TransactionReply(.none))
            default:
                break
            }
        }
        return actions
    }

    // MARK: Partitions

    /// Takes over `partition` of `__transaction_state` at `coordinatorEpoch`, from its records in
    /// log order (a tombstone forgets its id; undecodable records are skipped and returned).
    /// Transactions found preparing get their markers written again.
    public mutating func load(partition: Int32, coordinatorEpoch: Int32, records: [(key: [UInt8], value: [UInt8]?)],
                              now: Int64) -> (actions: [TransactionAction], skipped: [String]) {
        var loaded: [String: TransactionMetadata] = [:]
        var skipped: [String] = []
        for r in records {
            do {
                guard let id = try TransactionLogRecord.decodeKey(r.key) else { continue }
                if let value = r.value {
                    loaded[id] = try TransactionLogRecord.decodeValue(value, transactionalId: id)
                } else {
                    loaded[id] = nil
                }
            } catch {
                skipped.append("\(error)")
            }
        }
        coordinatorEpochs[partition] = coordinatorEpoch
        var actions: [TransactionAction] = []
        for id in loaded.keys.sorted() where partitionFor(id) == partition {
            transactions[id] = loaded[id]
            if let m = loaded[id], m.state.isPreparing { actions += markerActions(m) }
        }
        return (actions, skipped)
    }

    /// Gives up `partition` (another broker leads it now): its transactions are dropped, and
    /// the requests waiting on their writes are answered NOT_COORDINATOR.
    public mutating func unload(partition: Int32) -> [TransactionAction] {
        coordinatorEpochs[partition] = nil
        var actions: [TransactionAction] = []
        for (id, p) in pending.sorted(by: { $0.key < $1.key }) where partitionFor(p.target.transactionalId) == partition {
            pending[id] = nil
            pendingByTransaction[p.target.transactionalId] = nil
            if let token = p.token { actions.append(.reply(token, TransactionReply(.notCoordinator))) }
        }
        for id in transactions.keys where partitionFor(id) == partition {
            transactions[id] = nil
            markersInFlight.remove(id)
        }
        return actions
    }

    // MARK: Describe

    /// The state of `transactionalId`: NOT_COORDINATOR when its partition is not loaded here,
    /// TRANSACTIONAL_ID_NOT_FOUND when unknown.
    public func describe(_ transactionalId: String) -> Lookup {
        guard owns(transactionalId) else { return .failure(.notCoordinator) }
        guard let m = transactions[transactionalId] else { return .failure(.transactionalIdNotFound) }
        return .success(m)
    }

    /// The transactions coordinated here, filtered by state and producer id (empty filters
    /// match all), in transactional id order (Kafka's ListTransactions).
    public func list(states: Set<TransactionState> = [], producerIds: Set<Int64> = []) -> [TransactionMetadata] {
        transactions.values.filter { (states.isEmpty || states.contains($0.state)) && (producerIds.isEmpty || producerIds.contains($0.producerId)) }
            .sorted { $0.transactionalId < $1.transactionalId }
    }
}
