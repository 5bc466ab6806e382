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
