import Foundation
import Testing

/// `eddy bench produce|consume|latency --bootstrap-server`: the client benchmarks against a
/// running `eddy serve` over the network. Each run creates a topic of its own, checks what it
/// wrote or read, and deletes the topic (and its group) at the end. Figures are not asserted
/// (speed is measured by runs recorded in BENCHMARKS.md); what is, is that every record is
/// accounted for and nothing is left behind.
@Suite(.serialized) struct BenchRemoteTests {
    @Test func clientBenchmarksRunAgainstARunningServerAndCleanUp() throws {
        let served = try ServedCluster()
        let produce = try Eddy.run(["bench", "produce", "--records", "20000", "--partitions", "3", "--replication-factor", "3"] + served.flag)
        #expect(produce.status == 0, "\(produce)")
        #expect(produce.out.contains("the cluster at \(served.bootstrap)") && produce.out.contains("records/s:"), "\(produce)")

        let consume = try Eddy.run(["bench", "consume", "--records", "20000", "--consumers", "3"] + served.flag)
        #expect(consume.status == 0, "\(consume)")
        let members = consume.outLines.first { $0.contains("records per member:") } ?? ""
        // "records per member: 6,667, 6,667, 6,666" (thousands grouped with commas).
        let counts = members.split(separator: ":").last.map {
            $0.components(separatedBy: ", ").compactMap { Int($0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")) }
        } ?? []
        #expect(counts.count == 3 && counts.reduce(0, +) == 20000, "\(consume)")

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
}
