import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import Foundation

extension Bench {
    /// `eddy bench metadata`: what a metadata change costs with a controller quorum of 1, 3 or
    /// 5 voters: CreateTopics and DeleteTopics one after the other through an admin client over
    /// the in-process transport, each answered once the quorum committed it (a majority of the
    /// voters has it on disk).
    struct MetadataBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "metadata",
            abstract: "Measure metadata changes (CreateTopics, DeleteTopics) with 1, 3 or 5 controllers, in process.",
            discussion: """
                Creates a scratch cluster of --brokers brokers whose controller quorum has \
                --controllers voters (combined with brokers 0.., or with --controller-mode separate \
                nodes 3000..), run in real time by a ClusterDriver as eddy serve runs it. Then, \
                --changes times one after the other, creates a topic of --partitions partitions and \
                --replication-factor replicas with CreateTopics and deletes it with DeleteTopics, \
                through an admin client over the in-process transport: Broker.handle, the active \
                controller's write, the quorum's replication and fsyncs (a change is answered once a \
                majority of voters has it on disk), the brokers applying it. Prints the latency \
                percentiles of each request, changes/s and the process's CPU time per change. With \
                --bootstrap-server, the same against a running cluster (eddy serve, Kafka, a peer \
                broker) over the network, with topics named eddy-bench-metadata-<random>-<n>; its \
                controllers are its own, so --brokers, --controllers and --controller-mode do not \
                apply, and the CPU is this client's.
                """)

        @Option(help: ArgumentHelp("Topics to create and delete.", valueName: "n"))
        var changes: Int = 200

        @Option(help: ArgumentHelp("Partitions of each topic.", valueName: "n"))
        var partitions: Int32 = 1

        @Option(help: ArgumentHelp("Replicas of each partition (at most --brokers).", valueName: "n"))
        var replicationFactor: Int16 = 3

        @Option(help: ArgumentHelp("Brokers in the scratch cluster (default 3).", valueName: "n"))
        var brokers: Int?

        @Option(help: ArgumentHelp("Controllers: 1, 3 or 5 (default 3).", valueName: "n"))
        var controllers: Int?

        @Option(help: ArgumentHelp("combined (controllers are brokers 0..n-1, the default) or separate (nodes 3000..).", valueName: "mode"))
        var controllerMode: ClusterCommand.Init.ControllerMode?

        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard changes >= 1 else { throw ValidationError("--changes must be positive") }
            guard partitions >= 1 else { throw ValidationError("--partitions must be positive") }
            if connection.bootstrapServer != nil || connection.cluster != nil {
                guard brokers == nil, controllers == nil, controllerMode == nil else {
                    throw ValidationError("--brokers, --controllers and --controller-mode shape the scratch cluster; a running cluster has its own")
                }
                guard replicationFactor >= 1 else { throw ValidationError("--replication-factor must be positive") }
                return
            }
            try ClusterCommand.validate(brokers: brokers ?? 3, replicationFactor: replicationFactor)
            try ClusterCommand.Init.validate(controllers: controllers ?? 3, mode: controllerMode ?? .combined, brokers: brokers ?? 3)
        }

        func run() throws {
            let (changes, partitions, replicationFactor) = (changes, partitions, replicationFactor)
            let topics = "\(BenchFormat.grouped(Double(changes))) topics of \(partitions) \(partitions == 1 ? "partition" : "partitions"), "
                + "replication factor \(replicationFactor), created and deleted one after the other"
            let (brokers, controllers, mode) = (brokers ?? 3, controllers ?? 3, controllerMode ?? .combined)
            var options = ClusterOptions.forCommands(brokers: brokers)
            options.controllerQuorum = ControllerQuorumOptions(count: controllers, combined: mode == .combined)
            // Topics are named after the target's: `eddy-bench-metadata-<n>` here, with a random
            // part of its own on a running cluster.
            let target = try BenchTarget(connection: connection, brokers: brokers, options: options, topic: "eddy-bench-metadata")
            defer { target.remove() }
            target.cluster?.settle()
            target.startDriver()
            print("metadata: \(topics); " + (target.isRemote ? target.description
                : "\(brokers) brokers and \(controllers) \(mode.rawValue) \(controllers == 1 ? "controller" : "controllers") in this process"))
            let client = target.makeClient(clientId: "eddy-bench-metadata")
            let prefix = target.topic + "-"
            let result = try blockingAwait { () async throws -> Timings in
                defer { client.close() }
                let admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 30_000))
                // Warm-up: the client's metadata and connections, the first log directories.
                for i in 0 ..< 5 { _ = try await Self.change(admin, name: "\(prefix)warm-up-\(i)", partitions: partitions, replicationFactor: replicationFactor) }
                var result = Timings(create: LatencySamples(capacity: changes), delete: LatencySamples(capacity: changes))
                let cpu0 = processCpuSeconds(), t0 = monotonicNanos()
                for i in 0 ..< changes {
                    try BenchWorkspace.checkInterrupted()
                    let (create, delete) = try await Self.change(admin, name: "\(prefix)\(i)", partitions: partitions,
                                                                 replicationFactor: replicationFactor)
                    result.create.add(create)
                    result.delete.add(delete)
                }
                result.nanos = monotonicNanos() - t0
                result.cpuSeconds = processCpuSeconds() - cpu0
                return result
            }
            let seconds = Double(result.nanos) / 1e9
            print("  \(BenchFormat.fixed(Double(changes * 2) / seconds, 1)) changes/s (a create and a delete per topic), "
                + "CPU \(BenchFormat.fixed(result.cpuSeconds * 1e6 / Double(changes * 2), 0)) µs per change")
            for (label, samples) in [("CreateTopics", result.create), ("DeleteTopics", result.delete)] {
                print("  \(label): p50 \(BenchFormat.micros(samples.percentile(50))), p90 \(BenchFormat.micros(samples.percentile(90))), "
                    + "p99 \(BenchFormat.micros(samples.percentile(99))), max \(BenchFormat.micros(samples.percentile(100)))")
            }
        }

        struct Timings: Sendable {
            var create: LatencySamples
            var delete: LatencySamples
            var nanos: UInt64 = 0
            var cpuSeconds: Double = 0
        }

        /// Creates topic `name` and deletes it; the two latencies in nanoseconds.
        private static func change(_ admin: Admin, name: String, partitions: Int32, replicationFactor: Int16) async throws -> (UInt64, UInt64) {
            let t0 = monotonicNanos()
            let created = try await admin.createTopics([Admin.NewTopic(name: name, numPartitions: partitions, replicationFactor: replicationFactor)])
            if case let .failure(error)? = created[name] { throw EddyError("CreateTopics \(name) failed: \(error)") }
            let t1 = monotonicNanos()
            let deleted = try await admin.deleteTopics([name])
            if case let .failure(error)? = deleted[name] { throw EddyError("DeleteTopics \(name) failed: \(error)") }
            return (t1 - t0, monotonicNanos() - t1)
        }
    }
}
