import EddyBroker
import EddyProtocol
import EddyStorage
import Foundation

/// A scratch directory for one benchmark run, removed afterwards, and the scratch cluster a
/// client benchmark runs in it.
///
/// With an explicit `--data-dir DIR` it is `DIR/bench.<pid>.tmp` and DIR is locked while the
/// benchmark runs (the name cannot be mistaken for a `<topic>-<partition>` directory);
/// otherwise it is a fresh directory under `$TMPDIR` (default /tmp).
final class BenchWorkspace {
    let path: String
    private let lock: DataDirectoryLock?
    private var cluster: Cluster?
    private var driver: ClusterDriver?

    init(options: DataDirectoryOptions) throws {
        if let dir = options.dataDir {
            do {
                lock = try DataDirectoryLock(directory: dir, create: true, waitMilliseconds: Session.lockWaitMilliseconds)
            } catch {
                throw EddyError(error.description)
            }
            path = (dir.hasSuffix("/") ? dir : dir + "/") + "bench.\(getpid()).tmp"
        } else {
            lock = nil
            let tmp = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            path = (tmp.hasSuffix("/") ? tmp : tmp + "/") + "eddy-bench.\(getpid()).\(UInt32.random(in: 0 ... .max))"
        }
        try? FileManager.default.removeItem(atPath: path)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw EddyError("cannot create benchmark directory \(path): \(error.localizedDescription)")
        }
    }

    /// A cluster of `brokers` brokers in `<path>/cluster`, seeded (random seed 1) so runs are
    /// alike. `remove()` stops its driver and drops it without fsyncing: nothing here needs to
    /// survive, and flushing gigabytes would only add to the run.
    func makeCluster(brokers: Int, options: ClusterOptions = ClusterOptions()) throws -> Cluster {
        precondition(cluster == nil, "one scratch cluster per workspace")
        var options = options
        options.initialBrokerCount = brokers
        options.randomSeed = 1
        let c = try Cluster(dataDirectory: path + "/cluster", options: options)
        cluster = c
        return c
    }

    /// Runs the cluster on a `ClusterDriver` thread, as a live cluster runs, until `remove()`.
    func startDriver(tickIntervalMs: Int = 100, replicateOnAppend: Bool = true) {
        guard let cluster, driver == nil else { preconditionFailure("startDriver before makeCluster, or twice") }
        let d = ClusterDriver(cluster: cluster, tickIntervalMs: tickIntervalMs, replicateOnAppend: replicateOnAppend)
        d.start()
        driver = d
    }

    /// Stops the cluster, if any, removes the directory and releases the lock.
    func remove() {
        driver?.stop()
        cluster?.simulateCrash()
        try? FileManager.default.removeItem(atPath: path)
        lock?.release()
    }

    /// Throws when the user pressed Ctrl-C, so the caller unwinds and cleans up.
    static func checkInterrupted() throws {
        if Signals.interrupted { throw EddyError("benchmark interrupted") }
    }
}

/// Record batches of fixed-size random values, as a producer would send them.
enum BenchData {
    /// One batch of `records` records, each with a null key and a `recordSize`-byte value.
    static func batch(records: Int, recordSize: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var value = [UInt8](repeating: 0, count: recordSize)
        var builder = RecordBatchBuilder(capacity: records * (recordSize + 16) + 64)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for _ in 0 ..< records {
            for j in 0 ..< recordSize { value[j] = UInt8(truncatingIfNeeded: rng.next()) }
            builder.append(timestamp: now, key: nil, value: value)
        }
        return builder.build().bytes
    }
}
