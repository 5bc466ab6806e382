import EddyProtocol

/// A transaction's state, with the ids Kafka stores in `__transaction_state` (Kafka's
/// `TransactionState`).
///
///     Empty ──AddPartitions──▶ Ongoing ──EndTxn(commit)──▶ PrepareCommit ──markers──▶ CompleteCommit
///       ▲                        │  └──EndTxn(abort), timeout, fencing──▶ PrepareAbort ──markers──▶ CompleteAbort
///       └──InitProducerId────────┴── (from Empty, CompleteCommit, CompleteAbort)
///
/// PrepareEpochFence is the moment between a zombie's epoch being bumped and its open
/// transaction's abort being written (Kafka keeps it in memory only; eddy writes PrepareAbort
/// with the bumped epoch at once, so it never stays in it). Dead is an expired transactional id
/// (a tombstone in the log).
public enum TransactionState: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// Kafka's name, as `kafka-transactions.sh describe` prints it.
    public var description: String {
        switch self {
        case .empty: "Empty"
        case .ongoing: "Ongoing"
        case .prepareCommit: "PrepareCommit"
        case .prepareAbort: "PrepareAbort"
        case .completeCommit: "CompleteCommit"
        case .completeAbort: "CompleteAbort"
        case .dead: "Dead"
        case .prepareEpochFence: "PrepareEpochFence"
        }
    }

    /// The states this one may be entered from (Kafka's `validPreviousStates`).
    public var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: [.empty, .completeCommit, .completeAbort]
        case .ongoing: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: [.ongoing]
        case .prepareAbort: [.ongoing, .prepareEpochFence]
        case .completeCommit: [.prepareCommit]
        case .completeAbort: [.prepareAbort]
        case .dead: [.empty, .completeCommit, .completeAbort]
        case .prepareEpochFence: [.ongoing]
        }
    }

    /// A transaction is waiting for its markers to be written.
    public var isPreparing: Bool { self == .prepareCommit || self == .prepareAbort }

    /// A transaction is running: open, or decided and waiting for its markers. Only then does
    /// it have partitions and a start time that counts.
    public var isRunning: Bool { self == .ongoing || isPreparing }

    /// Kafka's name, parsed (case-insensitive), for filters such as `--state`.
    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.description.lowercased() == name.lowercased() }) else { return nil }
        self = s
    }
}

/// One transactional id's state as the coordinator keeps it (Kafka's `TransactionMetadata`),
/// and as `__transaction_state` stores it (`TransactionLogRecord`).
///
/// Invariants: `partitions` is empty unless the state is Ongoing, PrepareCommit or
/// PrepareAbort, and `startTimestampMs` is set (≥ 0) in those states (a completed transaction
/// keeps its start time until the next InitProducerId, as Kafka's does).
public struct TransactionMetadata: Equatable, Sendable {
    public var transactionalId: String
    public var producerId: Int64
    /// The epoch the producer uses now; -1 before the first InitProducerId completes.
    public var producerEpoch: Int16
    /// The epoch before the last bump (KIP-360: a producer retrying InitProducerId with it is
    /// recognised), -1 when none.
    public var lastProducerEpoch: Int16
    /// transaction.timeout.ms as the producer asked for it.
    public var timeoutMs: Int32
    public var state: TransactionState
    /// The partitions added to the current transaction.
    public var partitions: Set<TopicPartition>
    /// When the current (or last) transaction started, -1 if none ever did.
    public var startTimestampMs: Int64
    public var lastUpdateTimestampMs: Int64

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, lastProducerEpoch: Int16 = -1, timeoutMs: Int32,
                state: TransactionState, partitions: Set<TopicPartition> = [], startTimestampMs: Int64 = -1, lastUpdateTimestampMs: Int64) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.lastProducerEpoch = lastProducerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.partitions = partitions
        self.startTimestampMs = startTimestampMs
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
    }

    /// The partitions in topic, partition order.
    public var sortedPartitions: [TopicPartition] { partitions.sorted() }
}

