import Dispatch
import Foundation

/// Runs async client code from a synchronous command: the commands are `ParsableCommand`s
/// (eddy's `main` installs signal handling and maps errors itself), while the producer,
/// consumer and admin clients are async. The body runs on the cooperative pool; the command's
/// thread waits for it.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingResult<T>()
    Task.detached {
        do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
    }
    return try box.wait().get()
}

private final class BlockingResult<T: Sendable>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    func set(_ r: Result<T, any Error>) {
        lock.withLock { result = r }
        semaphore.signal()
    }

    func wait() -> Result<T, any Error> {
        semaphore.wait()
        return lock.withLock { result! }
    }
}
