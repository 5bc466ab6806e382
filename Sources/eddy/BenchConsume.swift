import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench consume`: a consumer group reading a pre-written topic through the client.
    struct ConsumeBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "consume",
            abstract: "Measure a consumer group reading a topic through the consumer client.",
            discussion: """
                Creates a scratch cluster of --brokers brokers and a topic with --partitions \
                partitions (replication factor 1), writes --records records of --record-size bytes \
                in batches of --batch records straight to the partition leaders (untimed), then \
                starts --consumers consumers in one group (range assignor, Kafka's default fetch \
                settings, heartbeats every 100 ms, max.poll.records --max-poll-records). Once the group has settled (the \
                members hold their partitions paused until then), the clock starts and the members \
                poll until every record has been returned once; each checks the size of every \
                value and tallies every partition's offsets, which must hold each offset exactly once. \
                Prints records/s and MB/s over that time, and how the records split between the \
                members. With --bootstrap-server, the same against a running cluster (eddy serve or \
                Kafka) over the network: a new topic bench-<random> and group bench-<random> are \
                used and deleted at the end; --brokers does not apply.
                """)

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var workload: BenchLogOptions

        @Option(help: ArgumentHelp("Partitions of the topic.", valueName: "n"))
        var partitions: Int32 = 6

        @Option(help: ArgumentHelp("Brokers in the scratch cluster (partition leaders spread over them).", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("Members of the consumer group.", valueName: "n"))
        var consumers: Int = 3

        @Option(help: ArgumentHelp("max.poll.records of every member.", valueName: "n"))
        var maxPollRecords: Int = 500

        @Option(help: ArgumentHelp("isolation.level of every member: read_uncommitted (default) or read_committed.",
                                   valueName: "level"))
        var isolationLevel: String = "read_uncommitted"

        func validate() throws {
            try ClusterCommand.validate(brokers: brokers)
            guard partitions >= 1 else { throw ValidationError("--partitions must be positive") }
            guard consumers >= 1 else { throw ValidationError("--consumers must be positive") }
            guard maxPollRecords >= 1 else { throw ValidationError("--max-poll-records must be positive") }
            guard ["read_uncommitted", "read_committed"].contains(isolationLevel) else {
                throw ValidationError("--isolation-level must be read_uncommitted or read_committed, not \(isolationLevel)")
            }
        }

        func run() throws {
            var options = ClusterOptions()
            options.groupCoordinator.groupInitialRebalanceDelayMs = 0
            options.offsetsTopicReplicationFactor = 1
            let target = try BenchTarget(connection: connection, brokers: brokers, options: options, topic: "bench")
            defer { target.remove() }
            try target.createTopic(partitions: partitions, replicationFactor: 1)
            let tps = (0 ..< partitions).map { TopicPartition(target.topic, $0) }
            let batch = BenchData.batch(records: workload.batch, recordSize: workload.recordSize, seed: 1)
            try target.preload(batch: batch, count: workload.batchCount, partitions: partitions)
            print("consume: \(BenchFormat.grouped(Double(workload.records))) records of \(workload.recordSize) bytes "
                + "(batches of \(workload.batch)), \(partitions) partitions on \(target.description), "
                + "replication factor 1, a group of \(consumers) \(consumers == 1 ? "consumer" : "consumers"), "
                + "max.poll.records \(maxPollRecords), \(isolationLevel), CRCs checked")

            target.startDriver(tickIntervalMs: 10)
            let clients = (0 ..< consumers).map { _ in target.makeClient(clientId: "eddy-bench-consumer") }
            let topic = target.topic, groupId = target.groupId("bench")
            let total = workload.records, recordSize = workload.recordSize
            let members = consumers, pollRecords = maxPollRecords
            let isolation: IsolationLevel = isolationLevel == "read_committed" ? .readCommitted : .readUncommitted
            let batches = workload.batchCount, perBatch = workload.batch
            let expected = (0 ..< Int(partitions)).map { p in
                (batches / Int(partitions) + (p < batches % Int(partitions) ? 1 : 0)) * perBatch
            }
            let result = try blockingAwait {
                try await { var run = ConsumeBenchRun(clients: clients, topic: topic, groupId: groupId, partitions: Set(tps), members: members,
                                          maxPollRecords: pollRecords); run.isolationLevel = isolation; return run }()
                    .run(total: total, recordSize: recordSize, expectedPerPartition: expected)
            }
            print("  group settled in \(BenchFormat.fixed(Double(result.joinNanos) / 1e6, 1)) ms (untimed)")
            BenchReport.print(records: total, bytes: batch.count * workload.batchCount, nanos: result.nanos,
                              latencies: result.pollLatencies, per: "poll", bytesLabel: "batch bytes")
            print("  records per member: " + result.perMember.map { BenchFormat.grouped(Double($0)) }.joined(separator: ", "))
        }
    }
}

/// One run of `bench consume`: the members, their poll loops, and the tally.
private struct ConsumeBenchRun {
    /// One client per member.
    let clients: [KafkaClient]
    let topic: String
    let groupId: String
    let partitions: Set<TopicPartition>
    let members: Int
    let maxPollRecords: Int
    var isolationLevel: IsolationLevel = .readUncommitted

    struct Result: Sendable {
        var joinNanos: UInt64
        var nanos: UInt64
        var perMember: [Int]
        var pollLatencies: LatencySamples
    }

    /// Per partition: how many records, and the sum of their offsets (each offset exactly
    /// once means n records summing to n(n-1)/2).
    struct PartitionTally: Sendable {
        var counts: [Int]
        var offsetSums: [Int64]

        init(partitions: Int) {
            counts = [Int](repeating: 0, count: partitions)
            offsetSums = [Int64](repeating: 0, count: partitions)
        }

        mutating func merge(_ other: PartitionTally) {
            for i in counts.indices {
                counts[i] += other.counts[i]
                offsetSums[i] &+= other.offsetSums[i]
            }
        }
    }

    func run(total: Int, recordSize: Int, expectedPerPartition: [Int]) async throws -> Result {
        let tally = ConsumeTally(total: total)
        var config = ConsumerConfig(groupId: groupId)
        config.clientId = "eddy-bench-consumer"
        config.autoOffsetReset = .earliest
        config.enableAutoCommit = false
        config.partitionAssignmentStrategy = ["range"]
        config.maxPollRecords = maxPollRecords
        config.isolationLevel = isolationLevel
        // Members learn of each other's joins by heartbeat; a short interval settles the
        // (untimed) joins sooner and changes nothing once consuming.
        config.heartbeatIntervalMs = 100
        let joinStart = monotonicNanos()
        var consumers: [Consumer] = []
        for i in 0 ..< members {
            let c = try Consumer(client: clients[i], config: config)
            try await c.subscribe(topics: [topic], listener: PauseOnAssign(consumer: c))
            consumers.append(c)
        }
        // On failure, members close in the background (the process exits after the report); a
        // finished run closes them below, so they leave the group before it is deleted.
        var closed = false
        defer { if !closed { for c in consumers { c.closeInBackground() } } }
        // Settle: everyone polls (their partitions paused) until the group holds every partition once.
        while true {
            try BenchWorkspace.checkInterrupted()
            for c in consumers { _ = try await c.poll(timeoutMs: 1) }
            let assignments = consumers.map { $0.assignment() }
            let generations = Set(consumers.map { $0.groupMetadata()?.generationId ?? -1 })
            if generations.count == 1, generations.first! >= 0,
               members > partitions.count || assignments.allSatisfy({ !$0.isEmpty }),
               assignments.reduce(0, { $0 + $1.count }) == partitions.count,
               assignments.reduce(into: Set<TopicPartition>(), { $0.formUnion($1) }) == partitions,
               consumers.allSatisfy({ $0.paused() == $0.assignment() }) { break }
        }
        let joinNanos = monotonicNanos() - joinStart
        let start = monotonicNanos()
        let partitionCount = expectedPerPartition.count
        let counts = try await withThrowingTaskGroup(of: (Int, Int, LatencySamples, PartitionTally).self) { group in
            for (i, c) in consumers.enumerated() {
                group.addTask {
                    try c.resume(Array(c.assignment()))
                    var count = 0
                    var partitionTally = PartitionTally(partitions: partitionCount)
                    var latencies = LatencySamples(capacity: total / max(1, maxPollRecords) + 16)
                    while !tally.isDone {
                        try BenchWorkspace.checkInterrupted()
                        let t0 = monotonicNanos()
                        let records = try await c.poll(timeoutMs: 100)
                        guard !records.isEmpty else { continue }
                        latencies.add(monotonicNanos() - t0)
                        var bad = 0
                        for r in records {
                            if r.serializedValueSize != recordSize { bad += 1 }
                            partitionTally.counts[Int(r.partition)] += 1
                            partitionTally.offsetSums[Int(r.partition)] &+= r.offset
                        }
                        if bad > 0 { throw EddyError("\(bad) records with a value size other than \(recordSize)") }
                        count += records.count
                        tally.add(records.count)
                    }
                    return (i, count, latencies, partitionTally)
                }
            }
            var perMember = [Int](repeating: 0, count: consumers.count)
            var latencies = LatencySamples(capacity: 0)
            var tallies = PartitionTally(partitions: partitionCount)
            for try await (i, n, l, t) in group {
                perMember[i] = n
                for ns in l.nanos { latencies.add(ns) }
                tallies.merge(t)
            }
            return (perMember, latencies, tallies)
        }
        let nanos = tally.finishedNanos.map { $0 - start } ?? (monotonicNanos() - start)
        closed = true
        await withTaskGroup(of: Void.self) { group in
            for c in consumers { group.addTask { await c.close(timeoutMs: 5_000) } }
        }
        let consumed = counts.0.reduce(0, +)
        guard consumed == total else { throw EddyError("consumed \(consumed) records; expected \(total)") }
        for (p, n) in expectedPerPartition.enumerated() {
            let expectedSum = Int64(n) * Int64(n - 1) / 2
            guard counts.2.counts[p] == n, counts.2.offsetSums[p] == expectedSum else {
                throw EddyError("partition \(p): \(counts.2.counts[p]) records with offsets summing to \(counts.2.offsetSums[p]); "
                    + "expected offsets 0..<\(n) once each")
            }
        }
        return Result(joinNanos: joinNanos, nanos: nanos, perMember: counts.0, pollLatencies: counts.1)
    }
}

/// Holds newly assigned partitions paused until the benchmark starts the clock.
private struct PauseOnAssign: ConsumerRebalanceListener {
    let consumer: Consumer
    func onPartitionsRevoked(_ partitions: [TopicPartition]) async {}
    func onPartitionsAssigned(_ partitions: [TopicPartition]) async { try? consumer.pause(partitions) }
}

/// Records returned so far by all members, and when the last one came.
private final class ConsumeTally: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private var count = 0
    private var finished: UInt64?

    init(total: Int) { self.total = total }

    func add(_ n: Int) {
        lock.withLock {
            count += n
            if count >= total, finished == nil { finished = monotonicNanos() }
        }
    }

    var isDone: Bool { lock.withLock { count >= total } }
    var finishedNanos: UInt64? { lock.withLock { finished } }
}

private extension Consumer {
    /// Closes without waiting (the process exits after the report).
    func closeInBackground() {
        Task { await self.close(timeoutMs: 1_000) }
    }
}
