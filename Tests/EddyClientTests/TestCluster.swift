import EddyBroker
import EddyClient
import EddyStorage
import Foundation
import Testing

/// A real in-process cluster for the client tests: brokers in a temporary directory and a
/// `ClusterDriver` running replication and timers in real time. `AdminTestCluster`,
/// `ConsumerTestCluster` and `ProducerTestCluster` each hold one, with their options and
/// helpers. `shutdown()` stops everything and removes the directory.
struct TestCluster {
    let directory: String
    let cluster: Cluster
    let driver: ClusterDriver

    /// - Parameters:
    ///   - label: names the temporary directory (`eddy-<label>-<uuid>`).
    ///   - driven: start the driver; without it nothing replicates, so leaders' log-end
    ///     offsets run ahead of their high watermarks.
    ///   - clock: the cluster's clock (a `ManualClock` keeps session timeouts from expiring).
    ///   - configure: the tests' options, applied after the broker count, the seed and
    ///     `logCleanerThreads = false`.
    init(label: String, brokers: Int, seed: UInt64, driven: Bool = true, clock: any Clock = SystemClock(),
         configure: (inout ClusterOptions) -> Void) throws {
        directory = NSTemporaryDirectory() + "eddy-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var options = ClusterOptions()
        options.initialBrokerCount = brokers
        options.randomSeed = seed
        options.logCleanerThreads = false
        configure(&options)
        cluster = try Cluster(dataDirectory: directory, clock: clock, options: options)
        driver = ClusterDriver(cluster: cluster, tickIntervalMs: 5)
        if driven { driver.start() }
    }

    func shutdown() {
        driver.stop()
        try? cluster.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A request layer over the cluster's transport, bootstrapped with the running brokers.
    func client(_ id: String = "t", requestTimeoutMs: Int64 = 5_000, retryBackoffMs: Int64 = 20) -> KafkaClient {
        KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, clientId: id,
                    requestTimeoutMs: requestTimeoutMs, retryBackoffMs: retryBackoffMs)
    }
}

/// Waits (without asserting on time) until `condition` holds, checking every few milliseconds
/// without blocking a thread of the cooperative pool (the clients' tasks need them); fails
/// after `seconds`.
func waitUntil(_ what: String, seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    if try await condition() { return }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw TestFailure("timed out waiting until \(what)")
}

/// A test helper's failure (an unexpected response, a timeout), with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
