import ArgumentParser
import Dispatch
import Foundation

/// Runs async client code from a synchronous command: the commands are `ParsableCommand`s
/// (eddy's `main` installs signal handling and maps errors itself), while the producer,
/// consumer and admin clients are async. The body runs on the cooperative pool; the command's
/// thread waits for it.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingResult<T>()
    Task.detached { await box.run(body) }
    return try box.wait().get()
}

/// `blockingAwait` for calls that may wait a long time on other machines (an admin call
/// against a cluster that is slow to answer retries for up to default.api.timeout.ms): when
/// SIGINT or SIGTERM arrives (`Signals`), the task is cancelled and the command ends at once
/// with "eddy: interrupted" and exit status 130, as a shell's Ctrl-C would end it. What was
/// already sent may still take effect on the cluster.
func interruptibleAwait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingResult<T>()
    let task = Task.detached { await box.run(body) }
    while true {
        if let result = box.wait(timeoutMs: 50) { return try result.get() }
        if Signals.interrupted {
            task.cancel()
            printNotice("eddy: interrupted")
            throw ExitCode(130)
        }
    }
}

private final class BlockingResult<T: Sendable>: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    /// Runs `body` and sets its outcome. The value is bound before it is wrapped (see
    /// Admin.groupSamples on Swift 6.3.1's optimiser).
    func run(_ body: @Sendable () async throws -> T) async {
        do {
            let value = try await body()
            set(.success(value))
        } catch {
            set(.failure(error))
        }
    }

    func set(_ r: Result<T, any Error>) {
        lock.withLock { result = r }
        semaphore.signal()
    }

    func wait() -> Result<T, any Error> {
        semaphore.wait()
        return lock.withLock { result! }
    }

    /// The result, or nil if none came within `timeoutMs`.
    func wait(timeoutMs: Int) -> Result<T, any Error>? {
        guard semaphore.wait(timeout: .now() + .milliseconds(timeoutMs)) == .success else { return nil }
        return lock.withLock { result }
    }
}
