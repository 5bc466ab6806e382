import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation

extension Bench {
    /// `eddy bench requests`: the broker's CPU per Produce request, in process, without clients
    /// or a network: what one request costs the brokers of a cluster (the leader's append, the
    /// followers' copies, the acks=all answer and a waiting consumer's Fetch).
    struct RequestsBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "requests",
            abstract: "Measure the brokers' CPU per Produce request, in process, without clients or a network.",
            discussion: """
                Creates a scratch cluster of --brokers brokers run in real time by a ClusterDriver, as \
                eddy serve runs it, and a topic of one partition with --replication-factor replicas and \
                min.insync.replicas=--min-insync-replicas. Then sends --requests Produce requests, one \
                after the other, each of one batch of --records-per-request records of 100 bytes with \
                --acks, straight to the partition's leader through the in-process transport (the path \
                a request takes in eddy serve after the network: Broker.handle, the Produce handler, \
                the leader's append, the followers' fetches). With --consumer (default), a consumer's \
                Fetch waits at the leader (fetch.min.bytes 1, fetch.max.wait.ms 500) and, each time \
                it is answered, is sent again from the next offset, as a caught-up consumer's is. \
                Prints requests/s and the process's CPU time and context switches per request \
                (getrusage): the brokers' cost of a request, which --rate paces to compare with a \
                network run (0: as fast as they go).
                """)

        @Option(help: ArgumentHelp("Produce requests to send.", valueName: "n"))
        var requests: Int = 100_000

        @Option(help: ArgumentHelp("Records in each request's batch.", valueName: "n"))
        var recordsPerRequest: Int = 1

        @Option(parsing: .unconditional, help: ArgumentHelp("all (-1), 1 or 0.", valueName: "all|1|0"))
        var acks: Acks = .all

        @Option(help: ArgumentHelp("Replicas of the partition.", valueName: "n"))
        var replicationFactor: Int16 = 3

        @Option(help: ArgumentHelp("The topic's min.insync.replicas.", valueName: "n"))
        var minInsyncReplicas: Int = 2

        @Option(help: ArgumentHelp("Brokers in the scratch cluster.", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("Requests per second (0: one after the other, as fast as they complete).", valueName: "n"))
        var rate: Int = 0

        @Flag(inversion: .prefixedNo, help: "A consumer's Fetch waits at the leader and is answered by every append (default).")
        var consumer = true

        @OptionGroup var common: DataDirectoryOptions

        func validate() throws {
            guard requests >= 1 else { throw ValidationError("--requests must be positive") }
            guard recordsPerRequest >= 1 else { throw ValidationError("--records-per-request must be positive") }
            try ClusterCommand.validate(brokers: brokers, replicationFactor: replicationFactor)
            guard minInsyncReplicas >= 1 else { throw ValidationError("--min-insync-replicas must be positive") }
            guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        }

        func run() throws {
            let workspace = try BenchWorkspace(options: common)
            defer { workspace.remove() }
            let cluster = try workspace.makeCluster(brokers: brokers)
            let tp = TopicPartition("requests", 0)
            try cluster.createTopic(tp.topic, partitions: 1, replicationFactor: replicationFactor,
                                    configs: ["min.insync.replicas": String(minInsyncReplicas)])
            cluster.settle()
            workspace.startDriver()
            let leader = try cluster.leader(of: tp)
            let batch = BenchData.batch(records: recordsPerRequest, recordSize: 100, seed: 1)
            let acksValue = acks.producerAcks.value

            // Warm-up: the segment, the indexes and the consumer's first fetch.
            for _ in 0 ..< 100 { try produce(cluster, tp, batch, acksValue) }
            let fetches = consumer ? WaitingConsumer(cluster: cluster, tp: tp, leader: leader) : nil
            fetches?.start(at: Int64(100 * recordsPerRequest))

            print("requests: \(BenchFormat.grouped(Double(requests))) Produce requests of \(recordsPerRequest) "
                + "\(recordsPerRequest == 1 ? "record" : "records") of 100 bytes, acks=\(acks), \(brokers) brokers in this process, "
                + "replication factor \(replicationFactor), min.insync.replicas \(minInsyncReplicas)"
                + (consumer ? ", a waiting consumer Fetch" : "") + (rate > 0 ? ", \(rate) requests/s" : ""))
            let cpu0 = processCpuSeconds(), switches0 = processContextSwitches(), t0 = monotonicNanos()
            for i in 0 ..< requests {
                if i & 1023 == 0 { try BenchWorkspace.checkInterrupted() }
                if rate > 0 {
                    let due = t0 + UInt64(i) * 1_000_000_000 / UInt64(rate)
                    let now = monotonicNanos()
                    if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
                }
                try produce(cluster, tp, batch, acksValue)
            }
            let t1 = monotonicNanos()
            let answered = fetches?.waitFor(offset: Int64(100 + requests) * Int64(recordsPerRequest)) ?? true
            let cpu = processCpuSeconds() - cpu0, switches = processContextSwitches() - switches0
            let seconds = Double(t1 - t0) / 1e9
            print("  \(BenchFormat.grouped(Double(requests) / seconds)) requests/s, "
                + "\(BenchFormat.grouped(Double(requests * recordsPerRequest) / seconds)) records/s")
            print("  CPU \(BenchFormat.fixed(cpu * 1e6 / Double(requests), 1)) µs per request "
                + "(\(BenchFormat.fixed(cpu / seconds * 100, 0)) % of one core), "
                + "\(BenchFormat.fixed(Double(switches) / Double(requests), 2)) context switches per request")
            if let fetches {
                print("  consumer: \(BenchFormat.grouped(Double(fetches.answered))) Fetch answers"
                    + (answered ? "" : " (not every record reached it within 10 s)"))
            }
            guard answered else { throw EddyError("the waiting consumer did not receive every record within 10 s") }
        }

        private func produce(_ cluster: Cluster, _ tp: TopicPartition, _ batch: [UInt8], _ acks: Int16) throws {
            let p = try cluster.produce(tp, records: batch, acks: acks)
            guard p.errorCode == .none else { throw EddyError("produce failed: \(p.errorCode)") }
        }
    }
}

