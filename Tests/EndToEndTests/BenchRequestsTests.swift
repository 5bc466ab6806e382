import Foundation
import Testing

/// `eddy bench requests`: Produce requests straight to an in-process cluster's leader, with a
/// waiting consumer Fetch. Figures are not asserted (BENCHMARKS.md records runs); what is, is
/// that every request succeeds and the consumer receives every record (the command fails
/// otherwise).
@Suite struct BenchRequestsTests {
    @Test func everyRequestIsAcknowledgedAndEveryRecordReachesTheWaitingConsumer() throws {
        let run = try Eddy.run(["bench", "requests", "--requests", "400", "--records-per-request", "3"])
        #expect(run.status == 0, "\(run)")
        #expect(run.out.contains("400 Produce requests of 3 records of 100 bytes, acks=all, 3 brokers"), "\(run)")
        #expect(run.out.contains("µs per request"), "\(run)")
        #expect(run.outLines.contains { $0.contains("consumer:") && $0.contains("Fetch answers") && !$0.contains("not every") }, "\(run)")

        let acksOne = try Eddy.run(["bench", "requests", "--requests", "200", "--acks", "1", "--no-consumer", "--replication-factor", "1"])
        #expect(acksOne.status == 0, "\(acksOne)")
        #expect(!acksOne.out.contains("consumer:"), "\(acksOne)")
    }
}

/// `eddy bench metadata`: topics created and deleted through the controller quorum, with 1, 3
/// or 5 voters. Figures are not asserted; every change must succeed (the command fails
/// otherwise), and bad layouts are usage errors.
@Suite struct BenchMetadataTests {
    @Test func everyChangeCommitsWithEachQuorum() throws {
        for args in [["--controllers", "3"], ["--controllers", "1", "--brokers", "1", "--replication-factor", "1"],
                     ["--controllers", "5", "--controller-mode", "separate", "--partitions", "4"]] {
            let run = try Eddy.run(["bench", "metadata", "--changes", "10"] + args)
            #expect(run.status == 0, "\(args): \(run)")
            #expect(run.outLines.contains { $0.hasPrefix("  CreateTopics: p50 ") } && run.outLines.contains { $0.hasPrefix("  DeleteTopics: p50 ") },
                    "\(args): \(run)")
        }
        let separate = try Eddy.run(["bench", "metadata", "--changes", "1", "--controllers", "5", "--controller-mode", "separate"])
        #expect(separate.out.contains("3 brokers and 5 separate controllers in this process"), "\(separate)")
        // Over the network: a running server's own quorum; its topics are gone afterwards.
        let served = try ServedCluster()
        let remote = try Eddy.run(["bench", "metadata", "--changes", "5"] + served.flag)
        #expect(remote.status == 0 && remote.out.contains("the cluster at \(served.bootstrap)"), "\(remote)")
        let listed = try Eddy.run(["topics", "list"] + served.flag)
        #expect(listed.status == 0 && !listed.out.contains("eddy-bench-metadata"), "\(listed)")
        let shaped = try Eddy.run(["bench", "metadata", "--controllers", "3"] + served.flag)
        #expect(shaped.status == 2 && shaped.stderr.contains("a running cluster has its own"), "\(shaped)")
        for (args, message) in [(["--controllers", "2"], "--controllers must be 1, 3 or 5"),
                                (["--controllers", "5"], "--controllers 5 needs at least 5 brokers in combined mode"),
                                (["--changes", "0"], "--changes must be positive")] {
            let r = try Eddy.run(["bench", "metadata"] + args)
            #expect(r.status == 2 && r.stderr.contains(message), "\(args): \(r)")
        }
    }
}
