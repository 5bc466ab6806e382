import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench produce`: throughput of EddyClient's producer against an in-process cluster.
    struct ProduceBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "produce",
            abstract: "Measure producer throughput through the producer client, in process or against a running cluster.",
            discussion: """
                Creates a scratch cluster of --brokers brokers and a topic with --partitions partitions \
                and --replication-factor replicas, then sends --records records with --record-size-byte \
                values and null keys through one producer (EddyClient's Producer, as an application \
                would: one send call per record, keyless records placed by the sticky partitioner, \
                batches of --batch-size bytes sent after --linger-ms with --acks, at most --max-in-flight \
                requests per broker, idempotent unless --no-idempotence or --acks other than all; \
                --producer-property sets any other producer setting). A \
                ClusterDriver thread replicates, as a running cluster does. Timing starts at the first \
                send and stops when the producer has flushed every record. Prints records/s, MB/s of \
                values, batches and requests, and the send-to-acknowledgement latency of every \
                1000th record; then checks that every replica holds every record. With \
                --bootstrap-server, the same against a running cluster (eddy serve or Kafka) over \
                the network: a new topic bench-<random> is created with --partitions and \
                --replication-factor, checked through ListOffsets (every record below the high \
                watermark), and deleted at the end; --brokers does not apply. With \
                --transaction-batches N the producer is transactional (transactional.id \
                eddy-bench-<random>, initialised before timing) and commits a transaction every N \
                batches' worth of records (batch.size over the record's size on the wire), on one \
                partition; the check then counts one COMMIT marker per transaction.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("Records to send.", valueName: "n"))
        var records: Int = 10_000_000

        @Option(help: ArgumentHelp("Bytes of each record's value (keys are null).", valueName: "bytes"))
        var recordSize: Int = 100

        @Option(help: ArgumentHelp("The producer's batch.size.", valueName: "bytes"))
        var batchSize: Int = ProducerConfig.defaultBatchSize

        @Option(help: ArgumentHelp("The producer's linger.ms.", valueName: "ms"))
        var lingerMs: Int64 = ProducerConfig.defaultLingerMs

        @Option(parsing: .unconditional, help: ArgumentHelp("all (-1), 1 or 0.", valueName: "all|1|0"))
        var acks: Acks = .all

        @Option(help: ArgumentHelp("Replicas per partition.", valueName: "n"))
        var replicationFactor: Int16 = 1

        @Option(help: ArgumentHelp("Partitions of the topic.", valueName: "n"))
        var partitions: Int32 = 1

        @Option(help: ArgumentHelp("Brokers in the scratch cluster.", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("max.in.flight.requests.per.connection.", valueName: "n"))
        var maxInFlight: Int = ProducerConfig.defaultMaxInFlight

        @Flag(inversion: .prefixedNo, help: "enable.idempotence (default: on unless --acks is not all).")
        var idempotence: Bool?

        @Option(help: ArgumentHelp("Commit a transaction every this many batches' worth of records (transactional; one partition).",
                                   valueName: "n"))
        var transactionBatches: Int?

        @Option(name: .customLong("producer-property"),
                help: ArgumentHelp("Any other producer setting by its Kafka name (repeatable), e.g. buffer.memory=67108864.",
                                   valueName: "key=value"))
        var producerProperties: [String] = []

        /// Every this many records, one's latency is measured.
        static let latencySampleInterval = 1000

        func validate() throws {
            guard records > 0 else { throw ValidationError("--records must be positive") }
            guard recordSize >= 0 else { throw ValidationError("--record-size must not be negative") }
            guard batchSize >= 0 else { throw ValidationError("--batch-size must not be negative") }
            guard lingerMs >= 0 else { throw ValidationError("--linger-ms must not be negative") }
            try ClusterCommand.validate(brokers: brokers, replicationFactor: replicationFactor)
            guard partitions >= 1 else { throw ValidationError("--partitions must be positive") }
            guard maxInFlight >= 1 else { throw ValidationError("--max-in-flight must be positive") }
            if let transactionBatches {
                guard transactionBatches >= 1 else { throw ValidationError("--transaction-batches must be positive") }
                guard partitions == 1 else {
                    throw ValidationError("--transaction-batches measures one partition (its markers are counted); drop --partitions")
                }
                guard acks == .all, idempotence != false else {
                    throw ValidationError("--transaction-batches needs acks=all and idempotence (a transactional producer is idempotent)")
                }
            }
            do { _ = try producerConfig() } catch let e as ClientError { throw ValidationError(e.description) }
        }

        /// Records a transaction holds: `transactionBatches` batches of batch.size, each record
        /// taking its value plus about 10 bytes of framing (null key, small deltas) after the
        /// batch's 61-byte header.
        var recordsPerTransaction: Int? {
            transactionBatches.map { $0 * max(1, (batchSize - RecordBatchHeader.size) / (recordSize + 10)) }
        }

        func producerConfig() throws -> ProducerConfig {
            var c = ProducerConfig()
            c.clientId = "eddy-bench"
            for (key, value) in try KeyValueArguments.parse(producerProperties, flag: "--producer-property") {
                try c.set(key, value)
            }
            c.acks = acks.producerAcks
            c.batchSize = batchSize
            c.lingerMs = lingerMs
            c.maxInFlightRequestsPerConnection = maxInFlight
            c.enableIdempotence = idempotence
            if transactionBatches != nil { c.transactionalId = "eddy-bench-\(UInt32.random(in: 0 ... UInt32.max))" }
            try c.validate()
            return c
        }

        func run() throws {
            let target = try BenchTarget(connection: connection, brokers: brokers, topic: "bench")
            defer { target.remove() }
            try target.createTopic(partitions: partitions, replicationFactor: replicationFactor)
            target.startDriver()
            let topic = target.topic

            let config = try producerConfig()
            let producer = try BytesProducer(config: config, transport: target.transport, bootstrapNodes: target.bootstrapNodes,
                                             random: SplitMix64(seed: 1))
            var rng = SplitMix64(seed: 1)
            let value = (0 ..< recordSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let latencies = LatencyCollector(capacity: records / Self.latencySampleInterval + 1)
            let count = records
            // The metadata is fetched (and transactions initialised) before timing starts, as a
            // long-running producer has them.
            _ = try blockingAwait { try await producer.partitions(for: topic) }
            let perTransaction = recordsPerTransaction
            if perTransaction != nil { try blockingAwait { try await producer.initTransactions() } }
            print("produce: \(BenchFormat.grouped(Double(records))) records of \(recordSize) bytes through the producer client, "
                + "\(target.description), \(partitions) \(partitions == 1 ? "partition" : "partitions"), "
                + "replication factor \(replicationFactor), acks=\(config.acks), batch.size=\(config.batchSize), "
                + "linger.ms=\(config.lingerMs), max.in.flight=\(config.maxInFlightRequestsPerConnection), "
                + "idempotence \(producer.isIdempotent ? "on" : "off"), flush off"
                + (perTransaction.map { ", transactions of \(transactionBatches ?? 0) batches (\($0) records)" } ?? ""))

            let start = monotonicNanos()
            let transactions = try blockingAwait { () async throws -> Int in
                let record = ProducerRecord<[UInt8], [UInt8]>(topic: topic, value: value)
                var transactions = 0
                for i in 0 ..< count {
                    if let perTransaction, i % perTransaction == 0 {
                        if i > 0 { try await producer.commitTransaction() }
                        try producer.beginTransaction()
                        transactions += 1
                    }
                    if i % Self.latencySampleInterval == 0 {
                        try BenchWorkspace.checkInterrupted()
                        let t0 = monotonicNanos()
                        try await producer.send(record) { result in latencies.add(result, nanos: monotonicNanos() - t0) }
                    } else {
                        try await producer.sendAndForget(record)
                    }
                }
                if perTransaction != nil { try await producer.commitTransaction() }
                await producer.flush()
                return transactions
            }
            let elapsed = monotonicNanos() - start
            let metrics = producer.metrics
            try blockingAwait { await producer.close() }
            if metrics.recordErrors > 0 || latencies.failure != nil {
                throw EddyError("\(metrics.recordErrors) records failed" + (latencies.failure.map { "; first: \($0)" } ?? ""))
            }
            // Each transaction left one COMMIT marker in the partition.
            try target.verify(records: records + transactions, partitions: partitions, replicationFactor: replicationFactor)
            let seconds = Double(elapsed) / 1e9
            let samples = latencies.samples
            print("  elapsed:    \(BenchFormat.fixed(seconds, 3)) s")
            print("  records/s:  \(BenchFormat.grouped(Double(records) / seconds))")
            print("  throughput: \(BenchFormat.mbPerSecond(bytes: records * recordSize, nanos: elapsed)) (values; 1 MB = 10^6 bytes)")
            print("  latency per record (send to acknowledgement, 1 in \(Self.latencySampleInterval)): "
                + "p50 \(BenchFormat.micros(samples.percentile(50))), p99 \(BenchFormat.micros(samples.percentile(99))), "
                + "max \(BenchFormat.micros(samples.percentile(100)))")
            print("  batches:    \(BenchFormat.grouped(Double(metrics.batchesSent))) "
                + "(\(BenchFormat.fixed(Double(metrics.recordsSent) / Double(max(1, metrics.batchesSent)), 1)) records, "
                + "\(BenchFormat.grouped(Double(metrics.bytesSent) / Double(max(1, metrics.batchesSent)))) bytes each), "
                + "\(BenchFormat.grouped(Double(metrics.requests))) requests, \(metrics.retries) retries")
            if transactions > 0 {
                print("  transactions: \(BenchFormat.grouped(Double(transactions))) committed, "
                    + "\(BenchFormat.fixed(Double(metrics.batchesSent) / Double(transactions), 1)) batches each")
            }
        }

    }
}

/// Latencies of the sampled records, reported from the producer's tasks.
final class LatencyCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var _samples: LatencySamples
    private var _failure: ClientError?

    init(capacity: Int) { _samples = LatencySamples(capacity: capacity) }

    func add(_ result: Result<RecordMetadata, ClientError>, nanos: UInt64) {
        lock.withLock {
            switch result {
            case .success: _samples.add(nanos)
            case let .failure(e): if _failure == nil { _failure = e }
            }
        }
    }

    var samples: LatencySamples { lock.withLock { _samples } }
    var failure: ClientError? { lock.withLock { _failure } }
}