/// Records of `__transaction_state`, in Kafka's formats: the data schemas `TransactionLogKey`
/// (`version int16 = 0, transactionalId string`) and `TransactionLogValue` (version 0 written,
/// 0 and 1 read; encoded by the generated `Wire` types, preceded by their int16 version):
///
///     producerId int64, producerEpoch int16, transactionTimeoutMs int32,
///     transactionStatus int8 (TransactionState's id), transactionPartitions
///     [topic string, partitionIds [int32]] (nullable), transactionLastUpdateTimestampMs int64,
///     transactionStartTimestampMs int64
///
/// A null value (tombstone) removes the transactional id. The partition of a transactional id is
/// `abs(hashCode(transactionalId)) % transaction.state.log.num.partitions`, as for groups
/// (`OffsetsTopic.partitionFor`).
public enum TransactionLogRecord {
    public static let keyVersion: Int16 = 0
    public static let valueVersion: Int16 = 0

    public static func encodeKey(_ transactionalId: String) -> [UInt8] {
        encode(Wire.TransactionLogKey(transactionalId: transactionalId.fittingClassicWireString), version: keyVersion)
    }

    public static func encodeValue(_ m: TransactionMetadata) -> [UInt8] {
        var byTopic: [String: [Int32]] = [:]
        for tp in m.sortedPartitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let value = Wire.TransactionLogValue(
            producerId: m.producerId, producerEpoch: m.producerEpoch, transactionTimeoutMs: m.timeoutMs,
            transactionStatus: m.state.rawValue,
            transactionPartitions: byTopic.keys.sorted().map { .init(topic: $0, partitionIds: byTopic[$0]!) },
            transactionLastUpdateTimestampMs: m.lastUpdateTimestampMs, transactionStartTimestampMs: m.startTimestampMs)
        return encode(value, version: valueVersion)
    }

    /// The transactional id a key names; nil for a key version this coordinator does not know.
    public static func decodeKey(_ bytes: [UInt8]) throws(TransactionRecordError) -> String? {
        try decoding { () throws(ProtocolError) -> String? in
            let version = try Wire.versionPrefix(of: bytes)
            guard version == 0 else { return nil }
            return try Wire.TransactionLogKey(versionPrefixed: bytes, version: version).transactionalId
        }
    }

    public static func decodeValue(_ bytes: [UInt8], transactionalId: String) throws(TransactionRecordError) -> TransactionMetadata {
        let version = try decoding { () throws(ProtocolError) in try Wire.versionPrefix(of: bytes) }
        guard (0 ... 1).contains(version) else { throw .unsupportedVersion(version) }
        let v = try decoding { () throws(ProtocolError) in try Wire.TransactionLogValue(versionPrefixed: bytes, version: version) }
        guard let state = TransactionState(rawValue: v.transactionStatus) else { throw .malformed("unknown transaction status \(v.transactionStatus)") }
        var partitions = Set<TopicPartition>()
        for t in v.transactionPartitions ?? [] { for p in t.partitionIds { partitions.insert(TopicPartition(t.topic, p)) } }
        return TransactionMetadata(transactionalId: transactionalId, producerId: v.producerId, producerEpoch: v.producerEpoch,
                                   timeoutMs: v.transactionTimeoutMs, state: state, partitions: partitions,
                                   startTimestampMs: v.transactionStartTimestampMs, lastUpdateTimestampMs: v.transactionLastUpdateTimestampMs)
    }

    private static func encode(_ data: some WireMessage, version: Int16) -> [UInt8] {
        do {
            return try data.versionPrefixedBytes(version: version)
        } catch {
            // Strings are cut to fit; topic names are short.
            preconditionFailure("__transaction_state record cannot be encoded: \(error)")
        }
    }

    private static func decoding<T>(_ body: () throws(ProtocolError) -> T) throws(TransactionRecordError) -> T {
        do { return try body() } catch { throw .malformed("\(error)") }
    }
}

/// Why a `__transaction_state` record could not be read.
public enum TransactionRecordError: Error, Equatable, CustomStringConvertible {
    case unsupportedVersion(Int16)
    case malformed(String)

    public var description: String {
        switch self {
        case .unsupportedVersion(let v): "unsupported TransactionLogValue version \(v)"
        case .malformed(let why): "malformed __transaction_state record: \(why)"
        }
    }
}
