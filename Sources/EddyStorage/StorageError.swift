import EddyProtocol

/// Failures of the storage layer. Each case maps to the Kafka error a broker would return.
public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A read or DeleteRecords asked for an offset outside [logStartOffset, bound].
    case offsetOutOfRange(requested: Int64, logStartOffset: Int64, logEndOffset: Int64)
    /// A batch failed validation on append (bad CRC, malformed record, ...).
    case invalidRecord(RecordBatchError)
    /// A record was rejected by a topic rule (e.g. a null key on a compacted topic).
    case recordRejected(String)
    /// A batch is larger than max.message.bytes.
    case recordTooLarge(size: Int, max: Int)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The log was closed or deleted.
    case logClosed(TopicPartition)
    /// A file on disk is not in the expected format and cannot be repaired automatically.
    case corruptFile(path: String, reason: String)
    /// A read met bytes that are not a whole record batch where the segment must hold one
    /// (below its end). Reported as CORRUPT_MESSAGE, as Kafka reports the
    /// `CorruptRecordException` its log throws when a batch header in a segment does not parse;
    /// Kafka keeps KAFKA_STORAGE_ERROR for I/O failures, which take the log directory offline.
    case corruptBatch(path: String, position: Int64, reason: String)
    /// A follower append whose batches do not start at or after the log end offset, or do not
    /// follow each other (Kafka's UnexpectedAppendOffsetException / OffsetsOutOfOrderException):
    /// a batch starting at `found` where offsets from `expectedAtLeast` on were required.
    case offsetsOutOfOrder(expectedAtLeast: Int64, found: Int64)
    /// The idempotent-producer state refused a client batch (sequence gap, fenced epoch, missing
    /// sequence); nothing of the request was written.
    case producer(ProducerStateError)

    /// The Kafka error a broker reports for this failure.
    public var errorCode: ErrorCode {
        switch self {
        case .offsetOutOfRange: .offsetOutOfRange
        // A compressed batch eddy cannot decode here (no codec library), or that expands past
        // the decompression limit, is not corrupt: the codec's own error says what it is.
        case let .invalidRecord(.compression(e)): e.errorCode
        case .invalidRecord, .corruptBatch: .corruptMessage
        case .recordRejected: .invalidRecord
        case .recordTooLarge: .messageTooLarge
        case .io, .corruptFile: .kafkaStorageError
        case .logClosed: .notLeaderOrFollower
        case .offsetsOutOfOrder: .unknownServerError
        case let .producer(e): e.errorCode
        }
    }

    /// Kafka's name for `errorCode`.
    public var kafkaErrorName: String { errorCode.name }

    public var description: String {
        switch self {
        case let .offsetOutOfRange(o, s, e):
            "offset \(o) is out of range; the log has offsets \(s) to \(e) (exclusive end)"
        case let .invalidRecord(e): "invalid record batch: \(e)"
        case let .recordRejected(why): why
        case let .recordTooLarge(size, max): "record batch of \(size) bytes exceeds max.message.bytes (\(max))"
        case let .io(op, path, errno): "\(op) \(path) failed: \(String(cString: strerror(errno)))"
        case let .logClosed(tp): "log \(tp) is closed"
        case let .corruptFile(path, reason): "\(path) is corrupt: \(reason)"
        case let .corruptBatch(path, position, reason): "\(path) is corrupt at byte \(position): \(reason)"
        case let .offsetsOutOfOrder(expected, found):
            "out-of-order append: a batch starts at offset \(found), but offsets from \(expected) on were expected"
        case let .producer(e): e.description
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
