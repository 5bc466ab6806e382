import EddyProtocol

/// The transactional producer's state (Kafka's `TransactionManager`, KIP-98): a value with no
/// I/O, kept under the producer's lock; the producer and its sender do the requests.
///
/// Phases, as Kafka names them:
/// - `uninitialized` until `initTransactions` has the producer id and epoch from the
///   transactional id's coordinator (InitProducerId, which also fences older instances);
/// - `ready`: no transaction open; `beginTransaction` moves to `inTransaction`;
/// - `inTransaction`: records may be sent. A partition's batches go out only once the
///   coordinator has added the partition to the transaction (AddPartitionsToTxn, which the
///   sender sends for partitions with queued batches: `partitionsToAdd`);
/// - `committing` / `aborting`: EndTxn is on its way; back to `ready` once answered. One that
///   failed without a fatal error (a timeout, say) stays there, so the same call can be made
///   again (and an abort instead of a commit);
/// - `abortableError`: a record of the transaction failed: only `abortTransaction` is allowed;
/// - `fatalError`: the producer was fenced (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH) or the
///   broker cannot do transactions: every call fails; close the producer.
struct TransactionState: Sendable {
    enum Phase: Equatable, Sendable {
        case uninitialized, ready, inTransaction, committing, aborting
        case abortableError(ClientError)
        case fatalError(ClientError)
    }

    let transactionalId: String
    private(set) var phase: Phase = .uninitialized
    /// Partitions the coordinator added to the open transaction.
    private(set) var partitions: Set<TopicPartition> = []
    /// Partitions whose AddPartitionsToTxn is on its way.
    private(set) var adding: Set<TopicPartition> = []
    /// Whether the coordinator knows of the open transaction (a partition or a group's offsets
    /// were added), so that ending it needs EndTxn; an empty transaction ends locally.
    private(set) var startedOnCoordinator = false

    init(transactionalId: String) { self.transactionalId = transactionalId }

    /// Errors after which the producer cannot go on (Kafka's fatal errors).
    static func isFatal(_ error: ClientError) -> Bool {
        switch error.errorCode {
        case .producerFenced?, .invalidProducerEpoch?, .transactionalIdAuthorizationFailed?, .unsupportedVersion?,
             .invalidProducerIdMapping?, .invalidTxnState?:
            true
        default: false
        }
    }

    /// Throws unless the producer may send records now.
    func checkSend() throws(ClientError) {
        switch phase {
        case .inTransaction: return
        case let .abortableError(e), let .fatalError(e): throw e
        case .uninitialized: throw .illegalState("Cannot send before initTransactions() has completed.")
        default: throw .illegalState("Cannot send records outside a transaction: call beginTransaction() first.")
        }
    }

    /// Throws the fatal error, if the producer is in one.
    func checkNotFatal() throws(ClientError) {
        if case let .fatalError(e) = phase { throw e }
    }

    mutating func initialized() throws(ClientError) {
        try checkNotFatal()
        phase = .ready
    }

    mutating func begin() throws(ClientError) {
        try checkNotFatal()
        guard phase == .ready else {
            throw .illegalState(phase == .uninitialized ? "Cannot begin a transaction before initTransactions() has completed."
                                : "A transaction is already in progress (\(phase)).")
        }
        phase = .inTransaction
        partitions = []
        adding = []
        startedOnCoordinator = false
    }

    /// Partitions with queued batches that the coordinator still has to add.
    func partitionsToAdd(queued: Set<TopicPartition>) -> Set<TopicPartition> {
        guard phase == .inTransaction || phase == .committing else { return [] }
        return queued.subtracting(partitions).subtracting(adding)
    }

    mutating func addingPartitions(_ tps: Set<TopicPartition>) { adding.formUnion(tps) }

    /// The coordinator answered AddPartitionsToTxn: `nil` added them all; otherwise the
    /// request is to be sent again (`retriable`) or the transaction fails with `error`.
    mutating func partitionsAdded(_ tps: Set<TopicPartition>, error: ClientError?) {
        adding.subtract(tps)
        guard let error else {
            partitions.formUnion(tps)
            startedOnCoordinator = true
            return
        }
        if !error.isRetriable { fail(error) }
    }

    /// A group's offsets joined the transaction (AddOffsetsToTxn).
    mutating func offsetsAdded() { startedOnCoordinator = true }

    /// The coordinator ended the transaction (EndTxn answered): a retried abort (its epoch bump
    /// failed) does not send EndTxn again.
    mutating func endedOnCoordinator() { startedOnCoordinator = false }

    func mayGoOut(_ tp: TopicPartition) -> Bool { partitions.contains(tp) }

    /// Something the transaction needed failed: fatal errors end the producer, others the
    /// transaction (it must be aborted).
    mutating func fail(_ error: ClientError) {
        if case .fatalError = phase { return }
        if Self.isFatal(error) {
            phase = .fatalError(error)
        } else if phase == .inTransaction || phase == .committing {
            phase = .abortableError(error)
        }
    }

    /// EndTxn failed: fatal errors end the producer; otherwise the phase stays (`committing` or
    /// `aborting`) for the call to be made again.
    mutating func endFailed(_ error: ClientError) {
        if Self.isFatal(error) { phase = .fatalError(error) }
    }

    /// The error that keeps the open transaction from going on, if any: queued records then
    /// fail at once instead of waiting (Kafka's `maybeAbortBatches`).
    var abortingError: ClientError? {
        switch phase {
        case let .abortableError(e), let .fatalError(e): e
        default: nil
        }
    }

    /// AddPartitionsToTxn requests are on their way.
    var isAddingPartitions: Bool { !adding.isEmpty }

    mutating func beginCommit() throws(ClientError) {
        switch phase {
        case .inTransaction, .committing: phase = .committing
        case let .abortableError(e), let .fatalError(e): throw e
        default: throw .illegalState("Cannot commit: no transaction is in progress (\(phase)).")
        }
    }

    mutating func beginAbort() throws(ClientError) {
        switch phase {
        case .inTransaction, .abortableError, .committing, .aborting: phase = .aborting
        case let .fatalError(e): throw e
        default: throw .illegalState("Cannot abort: no transaction is in progress (\(phase)).")
        }
    }

    /// EndTxn was answered (or the transaction was empty): no transaction is open.
    mutating func ended() {
        if case .fatalError = phase { return }
        phase = .ready
        partitions = []
        adding = []
        startedOnCoordinator = false
    }
}
