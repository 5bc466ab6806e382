import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage

/// The one-line message for errors the modules throw, Kafka's error name first where it has one.
enum ErrorMapping {
    /// Kafka's error code of a broker's or client's error, nil for other errors.
    static func kafkaError(_ error: any Error) -> ErrorCode? {
        switch error {
        case let e as BrokerError: e.errorCode
        case let .broker(code, _) as ClientError: code
        default: nil
        }
    }

    /// Whether `error` says the topic does not exist (from a broker, a client, or eddy's own
    /// check of a data directory that holds no cluster).
    static func isUnknownTopic(_ error: any Error) -> Bool {
        kafkaError(error) == .unknownTopicOrPartition || (error as? EddyError)?.kafkaName == ErrorCode.unknownTopicOrPartition.name
    }

    static func message(for error: any Error) -> String? {
        switch error {
        case let e as EddyError: e.description
        case let e as BrokerError: "\(e.kafkaErrorName): \(e.description)"
        case let e as StorageError: "\(e.kafkaErrorName): \(e.description)"
        case let .inUse(directory, pid?) as DataDirectoryLock.LockError:
            if let bootstrap = ServeMarker.bootstrap(directory: directory, pid: pid) {
                "data directory \(directory) is served by eddy serve (process \(pid)); use --bootstrap-server \(bootstrap) instead of --data-dir"
            } else {
                DataDirectoryLock.LockError.inUse(directory: directory, pid: pid).description
            }
        case let e as DataDirectoryLock.LockError: e.description
        case let e as ClientError: e.description
        case let .compression(e) as RecordBatchError: "\(e.errorCode.name): \(e.description)"
        case let e as RecordBatchError: "CORRUPT_MESSAGE: \(e.description)"
        default: nil
        }
    }
}
