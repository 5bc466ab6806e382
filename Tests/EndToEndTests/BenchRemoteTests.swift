import Foundation
import Testing

/// `eddy bench produce|consume|latency --bootstrap-server`: the client benchmarks against a
/// running `eddy serve` over the network. Each run creates a topic of its own, checks what it
/// wrote or read, and deletes the topic (and its group) at the end. Figures are not asserted
/// (speed is measured by runs recorded in BENCHMARKS.md); what is, is that every record is
/// accounted for and nothing is left behind.
@Suite(.serialized) struct BenchRemoteTests {
    /// The counts of `bench consume`'s "records per member: 6,667, 6,667, 6,666" line
    /// (thousands grouped with commas).
    static func recordsPerMember(_ r: Eddy.Result) -> [Int] {
        let members = r.outLines.first { $0.contains("records per member:") } ?? ""
        return members.split(separator: ":").last.map {
            $0.components(separatedBy: ", ").compactMap { Int($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")) }
        } ?? []
    }

    @Test func clientBenchmarksRunAgainstARunningServerAndCleanUp() throws {
        let served = try ServedCluster()
        let produce = try Eddy.run(["bench", "produce", "--records", "20000", "--partitions", "3", "--replication-factor", "3"] + served.flag)
        #expect(produce.status == 0, "\(produce)")
        #expect(produce.out.contains("the cluster at \(served.bootstrap)") && produce.out.contains("records/s:"), "\(produce)")

        let consume = try Eddy.run(["bench", "consume", "--records", "20000", "--consumers", "3"] + served.flag)
        #expect(consume.status == 0, "\(consume)")
        let counts = Self.recordsPerMember(consume)
        #expect(counts.count == 3 && counts.reduce(0, +) == 20000, "\(consume)")

        // Transactional: a COMMIT marker per transaction, counted by the check; read_committed.
        let transactional = try Eddy.run(["bench", "produce", "--records", "20000", "--transaction-batches", "10"] + served.flag)
        #expect(transactional.status == 0, "\(transactional)")
        #expect(transactional.out.contains("transactions of 10 batches") && transactional.out.contains("committed, "), "\(transactional)")
        let committed = try Eddy.run(["bench", "consume", "--records", "20000", "--consumers", "1", "--isolation-level", "read_committed"]
            + served.flag)
        #expect(committed.status == 0 && committed.out.contains("read_committed"), "\(committed)")
        // Written in transactions, every 4th aborted: read_committed reads the 15,000 committed
        // records (the 5 aborted transactions' records would fail the run), read_uncommitted all.
        for (level, expected) in [("read_committed", 15_000), ("read_uncommitted", 20_000)] {
            let r = try Eddy.run(["bench", "consume", "--records", "20000", "--consumers", "2", "--isolation-level", level,
                                  "--transaction-records", "1000", "--abort-every", "4"] + served.flag)
            #expect(r.status == 0 && r.out.contains("20 transactions of 1000 records, 5 aborted (5,000 records)"), "\(r)")
            #expect(Self.recordsPerMember(r).reduce(0, +) == expected, "\(r)")
        }
        let misuse = try Eddy.run(["bench", "consume", "--abort-every", "4"] + served.flag)
        #expect(misuse.status == 2 && misuse.stderr.contains("--abort-every needs --transaction-records"), "\(misuse)")
        let empty = try Eddy.run(["bench", "consume", "--transaction-records", "10", "--record-size", "0"] + served.flag)
        #expect(empty.status == 2 && empty.errLines.count == 1 && empty.stderr.contains("--record-size of at least 1"), "\(empty)")

        let latency = try Eddy.run(["bench", "latency", "--rate", "1000", "--duration", "1", "--warmup", "0.2"] + served.flag)
        #expect(latency.status == 0, "\(latency)")
        #expect(latency.out.contains("received:         1,000 of 1,000 measured records"), "\(latency)")

        // Nothing left behind: no topic, no group.
        let topics = try Eddy.run(["topics", "list"] + served.flag)
        #expect(topics.status == 0 && topics.outLines.isEmpty, "\(topics)")
        let groups = try Eddy.run(["groups", "list"] + served.flag)
        #expect(groups.status == 0 && groups.outLines.filter { $0.hasPrefix("bench-") }.isEmpty, "\(groups)")
        #expect(served.stop().status == 0)
    }

    /// `eddy bench console --bootstrap-server`: the console's refresh on a running server with
    /// topics and groups the benchmark makes (groups by direct offset commits), kept with
    /// --keep and reused by the next run, deleted without it.
    @Test func consoleBenchmarkRunsAgainstARunningServer() throws {
        let served = try ServedCluster()
        let args = ["bench", "console", "--topics", "3", "--partitions", "12", "--groups", "4", "--records", "5",
                    "--frames", "2", "--keys", "5"] + served.flag
        // A topic left empty (as by an interrupted run) is reused and filled.
        let made = try Eddy.run(["topics", "create", "--topic", "eddy-bench-console-000", "--partitions", "4"] + served.flag)
        #expect(made.status == 0, "\(made)")
        let first = try Eddy.run(args + ["--keep"])
        #expect(first.status == 0, "\(first)")
        #expect(first.out.contains("setup:     2 topics and 4 groups created, the rest reused, 12 partitions filled"), "\(first)")
        // 4 groups, each on one topic of 4 partitions: 16 rows, and no problems.
        let sample = first.outLines.first { $0.hasPrefix("sample:") } ?? ""
        #expect(sample.hasSuffix("4 groups with 16 partition rows"), "\(first)")
        for prefix in ["refresh:   2 refreshes", "frame:     Topics view", "frame:     Groups view", "keystroke: Groups view"] {
            #expect(first.outLines.contains { $0.hasPrefix(prefix) }, "\(prefix): \(first)")
        }
        // Each group committed the lags 0 to 5 over its partitions (records - (g + p) mod 6).
        let lag = try Eddy.run(["lag", "--group", "eddy-bench-console-group-0001", "--output", "json"] + served.flag)
        #expect(lag.status == 0 && lag.out.contains("\"committedOffset\":4") && lag.out.contains("\"lag\":1"), "\(lag)")

        let second = try Eddy.run(args)
        #expect(second.status == 0, "\(second)")
        #expect(second.out.contains("setup:     0 topics and 0 groups created, the rest reused, 0 partitions filled"), "\(second)")
        let topics = try Eddy.run(["topics", "list"] + served.flag)
        #expect(topics.status == 0 && !topics.out.contains("eddy-bench-console"), "\(topics)")
        let groups = try Eddy.run(["groups", "list"] + served.flag)
        #expect(groups.status == 0 && !groups.out.contains("eddy-bench-console"), "\(groups)")
        #expect(served.stop().status == 0)
    }
}
