import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage

/// The one-line message for errors the modules throw, Kafka's error name first where it has one.
enum ErrorMapping {
    static func message(for error: any Error) -> String? {
        switch error {
        case let e as EddyError: e.description
        case let e as BrokerError: "\(e.kafkaErrorName): \(e.description)"
        case let e as StorageError: "\(e.kafkaErrorName): \(e.description)"
        case let e as DataDirectoryLock.LockError: e.description
        case let e as ClientError: e.description
        case let e as RecordBatchError: "CORRUPT_MESSAGE: \(e.description)"
        default: nil
        }
    }
}
