import ArgumentParser
import EddyBroker
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench produce`: produce throughput through an in-process cluster, with replication.
    struct ProduceBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "produce",
            abstract: "Measure produce throughput through an in-process cluster with replication.",
            discussion: """
                Creates a scratch cluster of --brokers brokers and a topic with --partitions partitions \
                and --replication-factor replicas, then sends --records records of --record-size bytes \
                in batches of --batch records as Produce requests with --acks to the partitions' \
                leaders (round-robin over partitions), through the cluster's transport, keeping up to \
                --max-in-flight requests outstanding (Kafka's max.in.flight.requests.per.connection). \
                A ClusterDriver thread replicates, as a running cluster does: followers fetch as soon \
                as a leader appends. Prints records/s, MB/s and the p50/p99 latency of one request \
                (send to acknowledgement), then checks that every replica holds every record.
                """)

        @OptionGroup var common: DataDirectoryOptions
        @OptionGroup var workload: BenchLogOptions

        @Option(help: ArgumentHelp("Replicas per partition.", valueName: "n"))
        var replicationFactor: Int16 = 3

        @Option(parsing: .unconditional, help: ArgumentHelp("all (-1), 1 or 0.", valueName: "all|1|0"))
        var acks: Acks = .all

        @Option(help: ArgumentHelp("Partitions of the topic.", valueName: "n"))
        var partitions: Int32 = 1

        @Option(help: ArgumentHelp("Brokers in the scratch cluster.", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("Requests outstanding at once.", valueName: "n"))
        var maxInFlight: Int = 5

        /// request.timeout.ms of every request.
        static let timeoutMs: Int32 = 30_000

        func validate() throws {
            guard (1 ... ClusterCommand.maxBrokers).contains(brokers) else {
                throw ValidationError("--brokers must be between 1 and \(ClusterCommand.maxBrokers)")
            }
            guard replicationFactor >= 1, Int(replicationFactor) <= brokers else {
                throw ValidationError("--replication-factor must be between 1 and --brokers (\(brokers))")
            }
            guard partitions >= 1 else { throw ValidationError("--partitions must be positive") }
            guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be positive") }
        }

        func run() throws {
            let workspace = try BenchWorkspace(options: common)
            defer { workspace.remove() }
            var options = ClusterOptions()
            options.initialBrokerCount = brokers
            options.randomSeed = 1
            let cluster = try Cluster(dataDirectory: workspace.path + "/cluster", options: options)
            // Nothing here needs to survive: drop the data without fsyncing gigabytes of it.
            defer { cluster.simulateCrash() }
            try cluster.createTopic("bench", partitions: partitions, replicationFactor: replicationFactor)
            cluster.settle()
            let tps = (0 ..< partitions).map { TopicPartition("bench", $0) }
            let leaders = try tps.map { try cluster.leader(of: $0) }
            let batch = BenchData.batch(records: workload.batch, recordSize: workload.recordSize, seed: 1)
            print("produce: \(BenchFormat.grouped(Double(workload.records))) records of \(workload.recordSize) bytes, "
                + "batches of \(workload.batch) (\(BenchFormat.grouped(Double(batch.count))) bytes each), "
                + "\(brokers) brokers, \(partitions) \(partitions == 1 ? "partition" : "partitions"), "
                + "replication factor \(replicationFactor), acks=\(acks == .all ? "all" : String(acks.value)), "
                + "max \(maxInFlight) in flight, flush off")

            let driver = ClusterDriver(cluster: cluster)
            driver.start()
            let tracker = InFlightRequests(capacity: workload.batchCount, window: maxInFlight)
            let start = monotonicNanos()
            for i in 0 ..< workload.batchCount {
                if i & 63 == 0 { try BenchWorkspace.checkInterrupted() }
                if tracker.failure != nil { break }
                let p = i % tps.count
                let request = ProduceRequest(topic: "bench", partition: tps[p].partition, records: batch,
                                             acks: acks.value, timeoutMs: ProduceBench.timeoutMs)
                tracker.begin()
                let t0 = monotonicNanos()
                cluster.transport.send(.produce(request), to: leaders[p], context: RequestContext(clientId: "eddy-bench")) { result in
                    tracker.end(result, tp: tps[p], nanos: monotonicNanos() - t0)
                }
            }
            tracker.waitForAll()
            let elapsed = monotonicNanos() - start
            driver.stop()
            if let failure = tracker.failure { throw EddyError(failure) }

            cluster.settle()
            try verify(cluster, tps, recordsPerBatch: workload.batch)
            BenchReport.print(records: workload.records, bytes: batch.count * workload.batchCount, nanos: elapsed,
                              latencies: tracker.latencies, per: "request", bytesLabel: "batch bytes")
        }

        /// Every replica of every partition holds all its records, and knows they are committed.
        private func verify(_ cluster: Cluster, _ tps: [TopicPartition], recordsPerBatch: Int) throws {
            for (p, tp) in tps.enumerated() {
                let batches = workload.batchCount / tps.count + (p < workload.batchCount % tps.count ? 1 : 0)
                let expected = Int64(batches * recordsPerBatch)
                let offsets = cluster.replicaOffsets(tp)
                guard offsets.count == Int(replicationFactor),
                      offsets.values.allSatisfy({ $0.logEndOffset == expected && $0.highWatermark == expected }) else {
                    throw EddyError("replicas of \(tp) do not all hold \(expected) committed records: "
                        + offsets.sorted { $0.key < $1.key }.map { "broker \($0.key) LEO \($0.value.logEndOffset) HW \($0.value.highWatermark)" }
                        .joined(separator: ", "))
                }
            }
        }
    }
}

/// The outstanding requests of `bench produce`: a window of at most `window` at a time, their
/// latencies, and the first failure. Completions arrive on the cluster's threads.
final class InFlightRequests: @unchecked Sendable {
    private let condition = NSCondition()
    private let window: Int
    private var outstanding = 0
    private var samples: LatencySamples
    private var firstFailure: String?

    init(capacity: Int, window: Int) {
        samples = LatencySamples(capacity: capacity)
        self.window = window
    }

    /// Waits for room in the window, then counts one more request.
    func begin() {
        condition.lock()
        while outstanding >= window { condition.wait() }
        outstanding += 1
        condition.unlock()
    }

    func end(_ result: Result<KafkaResponse, TransportError>, tp: TopicPartition, nanos: UInt64) {
        var failure: String?
        switch result {
        case let .success(.produce(r)):
            if let p = r.partition(topic: tp.topic, partition: tp.partition) {
                if p.errorCode != .none { failure = "\(p.errorCode.name): \(p.errorMessage ?? "produce to \(tp) failed")" }
            } else {
                failure = "the response to a produce to \(tp) has no answer for it"
            }
        case .success: failure = "unexpected response to Produce"
        case let .failure(e): failure = "produce to \(tp) failed: \(e)"
        }
        condition.lock()
        samples.add(nanos)
        if firstFailure == nil { firstFailure = failure }
        outstanding -= 1
        condition.broadcast()
        condition.unlock()
    }

    func waitForAll() {
        condition.lock()
        while outstanding > 0 { condition.wait() }
        condition.unlock()
    }

    var failure: String? { condition.lock(); defer { condition.unlock() }; return firstFailure }
    var latencies: LatencySamples { condition.lock(); defer { condition.unlock() }; return samples }
}
