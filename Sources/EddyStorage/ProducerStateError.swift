import EddyProtocol

/// Why producer state refused a batch or a snapshot. The broker reports each case as its
/// `errorCode`.
public enum ProducerStateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The batch's first sequence does not follow the producer's last one (a gap, or a retry of a
    /// batch no longer among the last `ProducerState.batchesToRetain`), or a new epoch does not
    /// start at 0. `expected` is the only first sequence that would have been accepted.
    case outOfOrderSequence(producerId: Int64, producerEpoch: Int16, expected: Int32, found: Int32)
    /// The batch carries an epoch older than the producer's current one: a zombie producer.
    /// Kafka returns INVALID_PRODUCER_EPOCH here since 2.7 (KIP-588; PRODUCER_FENCED before).
    case invalidProducerEpoch(producerId: Int64, found: Int16, current: Int16)
    /// An idempotent batch (producerId >= 0) without a sequence number (baseSequence < 0).
    case invalidSequence(producerId: Int64, sequence: Int32)
    /// A producer-state snapshot is not in the documented format or fails its CRC.
    case corruptSnapshot(String)
    /// A write that the producer's transaction state does not allow, e.g. a non-transactional
    /// batch while its transaction is open.
    case invalidTxnState(producerId: Int64, why: String)
    /// A transaction marker from a coordinator older than the last marker's.
    case coordinatorFenced(producerId: Int64, found: Int32, current: Int32)

    /// The Kafka error a broker reports for this failure.
    public var errorCode: ErrorCode {
        switch self {
        case .outOfOrderSequence: .outOfOrderSequenceNumber
        case .invalidProducerEpoch: .invalidProducerEpoch
        case .invalidSequence: .invalidRecord
        case .corruptSnapshot: .kafkaStorageError
        case .invalidTxnState: .invalidTxnState
        case .coordinatorFenced: .transactionCoordinatorFenced
        }
    }

    /// Kafka's name for `errorCode`.
    public var kafkaErrorName: String { errorCode.name }

    public var description: String {
        switch self {
        case let .outOfOrderSequence(pid, epoch, expected, found):
            "out of order sequence number for producer \(pid) epoch \(epoch): \(found) (incoming), \(expected) (expected)"
        case let .invalidProducerEpoch(pid, found, current):
            "epoch \(found) of producer \(pid) is smaller than its last seen epoch \(current)"
        case let .invalidSequence(pid, seq):
            "invalid sequence number \(seq) in an idempotent batch of producer \(pid)"
        case let .corruptSnapshot(why): "corrupt producer state snapshot: \(why)"
        case let .invalidTxnState(pid, why): "producer \(pid) wrote \(why)"
        case let .coordinatorFenced(pid, found, current):
            "a marker for producer \(pid) from coordinator epoch \(found), older than its last marker's \(current)"
        }
    }
}
