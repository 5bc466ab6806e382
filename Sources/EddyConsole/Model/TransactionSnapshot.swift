import EddyClient
import EddyProtocol

/// A transaction as the Transactions view shows it: one a coordinator keeps
/// (ListTransactions, then DescribeTransactions), or a hanging one, open in a partition that no
/// coordinator runs (Kafka's find-hanging), which has no transactional id.
public struct TransactionSnapshot: Sendable, Equatable {
    /// nil for a hanging transaction.
    public var transactionalId: String?
    /// Kafka's state name (Empty, Ongoing, PrepareCommit, ...), or `Hanging`.
    public var state: String
    public var producerId: Int64
    public var producerEpoch: Int32
    /// The broker coordinating it; nil for a hanging one.
    public var coordinator: Int32?
    /// transaction.timeout.ms; nil for a hanging one.
    public var timeoutMs: Int32?
    /// When the running transaction started (ms since the epoch): the coordinator's start time,
    /// or for a hanging one its producer's last write to the partition, which the transaction
    /// started no later than. nil when none runs.
    public var startTimeMs: Int64?
    public var partitions: [TopicPartition]
    /// What aborting a hanging transaction needs (its partition, producer and epochs).
    public var hanging: HangingTransaction?

    public init(transactionalId: String?, state: String, producerId: Int64, producerEpoch: Int32, coordinator: Int32? = nil,
                timeoutMs: Int32? = nil, startTimeMs: Int64? = nil, partitions: [TopicPartition] = [], hanging: HangingTransaction? = nil) {
        self.transactionalId = transactionalId
        self.state = state
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinator = coordinator
        self.timeoutMs = timeoutMs
        self.startTimeMs = startTimeMs
        self.partitions = partitions.sorted()
        self.hanging = hanging
    }

    public init(_ d: TransactionDescription) {
        self.init(transactionalId: d.transactionalId, state: d.state, producerId: d.producerId, producerEpoch: Int32(d.producerEpoch),
                  coordinator: d.coordinator, timeoutMs: d.timeoutMs, startTimeMs: d.startTimeMs, partitions: d.partitions)
    }

    public init(hanging h: HangingTransaction) {
        self.init(transactionalId: nil, state: Self.hangingState, producerId: h.producerId, producerEpoch: h.producerEpoch,
                  startTimeMs: h.lastTimestamp, partitions: [h.topicPartition], hanging: h)
    }

    public static let hangingState = "Hanging"

    /// How messages name it: `transaction ID`, or for a hanging one its producer.
    public var displayName: String { transactionalId.map { "transaction \($0)" } ?? "the hanging transaction of producer \(producerId)" }

    /// A transaction is running: it holds the last stable offset of its partitions.
    public var isRunning: Bool { hanging != nil || ["Ongoing", "PrepareCommit", "PrepareAbort", "PrepareEpochFence"].contains(state) }

    /// The console can abort it: it is Ongoing (the coordinator aborts it and fences its
    /// producer, `Admin.forceTerminateTransaction`) or hanging (an ABORT marker is written to
    /// its partition, `Admin.abortTransaction`). One that is already ending cannot.
    public var isAbortable: Bool { hanging != nil || state == "Ongoing" }

    /// How long the running transaction has run at `nowMs`; nil when none runs.
    public func ageMs(nowMs: Int64) -> Int64? {
        guard isRunning, let startTimeMs else { return nil }
        return max(0, nowMs - startTimeMs)
    }

    /// What is left of transaction.timeout.ms at `nowMs` before the coordinator aborts it
    /// (negative once overdue); nil when nothing runs or no coordinator keeps it.
    public func timeoutLeftMs(nowMs: Int64) -> Int64? {
        guard state == "Ongoing", let startTimeMs, let timeoutMs else { return nil }
        return startTimeMs + Int64(timeoutMs) - nowMs
    }
}
