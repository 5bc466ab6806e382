import EddyBroker
import EddyStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One command's use of the data directory: the directory lock, and the broker opened under it.
///
/// Only one process uses a data directory at a time (`DataDirectoryLock`). A command that
/// starts while another holds it retries for `lockWaitMilliseconds`, then fails naming the
/// holder's PID. Long-running commands do not keep the directory while they wait: a
/// following `consume` waiting for new records and a `produce` waiting for input `suspend()`
/// the session (the broker shuts down cleanly and the lock is released) and `resume()` it when
/// there is work, waiting as long as it takes for the lock.
final class Session {
    /// How long a new command waits for a data directory held by another eddy process before
    /// failing. Polling holders keep the lock for milliseconds at a time, so this lets a new
    /// command slip in between them.
    static let lockWaitMilliseconds = 1000
    /// Pause between attempts while a resuming session waits for the lock.
    static let resumeRetryMicroseconds: UInt32 = 20_000

    let directory: String
    private var lock: DataDirectoryLock?
    private var openBroker: Broker?

    /// The open broker; only valid between open/resume and suspend/close.
    var broker: Broker {
        guard let openBroker else { preconditionFailure("session used while suspended") }
        return openBroker
    }

    var isOpen: Bool { openBroker != nil }

    private init(directory: String) {
        self.directory = directory
    }

    /// Locks and opens the data directory.
    ///
    /// - Parameter create: create and initialise the directory if it does not exist. When false
    ///   and the directory does not exist or was never initialised (no `meta.properties`),
    ///   returns nil: a command that only reads has nothing to show, and leaves it untouched.
    static func open(_ options: DataDirectoryOptions, create: Bool) throws -> Session? {
        let session = Session(directory: options.path)
        do {
            session.lock = try DataDirectoryLock(directory: session.directory, create: create,
                                                 waitMilliseconds: lockWaitMilliseconds)
        } catch DataDirectoryLock.LockError.directoryMissing where !create {
            return nil
        }
        if !create, !isInitialised(session.directory) {
            session.lock?.release()
            return nil
        }
        do {
            try session.openBrokerLocked()
        } catch {
            session.lock?.release()
            throw error
        }
        return session
    }

    /// Runs `body` with the broker of a freshly opened session and closes it afterwards, also
    /// when `body` throws (the body's error wins over a failure to close).
    static func with<R>(_ options: DataDirectoryOptions, create: Bool,
                        _ body: (Broker) throws -> R) throws -> R? {
        guard let session = try open(options, create: create) else { return nil }
        let result: R
        do {
            result = try body(session.broker)
        } catch {
            try? session.close()
            throw error
        }
        try session.close()
        return result
    }

    /// Shuts the broker down cleanly and releases the lock, so other processes can use the
    /// directory until `resume()`.
    func suspend() throws {
        defer { lock?.release(); lock = nil }
        if let b = openBroker {
            openBroker = nil
            try b.shutdown()
        }
    }

    /// Takes the lock again, waiting as long as another process holds it, and reopens the broker.
    /// Returns false if interrupted (SIGINT/SIGTERM) while waiting.
    func resume() throws -> Bool {
        guard openBroker == nil else { return true }
        while lock == nil {
            if Signals.interrupted { return false }
            do {
                lock = try DataDirectoryLock(directory: directory, create: false)
            } catch DataDirectoryLock.LockError.inUse {
                usleep(Session.resumeRetryMicroseconds)
            }
        }
        do {
            try openBrokerLocked()
        } catch {
            lock?.release()
            lock = nil
            throw error
        }
        return true
    }

    /// Shuts down and unlocks for good.
    func close() throws {
        try suspend()
    }

    /// Whether `directory` holds an eddy data directory (its `meta.properties`).
    static func isInitialised(_ directory: String) -> Bool {
        access(directory + "/" + MetaProperties.fileName, F_OK) == 0
    }

    private func openBrokerLocked() throws {
        openBroker = try Broker(dataDirectory: directory)
    }
}
