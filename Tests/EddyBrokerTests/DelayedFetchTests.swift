import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Consumer long polling (fetch.min.bytes / fetch.max.wait.ms): the fetch purgatory.
@Suite struct DelayedFetchTests {
    func fetch(_ topic: String = "t", offset: Int64 = 0, maxWaitMs: Int32 = 500, minBytes: Int32 = 1) -> KafkaRequest {
        .fetch(FetchRequest(topic: topic, partition: 0, fetchOffset: offset, maxWaitMs: maxWaitMs, minBytes: minBytes))
    }

    func records(_ r: FetchResponse?) throws -> [String] {
        let bytes = r?.partition(topic: "t", partition: 0)?.records ?? []
        return try MemoryRecords.records(in: bytes).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    @Test func aWaitingFetchCompletesWhenTheHighWatermarkAdvances() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let leader = try s.cluster.leader(of: tp)
        let waiting = s.send(fetch(), to: leader)
        #expect(!waiting.isAnswered)
        #expect(s.cluster.nextDeadlineMs == s.clock.nowMs() + 500)
        // acks=1: appended on the leader only; the high watermark has not moved, so no answer.
        guard case let .produce(p) = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a", "b"]), acks: 1)), to: leader) else {
            throw TestFailure("not Produce")
        }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        #expect(!waiting.isAnswered)
        // The followers copy the batch, then report it in their next fetch: that moves the high
        // watermark, which answers the waiting fetch on the spot (no tick, no time passing).
        s.cluster.replicationRound()
        #expect(!waiting.isAnswered)
        s.cluster.replicationRound()
        let answer = try #require(waiting.fetchResponse)
        #expect(try records(answer) == ["a", "b"])
        #expect(answer.partition(topic: "t", partition: 0)?.highWatermark == 2)
        #expect(s.cluster.nextDeadlineMs == nil)
    }

    @Test func aWaitingFetchIsAnsweredEmptyWhenMaxWaitPasses() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let waiting = s.send(fetch(maxWaitMs: 300), to: 0)
        s.advance(299)
        #expect(!waiting.isAnswered)
        s.advance(1)
        let answer = try #require(waiting.fetchResponse)
        #expect(answer.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        #expect(try records(answer).isEmpty)
    }

    @Test func minBytesHoldsTheFetchUntilEnoughIsReadable() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        // Current timestamps: records from 1970 would roll a segment per batch (segment.ms), and
        // a read stops at a segment's end.
        let now = s.clock.nowMs()
        let one = servedBatch(["x"], ts: now)
        let waiting = s.send(fetch(maxWaitMs: 1000, minBytes: Int32(one.count * 3)), to: 0)
        for i in 0 ..< 2 {
            try s.cluster.produce(TopicPartition("t", 0), records: servedBatch(["v\(i)"], ts: now), acks: 1)
            #expect(!waiting.isAnswered, "answered after \(i + 1) batches")
        }
        try s.cluster.produce(TopicPartition("t", 0), records: servedBatch(["v2"], ts: now), acks: 1)
        #expect(try records(waiting.fetchResponse) == ["v0", "v1", "v2"])
        // Data already there: answered at once; maxWaitMs 0 never waits.
        #expect(s.send(fetch(minBytes: 1), to: 0).isAnswered)
        #expect(s.send(fetch(offset: 3, maxWaitMs: 0), to: 0).isAnswered)
        // A segment boundary below the high watermark: the read cannot grow, so no waiting.
        try s.cluster.lock.withLock { try s.cluster.nodes[0]!.replicas[TopicPartition("t", 0)]!.log.roll() }
        try s.cluster.produce(TopicPartition("t", 0), records: servedBatch(["v3"], ts: now), acks: 1)
        let split = s.send(fetch(offset: 0, maxWaitMs: 1000, minBytes: 1 << 20), to: 0)
        #expect(try records(split.fetchResponse) == ["v0", "v1", "v2"])
    }

    @Test func aWaitingFetchIsAnsweredWhenItsLeaderMoves() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        let waiting = s.send(fetch(maxWaitMs: 10_000), to: leader)
        #expect(!waiting.isAnswered)
        try s.cluster.stopBroker(leader)
        let answer = try #require(waiting.fetchResponse)
        #expect(answer.partition(topic: "t", partition: 0)?.errorCode == .notLeaderOrFollower)
        // A fetch for a partition the broker does not lead is answered at once, not parked.
        let other = try s.cluster.leader(of: TopicPartition("t", 0))
        let misdirected = s.send(fetch(maxWaitMs: 10_000), to: s.cluster.runningBrokers.first { $0 != other }!)
        #expect(misdirected.fetchResponse?.partition(topic: "t", partition: 0)?.errorCode == .notLeaderOrFollower)
    }

    /// With a running driver, a fetch waiting with a max wait far below the tick interval is
    /// answered on time (the driver sleeps until the earliest deadline).
    @Test func theDriverFiresDeadlinesEarlierThanItsTick() throws {
        let dir = TempDirectory("driver"); defer { dir.cleanup() }
        var options = ClusterOptions()
        options.initialBrokerCount = 1
        let cluster = try Cluster(dataDirectory: dir.path, options: options)
        defer { try? cluster.shutdown() }
        try cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let driver = ClusterDriver(cluster: cluster, tickIntervalMs: 60_000)
        driver.start()
        defer { driver.stop() }
        let done = DispatchSemaphore(value: 0)
        let start = Date()
        cluster.transport.send(fetch(maxWaitMs: 50), to: 0, context: RequestContext()) { _ in done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.045 && elapsed < 5, "answered after \(elapsed) s")
    }
}
