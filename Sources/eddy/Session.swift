import EddyBroker
import EddyClient
import EddyStorage
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One command's use of the data directory: the directory lock, and the cluster opened under it.
///
/// A short-lived command runs the whole in-process cluster for as long as it needs it: opening
/// starts every broker that is not stopped (each recovers its logs), then `settle()`s, so that
/// restarted brokers truncate by leader epoch, catch up and rejoin the ISR before the command
/// looks at anything, and applies log maintenance (retention, flush.ms, compaction of dirty
/// compacted logs), as a broker does periodically. Closing settles again (followers copy what the command wrote) and shuts
/// every broker down cleanly. Which brokers are stopped is kept in the metadata log, so
/// `eddy broker stop` outlives the process that ran it.
///
/// Only one process uses a data directory at a time (`DataDirectoryLock`). A command that
/// starts while another holds it retries for `lockWaitMilliseconds`, then fails naming the
/// holder's PID. Long-running commands do not keep the directory while they wait: a
/// following `consume` waiting for new records and a `produce` waiting for input `suspend()`
/// the session (the cluster shuts down cleanly and the lock is released) and `resume()` it when
/// there is work, waiting as long as it takes for the lock.
final class Session {
    /// How long a new command waits for a data directory held by another eddy process before
    /// failing. Polling holders keep the lock for milliseconds at a time, so this lets a new
    /// command slip in between them.
    static let lockWaitMilliseconds = 1000
    /// Pause between attempts while a resuming session waits for the lock.
    static let resumeRetryMicroseconds: UInt32 = 20_000

    let directory: String
    private let options: ClusterOptions
    private var lock: DataDirectoryLock?
    private var openCluster: Cluster?
    private var driver: ClusterDriver?

    /// The open cluster; only valid between open/resume and suspend/close.
    var cluster: Cluster {
        guard let openCluster else { preconditionFailure("session used while suspended") }
        return openCluster
    }

    var isOpen: Bool { openCluster != nil }

    private init(directory: String, options: ClusterOptions) {
        // A command compacts synchronously when it opens the cluster (see openClusterLocked);
        // a background cleaner thread would only race it and be cut off at exit.
        var options = options
        options.logCleanerThreads = false
        self.directory = directory
        self.options = options
    }

    /// Locks and opens the data directory.
    ///
    /// - Parameters:
    ///   - create: create the directory if it does not exist, and initialise a cluster of
    ///     `options.initialBrokerCount` brokers in it if it was never initialised. When false
    ///     and the directory does not exist or was never initialised (no `meta.properties`),
    ///     returns nil: a command that only reads has nothing to show, and leaves it untouched.
    ///   - mustBeNew: fail (with nothing changed) if the directory is already initialised.
    static func open(_ dataDirectory: DataDirectoryOptions, create: Bool, mustBeNew: Bool = false,
                     options: ClusterOptions = .forCommands()) throws -> Session? {
        let session = Session(directory: dataDirectory.path, options: options)
        do {
            session.lock = try DataDirectoryLock(directory: session.directory, create: create,
                                                 waitMilliseconds: lockWaitMilliseconds)
        } catch DataDirectoryLock.LockError.directoryMissing where !create {
            return nil
        }
        let initialised = isInitialised(session.directory)
        if !create, !initialised {
            session.lock?.release()
            return nil
        }
        if mustBeNew, initialised {
            session.lock?.release()
            throw alreadyInitialised(session.directory)
        }
        do {
            try session.openClusterLocked()
        } catch {
            session.lock?.release()
            throw error
        }
        return session
    }

    private static func alreadyInitialised(_ directory: String) -> EddyError {
        EddyError("data directory \(directory) is already initialised; see its brokers with: eddy cluster describe --data-dir \(directory)")
    }

    /// Runs `body` with the cluster of a freshly opened session and closes it afterwards, also
    /// when `body` throws (the body's error wins over a failure to close).
    static func with<R>(_ dataDirectory: DataDirectoryOptions, create: Bool, options: ClusterOptions = .forCommands(),
                        _ body: (Cluster) throws -> R) throws -> R? {
        guard let session = try open(dataDirectory, create: create, options: options) else { return nil }
        let result: R
        do {
            result = try body(session.cluster)
        } catch {
            try? session.close()
            throw error
        }
        try session.close()
        return result
    }

    /// Like `with`, but a directory that was never initialised is an error, not nil.
    static func withExisting<R>(_ dataDirectory: DataDirectoryOptions, _ body: (Cluster) throws -> R) throws -> R {
        guard let result = try with(dataDirectory, create: false, body) else { throw noDataDirectory(dataDirectory) }
        return result
    }

    /// The error of a command that needs an initialised data directory and found none.
    static func noDataDirectory(_ dataDirectory: DataDirectoryOptions) -> EddyError {
        EddyError("no eddy data directory at \(dataDirectory.path); create one with: eddy cluster init"
            + (dataDirectory.dataDir != nil ? " --data-dir \(dataDirectory.path)" : ""))
    }

    /// Lets followers catch up, shuts the cluster down cleanly and releases the lock, so other
    /// processes can use the directory until `resume()`.
    func suspend() throws {
        defer { lock?.release(); lock = nil }
        stopDriver()
        if let c = openCluster {
            openCluster = nil
            c.settle()
            try c.shutdown()
        }
    }

    /// Runs the cluster on its own thread (`ClusterDriver`: replication, timers, timeouts) until
    /// `suspend`/`close`, as commands that use the asynchronous clients (producer, consumer,
    /// admin) need: their requests are answered while the command's task waits. Idempotent.
    func startDriver() {
        guard driver == nil, let c = openCluster else { return }
        let d = ClusterDriver(cluster: c, tickIntervalMs: 10)
        d.start()
        driver = d
    }

    /// A client request layer over the open cluster's transport, bootstrapping from its running
    /// brokers. Starts the driver: the clients are asynchronous.
    func makeClient(clientId: String, requestTimeoutMs: Int64 = 30_000) -> KafkaClient {
        startDriver()
        return KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, clientId: clientId,
                           requestTimeoutMs: requestTimeoutMs)
    }

    func stopDriver() {
        driver?.stop()
        driver = nil
    }

    /// Takes the lock again, waiting as long as another process holds it, and reopens the cluster.
    /// Returns false if interrupted (SIGINT/SIGTERM) while waiting.
    func resume() throws -> Bool {
        guard openCluster == nil else { return true }
        while lock == nil {
            if Signals.interrupted { return false }
            do {
                lock = try DataDirectoryLock(directory: directory, create: false)
            } catch DataDirectoryLock.LockError.inUse {
                usleep(Session.resumeRetryMicroseconds)
            }
        }
        do {
            try openClusterLocked()
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

    private func openClusterLocked() throws {
        let c = try Cluster(dataDirectory: directory, options: options, logger: Logger(label: "eddy.cluster"))
        c.settle()
        // What a broker does every log.retention.check.interval.ms: a command's process is the
        // broker for its lifetime, so it applies retention and compacts dirty logs as it opens.
        do {
            try c.runMaintenance(compactNow: true)
        } catch {
            try? c.shutdown()
            throw error
        }
        openCluster = c
    }
}
