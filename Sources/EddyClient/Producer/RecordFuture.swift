import Foundation

/// The outcome of one record, awaited by `Producer.send(_:)`: completed once by the producer,
/// awaited once by the sender of the record (either may come first).
final class RecordFuture: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<RecordMetadata, ClientError>?
    private var continuation: CheckedContinuation<Result<RecordMetadata, ClientError>, Never>?

    func complete(_ r: Result<RecordMetadata, ClientError>) {
        let c: CheckedContinuation<Result<RecordMetadata, ClientError>, Never>? = lock.withLock {
            guard result == nil else { return nil }
            result = r
            defer { continuation = nil }
            return continuation
        }
        c?.resume(returning: r)
    }

    var value: RecordMetadata {
        get async throws(ClientError) {
            let r: Result<RecordMetadata, ClientError> = await withCheckedContinuation { c in
                let known: Result<RecordMetadata, ClientError>? = lock.withLock {
                    if let result { return result }
                    continuation = c
                    return nil
                }
                if let known { c.resume(returning: known) }
            }
            return try r.get()
        }
    }
}
