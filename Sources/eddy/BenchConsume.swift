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
                used and deleted at the end; --brokers does not apply. With --transaction-records N \
                the records are written (untimed) through a transactional producer instead, N to a \
                transaction, and with --abort-every K every K-th transaction aborts after its records \
                were written: read_committed then reads only the committed records (any other \
                fails the run), read_uncommitted all of them, and every member checks that each \
                partition's offsets only grow.
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

        @Option(help: ArgumentHelp("Write the records through a transactional producer, N to a transaction.", valueName: "n"))
        var transactionRecords: Int?

        @Option(help: ArgumentHelp("With --transaction-records: abort every K-th transaction (K ≥ 2).", valueName: "k"))
        var abortEvery: Int?

        func validate() throws {
            try ClusterCommand.validate(brokers: brokers)
            if let transactionRecords {
                guard transactionRecords >= 1 else { throw ValidationError("--transaction-records must be positive") }
                guard workload.recordSize >= 1 else {
                    throw ValidationError("--transaction-records needs --record-size of at least 1 (a value's first byte says whether its transaction aborts)")
                }
            }
            if let abortEvery {
                guard transactionRecords != nil else { throw ValidationError("--abort-every needs --transaction-records") }
                guard abortEvery >= 2 else { throw ValidationError("--abort-every must be at least 2 (1 would abort every transaction)") }
            }
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
            // Running before the preload: a transactional one needs the coordinators loaded.
            target.startDriver(tickIntervalMs: 10)
            let isolation: IsolationLevel = isolationLevel == "read_committed" ? .readCommitted : .readUncommitted
            // Per partition, the records the group must read; their bytes; how they were written.
            let expected: [Int], bytes: Int, written: String
            if let transactionRecords {
                let layout = try TransactionalPreload(records: workload.records, recordSize: workload.recordSize,
                                                      perTransaction: transactionRecords, abortEvery: abortEvery)
                    .write(to: target, partitions: partitions)
                expected = layout.readable(isolation)
                bytes = expected.reduce(0, +) * workload.recordSize
                written = "written in \(BenchFormat.grouped(Double(layout.transactions))) transactions of \(transactionRecords) records, "
                    + "\(layout.abortedTransactions) aborted (\(BenchFormat.grouped(Double(layout.aborted.reduce(0, +)))) records)"
            } else {
                let batch = BenchData.batch(records: workload.batch, recordSize: workload.recordSize, seed: 1)
                try target.preload(batch: batch, count: workload.batchCount, partitions: partitions)
                let batches = workload.batchCount
                expected = (0 ..< Int(partitions)).map { p in
                    (batches / Int(partitions) + (p < batches % Int(partitions) ? 1 : 0)) * workload.batch
                }
                bytes = batch.count * batches
                written = "batches of \(workload.batch)"
            }
            print("consume: \(BenchFormat.grouped(Double(workload.records))) records of \(workload.recordSize) bytes "
                + "(\(written)), \(partitions) partitions on \(target.description), "
                + "replication factor 1, a group of \(consumers) \(consumers == 1 ? "consumer" : "consumers"), "
                + "max.poll.records \(maxPollRecords), \(isolationLevel), CRCs checked")

            let clients = (0 ..< consumers).map { _ in target.makeClient(clientId: "eddy-bench-consumer") }
            let topic = target.topic, groupId = target.groupId("bench")
            let total = expected.reduce(0, +), recordSize = workload.recordSize
            let members = consumers, pollRecords = maxPollRecords
            let contiguous = transactionRecords == nil
            let result = try blockingAwait {
                try await { var run = ConsumeBenchRun(clients: clients, topic: topic, groupId: groupId, partitions: Set(tps), members: members,
                                          maxPollRecords: pollRecords)
                    run.isolationLevel = isolation
                    // Only the transactional preload marks aborted records (plain values are random bytes).
                    if !contiguous && isolation == .readCommitted { run.refusedFirstByte = TransactionalPreload.abortedMark }
                    return run }()
                    .run(total: total, recordSize: recordSize, expectedPerPartition: expected, contiguousOffsets: contiguous)
            }
            print("  group settled in \(BenchFormat.fixed(Double(result.joinNanos) / 1e6, 1)) ms (untimed)")
            BenchReport.print(records: total, bytes: bytes, nanos: result.nanos,
                              latencies: result.pollLatencies, per: "poll", bytesLabel: contiguous ? "batch bytes" : "value bytes")
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
    /// A value starting with this byte must not be returned (a record of an aborted transaction).
    var refusedFirstByte: UInt8?

    struct Result: Sendable {
        var joinNanos: UInt64
        var nanos: UInt64
        var perMember: [Int]
        var pollLatencies: LatencySamples
    }

    /// Per partition: how many records, and the sum of their offsets (each offset exactly
    /// once means n records summing to n(n-1)/2); and, in one member, the last offset returned.
    struct PartitionTally: Sendable {
        var counts: [Int]
        var offsetSums: [Int64]
        var lastOffsets: [Int64]

        init(partitions: Int) {
            counts = [Int](repeating: 0, count: partitions)
            offsetSums = [Int64](repeating: 0, count: partitions)
            lastOffsets = [Int64](repeating: -1, count: partitions)
        }

        mutating func merge(_ other: PartitionTally) {
            for i in counts.indices {
                counts[i] += other.counts[i]
                offsetSums[i] &+= other.offsetSums[i]
            }
        }
    }

    /// `contiguousOffsets`: the partitions hold offsets 0..<n, all records (else, with
    /// transactions, markers and aborted records leave gaps: the counts are checked, and that
    /// offsets only grow).
    func run(total: Int, recordSize: Int, expectedPerPartition: [Int], contiguousOffsets: Bool) async throws -> Result {
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
                            let p = Int(r.partition)
                            guard r.offset > partitionTally.lastOffsets[p] else {
                                throw EddyError("partition \(p): offset \(r.offset) returned after \(partitionTally.lastOffsets[p])")
                            }
                            if let refusedFirstByte, r.valueBytes?.first == refusedFirstByte {
                                throw EddyError("read_committed returned a record of an aborted transaction at \(r.topicPartition)@\(r.offset)")
                            }
                            partitionTally.lastOffsets[p] = r.offset
                            partitionTally.counts[p] += 1
                            partitionTally.offsetSums[p] &+= r.offset
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
            var readBy = [Int?](repeating: nil, count: partitionCount)
            for try await (i, n, l, t) in group {
                for p in t.counts.indices where t.counts[p] > 0 {
                    if let other = readBy[p] { throw EddyError("partition \(p) was read by members \(other) and \(i)") }
                    readBy[p] = i
                }
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
            guard counts.2.counts[p] == n, !contiguousOffsets || counts.2.offsetSums[p] == expectedSum else {
                throw EddyError("partition \(p): \(counts.2.counts[p]) records with offsets summing to \(counts.2.offsetSums[p]); "
                    + (contiguousOffsets ? "expected offsets 0..<\(n) once each" : "expected \(n) records"))
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