/// A consumer's Fetch that waits at the leader and is sent again, from the next offset, each
/// time it is answered.
private final class WaitingConsumer: @unchecked Sendable {
    private let cluster: Cluster
    private let tp: TopicPartition
    private let leader: Int32
    private let condition = NSCondition()
    private var offset: Int64 = 0
    private(set) var answered = 0

    init(cluster: Cluster, tp: TopicPartition, leader: Int32) {
        self.cluster = cluster
        self.tp = tp
        self.leader = leader
    }

    func start(at offset: Int64) {
        condition.withLock { self.offset = offset }
        send(from: offset)
    }

    private func send(from offset: Int64) {
        let request = FetchRequest(topic: tp.topic, partition: tp.partition, fetchOffset: offset, maxWaitMs: 500, minBytes: 1)
        cluster.transport.send(.fetch(request), to: leader, context: RequestContext(clientId: "eddy-bench-requests")) { [self] result in
            var next = offset
            if case let .success(.fetch(response)) = result, let data = response.responses.first?.partitions.first,
               data.errorCode == .none, let locations = try? MemoryRecords.batches(in: data.records),
               let last = locations.last {
                next = last.header.nextOffset
            }
            let stop = condition.withLock { () -> Bool in
                answered += 1
                self.offset = max(self.offset, next)
                condition.broadcast()
                return answered > 10_000_000
            }
            if !stop { send(from: next) }
        }
    }

    /// Waits up to 10 s until the consumer has received every record below `offset`.
    func waitFor(offset target: Int64) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        return condition.withLock {
            while offset < target {
                if !condition.wait(until: deadline) { return offset >= target }
            }
            return true
        }
    }
}
