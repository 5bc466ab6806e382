import EddyProtocol

/// Failures of log compaction (the cleaner). None of them changes stored data: a failed or
/// aborted round leaves the log's segments exactly as they were, and the caller either retries
/// later or marks the partition uncleanable (Kafka's `uncleanablePartitions`).
public enum LogCleanerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A batch in a segment being cleaned failed validation (CRC, header or records). The
    /// cleaner never re-seals a batch it could not verify, so corruption is not laundered.
    case corruptBatch(segmentBaseOffset: Int64, position: Int, RecordBatchError)
    /// Batches in a segment are not in increasing offset order, or lie below the segment's base offset.
    case offsetsOutOfOrder(segmentBaseOffset: Int64, position: Int, baseOffset: Int64)
    /// A segment reader returned fewer bytes than the segment's size promised.
    case segmentTruncated(segmentBaseOffset: Int64, position: Int, sizeInBytes: Int)
    /// A record timestamp cannot be re-based against a new base timestamp without overflowing Int64.
    case timestampOverflow(batchBaseOffset: Int64)
    /// The segment list or offset range handed to the compactor is inconsistent (a caller bug).
    case invalidInput(String)
    /// Cleaning of the partition was aborted (retention, truncation or deletion paused it).
    case aborted(TopicPartition)
    /// A state-machine event arrived in a state that does not allow it (a caller bug; Kafka's IllegalStateException).
    case illegalState(TopicPartition, String)
    /// A `cleaner-offset-checkpoint` file is not in the expected format.
    case malformedCheckpoint(line: Int, reason: String)

    public var description: String {
        switch self {
        case let .corruptBatch(base, pos, err):
            "corrupt batch in segment \(base) at position \(pos): \(err)"
        case let .offsetsOutOfOrder(base, pos, off):
            "batch with base offset \(off) at position \(pos) of segment \(base) is out of offset order"
        case let .segmentTruncated(base, pos, size):
            "segment \(base) ended at position \(pos) before its size of \(size) bytes"
        case let .timestampOverflow(off):
            "timestamps of batch \(off) cannot be re-based without overflow"
        case let .invalidInput(why):
            "invalid compaction input: \(why)"
        case let .aborted(tp):
            "cleaning of \(tp) was aborted"
        case let .illegalState(tp, why):
            "illegal cleaner state for \(tp): \(why)"
        case let .malformedCheckpoint(line, why):
            "malformed cleaner-offset-checkpoint at line \(line): \(why)"
        }
    }
}
