import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench latency`: end-to-end latency (producer `send` to consumer `poll`) at a fixed
    /// rate through an in-process cluster.
    struct LatencyBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "latency",
            abstract: "Measure end-to-end latency, producer send to consumer poll, at a fixed rate.",
            discussion: """
                Creates a scratch cluster of --brokers brokers run in real time by a ClusterDriver, as \
                a live cluster is, and a topic with --partitions partitions, --replication-factor \
                replicas and min.insync.replicas=--min-insync-replicas. One producer (EddyClient's \
                Producer: linger.ms=0, --acks, idempotent unless --acks is not all) sends \
                --record-size-byte records at --rate records/s, paced by the monotonic clock: the \
                records due since the last wake-up are sent together, then the sender sleeps until \
                the next one is due (at least --pace-micros). Each value starts with its send time \
                (monotonic nanoseconds) and sequence number. One consumer (no group; every partition \
                assigned, starting at the end; fetch.min.bytes=1, fetch.max.wait.ms=--fetch-max-wait-ms) \
                polls in a loop. A record's end-to-end latency is the time poll returned it minus its \
                send time; its acknowledgement latency, the time its send completion ran minus its \
                send time. Records of the first --warmup seconds are not counted. Runs for --duration \
                seconds, or until --records measured records are sent, then waits for the consumer. \
                Prints the percentiles of both latencies, how closely the sender kept to its \
                schedule, the process's CPU time and the load average. With --bootstrap-server, \
                the same against a running cluster (eddy serve or Kafka) over the network, with a \
                new topic latency-<random>, deleted at the end; --brokers and \
                --no-replicate-on-append do not apply, and the CPU time is the clients' alone.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("Records per second the producer sends.", valueName: "n"))
        var rate: Int = 10_000

        @Option(help: ArgumentHelp("Seconds of measured sending (after the warm-up); ignored with --records.", valueName: "s"))
        var duration: Double = 10

        @Option(help: ArgumentHelp("Measured records to send (overrides --duration).", valueName: "n"))
        var records: Int?

        @Option(help: ArgumentHelp("Seconds of sending before measuring starts.", valueName: "s"))
        var warmup: Double = 1

        @Option(help: ArgumentHelp("Bytes of each record's value (at least 16; keys are null).", valueName: "bytes"))
        var recordSize: Int = 100

        @Option(parsing: .unconditional, help: ArgumentHelp("all (-1), 1 or 0.", valueName: "all|1|0"))
        var acks: Acks = .all

        @Option(help: ArgumentHelp("Replicas per partition.", valueName: "n"))
        var replicationFactor: Int16 = 3

        @Option(help: ArgumentHelp("The topic's min.insync.replicas.", valueName: "n"))
        var minInsyncReplicas: Int = 2

        @Option(help: ArgumentHelp("Partitions of the topic.", valueName: "n"))
        var partitions: Int32 = 1

        @Option(help: ArgumentHelp("Brokers in the scratch cluster.", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("The consumer's fetch.max.wait.ms.", valueName: "ms"))
        var fetchMaxWaitMs: Int32 = 500

        @Flag(inversion: .prefixedNo, help: ArgumentHelp(
            "Followers copy appends on the appending thread (default); --no-replicate-on-append leaves all "
                + "replication to the driver thread, for comparison."))
        var replicateOnAppend = true

        @Option(help: ArgumentHelp("Shortest sleep of the sender between sends, in µs (0: until the next record is due).",
                                   valueName: "µs"))
        var paceMicros: Int = 0

        /// Bytes at the start of each value: send time (UInt64 ns) and sequence number (UInt64).
        static let stampSize = 16

        func validate() throws {
            guard rate >= 1 else { throw ValidationError("--rate must be positive") }
            guard duration > 0 else { throw ValidationError("--duration must be positive") }
            if let records { guard records >= 1 else { throw ValidationError("--records must be positive") } }
            guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
            guard recordSize >= Self.stampSize else { throw ValidationError("--record-size must be at least \(Self.stampSize)") }
            try ClusterCommand.validate(brokers: brokers, replicationFactor: replicationFactor)
            guard minInsyncReplicas >= 1 else { throw ValidationError("--min-insync-replicas must be positive") }
            guard partitions >= 1 else { throw ValidationError("--partitions must be positive") }
            guard fetchMaxWaitMs >= 0 else { throw ValidationError("--fetch-max-wait-ms must not be negative") }
            guard paceMicros >= 0 else { throw ValidationError("--pace-micros must not be negative") }
        }

        var measuredRecords: Int { records ?? max(1, Int((duration * Double(rate)).rounded())) }
        var warmupRecords: Int { Int((warmup * Double(rate)).rounded()) }

        func run() throws {
            let target = try BenchTarget(connection: connection, brokers: brokers, topic: "latency")
            defer { target.remove() }
            try target.createTopic(partitions: partitions, replicationFactor: replicationFactor,
                                   configs: ["min.insync.replicas": String(minInsyncReplicas)])
            target.startDriver(replicateOnAppend: replicateOnAppend)
            let topic = target.topic

            var producerConfig = ProducerConfig()
            producerConfig.clientId = "eddy-bench-latency"
            producerConfig.acks = acks.producerAcks
            producerConfig.lingerMs = 0
            let (producerTransport, producerNodes) = target.clientTransport(clientId: "eddy-bench-latency")
            let producer = try BytesProducer(config: producerConfig, transport: producerTransport,
                                             bootstrapNodes: producerNodes, random: SplitMix64(seed: 1))
            var consumerConfig = ConsumerConfig()
            consumerConfig.clientId = "eddy-bench-latency"
            consumerConfig.autoOffsetReset = .latest
            consumerConfig.fetchMinBytes = 1
            consumerConfig.fetchMaxWaitMs = fetchMaxWaitMs
            let consumer = try Consumer(client: target.makeClient(clientId: "eddy-bench-latency"), config: consumerConfig)
            let assigned = (0 ..< partitions).map { TopicPartition(topic, $0) }
            try blockingAwait {
                _ = try await producer.partitions(for: topic)
                try await consumer.assign(assigned)
                for tp in assigned { _ = try await consumer.position(tp) }
                _ = try await consumer.poll(timeoutMs: 0)
            }

            let warm = warmupRecords
            let total = warm + measuredRecords
            print("latency: \(BenchFormat.grouped(Double(measuredRecords))) records of \(recordSize) bytes at "
                + "\(BenchFormat.grouped(Double(rate))) records/s (after \(BenchFormat.grouped(Double(warm))) warm-up records), "
                + "\(target.description), \(partitions) \(partitions == 1 ? "partition" : "partitions"), "
                + "replication factor \(replicationFactor), min.insync.replicas \(minInsyncReplicas), "
                + "acks=\(producerConfig.acks), linger.ms=0, idempotence \(producer.isIdempotent ? "on" : "off"), "
                + "fetch.max.wait.ms=\(fetchMaxWaitMs), fetch.min.bytes=1"
                + (target.isRemote ? "" : ", replication " + (replicateOnAppend ? "on the appending thread" : "on the driver thread")))
            let load0 = Self.loadAverage()
            let cpu0 = processCpuSeconds()
            let results = LatencyBenchResults(measured: measuredRecords, warmup: warm)
            let value = [UInt8](repeating: 0x5a, count: recordSize)
            let intervalNs = 1e9 / Double(rate)
            let minimumSleepNs = UInt64(paceMicros) * 1000
            let started = monotonicNanos()
            /// Sends every record on schedule.
            @Sendable func send() async throws -> LatencyBenchPacing {
                var pacing = LatencyBenchPacing()
                var i = 0
                let start = monotonicNanos()
                while i < total {
                    try BenchWorkspace.checkInterrupted()
                    let now = monotonicNanos()
                    let due = min(total, Int(Double(now - start) / intervalNs) + 1)
                    if due > i {
                        pacing.note(burst: due - i, lateNs: now &- (start + UInt64(Double(i) * intervalNs)))
                    }
                    while i < due {
                        var v = value
                        let sent = monotonicNanos()
                        Self.stamp(&v, sent: sent, sequence: UInt64(i))
                        let index = i
                        try await producer.send(ProducerRecord(topic: topic, value: v)) { result in
                            results.acknowledged(index, result: result, nanos: monotonicNanos() &- sent)
                        }
                        i += 1
                    }
                    guard i < total else { break }
                    let next = max(start + UInt64(Double(i) * intervalNs), now + minimumSleepNs)
                    let after = monotonicNanos()
                    if next > after { try await Task.sleep(nanoseconds: next - after) }
                }
                return pacing
            }
            let pacing = try blockingAwait { () async throws -> LatencyBenchPacing in
                let consuming = Task { try await Self.consume(consumer, results: results) }
                do {
                    let pacing = try await send()
                    await producer.flush()
                    results.producerFinished()
                    try await consuming.value
                    return pacing
                } catch {
                    results.abort()
                    _ = try? await consuming.value
                    throw error
                }
            }
            let elapsed = monotonicNanos() - started
            let cpu = processCpuSeconds() - cpu0
            let load1 = Self.loadAverage()
            let metrics = producer.metrics
            try blockingAwait { await producer.close() }
            try blockingAwait { await consumer.close() }
            let summary = results.summary
            if let failure = summary.failure { throw EddyError("a record failed: \(failure)") }
            let seconds = Double(elapsed) / 1e9
            print("  elapsed:          \(BenchFormat.fixed(seconds, 3)) s (warm-up included); "
                + "process CPU \(BenchFormat.fixed(cpu, 2)) s (\(BenchFormat.fixed(cpu / seconds * 100, 0))% of one core)")
            print("  pacing:           \(BenchFormat.fixed(Double(total) / Double(max(1, pacing.wakeups)), 2)) records per wake-up, "
                + "largest burst \(pacing.largestBurst), at most \(BenchFormat.micros(pacing.maxLateNs)) behind schedule")
            print("  received:         \(BenchFormat.grouped(Double(summary.received))) of "
                + "\(BenchFormat.grouped(Double(measuredRecords))) measured records"
                + (summary.duplicates > 0 ? ", \(summary.duplicates) duplicates" : ""))
            Self.printLine("end to end:      ", summary.endToEnd)
            Self.printLine("acknowledgement: ", summary.acknowledgement)
            print("  slowest:          " + summary.slowest.map {
                "\(BenchFormat.micros($0.nanos)) (sent at \(BenchFormat.fixed(Double($0.sentAt &- started) / 1e9, 3)) s)"
            }.joined(separator: ", "))
            print("  producer:         \(BenchFormat.grouped(Double(metrics.requests))) requests, "
                + "\(BenchFormat.grouped(Double(metrics.batchesSent))) batches "
                + "(\(BenchFormat.fixed(Double(metrics.recordsSent) / Double(max(1, metrics.batchesSent)), 2)) records each), "
                + "\(metrics.retries) retries")
            print("  load average:     \(load0) at start, \(load1) at end (nproc \(ProcessInfo.processInfo.activeProcessorCount))")
            if summary.received < measuredRecords {
                throw EddyError("the consumer received \(summary.received) of \(measuredRecords) measured records")
            }
            if summary.duplicates > 0 { throw EddyError("the consumer received \(summary.duplicates) records twice") }
        }

        static func printLine(_ label: String, _ s: LatencySamples) {
            print("  \(label) p50 \(BenchFormat.micros(s.percentile(50))), p90 \(BenchFormat.micros(s.percentile(90))), "
                + "p99 \(BenchFormat.micros(s.percentile(99))), p99.9 \(BenchFormat.micros(s.percentile(99.9))), "
                + "max \(BenchFormat.micros(s.percentile(100))) (\(BenchFormat.grouped(Double(s.nanos.count))) records)")
        }

        /// Polls until every measured record arrived, or 10 s after the producer finished.
        static func consume(_ consumer: Consumer, results: LatencyBenchResults) async throws {
            while true {
                let batch = try await consumer.poll(timeoutMs: 100)
                let received = monotonicNanos()
                for record in batch {
                    guard let v = record.valueBytes, v.count >= stampSize else { continue }
                    let (sent, sequence) = readStamp(v)
                    results.received(Int(sequence), nanos: received &- sent, sentAt: sent)
                }
                if results.consumerDone(now: received) { return }
            }
        }

        static func stamp(_ value: inout [UInt8], sent: UInt64, sequence: UInt64) {
            for b in 0 ..< 8 {
                value[b] = UInt8(truncatingIfNeeded: sent >> (8 * b))
                value[8 + b] = UInt8(truncatingIfNeeded: sequence >> (8 * b))
            }
        }

        static func readStamp(_ v: ArraySlice<UInt8>) -> (sent: UInt64, sequence: UInt64) {
            var sent: UInt64 = 0
            var sequence: UInt64 = 0
            let s = v.startIndex
            for b in 0 ..< 8 {
                sent |= UInt64(v[s + b]) << (8 * b)
                sequence |= UInt64(v[s + 8 + b]) << (8 * b)
            }
            return (sent, sequence)
        }

        /// The 1, 5 and 15 minute load averages, as /proc/loadavg shows them.
        static func loadAverage() -> String {
            guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
            return text.split(separator: " ").prefix(3).joined(separator: " ")
        }
    }
}

/// How closely the sender kept to its schedule.
struct LatencyBenchPacing: Sendable {
    private(set) var wakeups = 0
    private(set) var largestBurst = 0
    private(set) var maxLateNs: UInt64 = 0

    mutating func note(burst: Int, lateNs: UInt64) {
        wakeups += 1
        largestBurst = max(largestBurst, burst)
        if lateNs < UInt64.max / 2 { maxLateNs = max(maxLateNs, lateNs) }
    }
}

/// Latencies of the measured records (sequence numbers from `warmup` on), reported from the
/// producer's completions and the consumer's task.
final class LatencyBenchResults: @unchecked Sendable {
    struct Summary {
        var endToEnd: LatencySamples
        var acknowledgement: LatencySamples
        var received: Int
        var duplicates: Int
        var failure: ClientError?
        var slowest: [(nanos: UInt64, sentAt: UInt64)]
    }

    private let lock = NSLock()
    private let measured: Int
    private let warmup: Int
    private var seen: [Bool]
    private var endToEnd: LatencySamples
    private var acknowledgement: LatencySamples
    private var receivedCount = 0
    private var duplicates = 0
    private var failure: ClientError?
    /// The slowest end-to-end latencies and when those records were sent (monotonic ns).
    private var slowest: [(nanos: UInt64, sentAt: UInt64)] = []
    static let slowestKept = 3
    private var aborted = false
    /// When the producer had every record acknowledged (monotonic ns).
    private var producerFinishedAt: UInt64?

    /// How long the consumer waits for missing records after the producer finished.
    static let drainTimeoutNs: UInt64 = 10_000_000_000

    init(measured: Int, warmup: Int) {
        self.measured = measured
        self.warmup = warmup
        seen = Array(repeating: false, count: measured)
        endToEnd = LatencySamples(capacity: measured)
        acknowledgement = LatencySamples(capacity: measured)
    }

    func acknowledged(_ sequence: Int, result: Result<RecordMetadata, ClientError>, nanos: UInt64) {
        lock.withLock {
            switch result {
            case .success: if sequence >= warmup { acknowledgement.add(nanos) }
            case let .failure(e): if failure == nil { failure = e }
            }
        }
    }

    func received(_ sequence: Int, nanos: UInt64, sentAt: UInt64) {
        let i = sequence - warmup
        guard i >= 0, i < measured else { return }
        lock.withLock {
            if seen[i] {
                duplicates += 1
            } else {
                seen[i] = true
                receivedCount += 1
                endToEnd.add(nanos)
                if slowest.count < Self.slowestKept || nanos > slowest[slowest.count - 1].nanos {
                    slowest.append((nanos, sentAt))
                    slowest.sort { $0.nanos > $1.nanos }
                    if slowest.count > Self.slowestKept { slowest.removeLast() }
                }
            }
        }
    }

    func producerFinished() { lock.withLock { producerFinishedAt = monotonicNanos() } }

    /// The producer side failed: the consumer stops at its next poll.
    func abort() { lock.withLock { aborted = true } }

    /// Whether the consumer may stop: every measured record arrived, a record failed, or the
    /// producer finished more than `drainTimeoutNs` ago.
    func consumerDone(now: UInt64) -> Bool {
        lock.withLock {
            if receivedCount == measured || failure != nil || aborted { return true }
            guard let finished = producerFinishedAt else { return false }
            return now > finished && now - finished > Self.drainTimeoutNs
        }
    }

    var summary: Summary {
        lock.withLock {
            Summary(endToEnd: endToEnd, acknowledgement: acknowledgement, received: receivedCount, duplicates: duplicates,
                    failure: failure, slowest: slowest)
        }
    }
}
