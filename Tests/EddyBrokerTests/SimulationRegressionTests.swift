import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation
import Testing

/// Bugs the seeded simulation found, each minimised to a short deterministic schedule on the
/// in-process transport. Each test failed before its fix.
@Suite struct SimulationRegressionTests {
    func open(_ dir: String, clock: ManualClock, configure: (inout ClusterOptions) -> Void = { _ in }) throws -> Cluster {
        var options = ClusterOptions()
        options.initialBrokerCount = 3
        options.randomSeed = 7
        // Nothing happens on its own: no session timeouts, no preferred-leader moves.
        options.brokerSessionTimeoutMs = 1_000_000_000
        options.autoLeaderRebalanceEnable = false
        configure(&options)
        return try Cluster(dataDirectory: dir, clock: clock, options: options)
    }

    func registration(_ c: Cluster, _ tp: TopicPartition) -> PartitionRegistration { c.metadataImage.partition(tp)! }

    func values(_ c: Cluster, _ tp: TopicPartition, broker: Int32) throws -> [String] {
        try c.lock.withLock {
            guard let log = c.nodes[broker]?.replicas[tp]?.log else { return [] }
            return try SimulationChecker.values(log, below: log.logEndOffset).sorted { $0.key < $1.key }.map(\.value)
        }
    }

    /// Found by seed 3 (unflushed): a killed broker restarted before its session timed out came
    /// back still in the ISR, although the power cut had taken the acknowledged records it had
    /// not fsynced. The leader's state then had an ISR member below the high watermark, and
    /// once the leader died too that member could be elected and the records were gone for
    /// good (later seeds: "acknowledged v…@… is missing from leader"). Kafka refuses a new
    /// registration while the old session lives, so the broker is fenced, and leaves every ISR,
    /// before it may rejoin one. Fixed in `Cluster.startBroker` (fence an unfenced broker first).
    @Test func aBrokerRestartedBeforeItsSessionExpiresLeavesTheIsrFirst() throws {
        let dir = TempDirectory("sim-regression"); defer { dir.cleanup() }
        let c = try open(dir.path, clock: ManualClock())
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("t", 0)
        try c.produce(tp, records: batch(["acked"]), acks: -1)
        let reg = registration(c, tp)
        #expect(Set(reg.isr) == Set(reg.replicas))
        // The follower first in line for leadership crashes (losing the unflushed record) and
        // restarts at once.
        let next = reg.replicas.first { $0 != reg.leader }!
        try c.killBroker(next)
        try c.startBroker(next)
        #expect(try values(c, tp, broker: next).isEmpty)
        #expect(!registration(c, tp).isr.contains(next), "a broker that lost data rejoined the ISR without catching up")
        c.lock.withLock {
            let state = c.nodes[reg.leader]!.replicas[tp]!.leaderState!
            #expect(state.checkInvariants().isEmpty, "\(state.checkInvariants())")
        }
        // Before it fetches again, the leader crashes: the new leader must hold the record.
        try c.killBroker(reg.leader, fenceNow: true)
        let now = registration(c, tp)
        try #require(now.hasLeader)
        #expect(try values(c, tp, broker: now.leader) == ["acked"])
    }

    /// Found by seeds 205, 366 and 372: when the leader died, the new leader started from the
    /// highest high watermark among the running replicas, and followers learn the leader's high
    /// watermark only with their next fetch, so the partition's high watermark went backwards
    /// (2 → 0 in seed 366; consumers' latest offset with it). Fixed in
    /// `Cluster.partitionHighWatermark` (the cluster remembers the highest high watermark any
    /// leader reached).
    @Test func failoverNeverMovesTheHighWatermarkBack() throws {
        let dir = TempDirectory("sim-regression"); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock) { $0.initialBrokerCount = 4 }
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 4)
        let tp = TopicPartition("t", 0)
        let reg = registration(c, tp)
        let followers = reg.replicas.filter { $0 != reg.leader }
        // One follower is down (not fenced); the other two replicate the record.
        try c.killBroker(followers[2])
        try c.produce(tp, records: batch(["a"]), acks: 1)
        c.replicationRound()
        c.replicationRound()
        // The dead follower leaves the ISR: only then does the leader's high watermark move,
        // and the live followers have not fetched since.
        clock.advance(ms: c.options.replicaLagTimeMaxMs + 1)
        c.tick()
        #expect(Set(registration(c, tp).isr) == Set([reg.leader, followers[0], followers[1]]))
        let before = c.replicaOffsets(tp)
        #expect(before[reg.leader]!.highWatermark == 1)
        #expect(before[followers[0]]!.highWatermark == 0 && before[followers[1]]!.highWatermark == 0)
        // The leader dies; a follower takes over with the other still in the ISR.
        try c.killBroker(reg.leader, fenceNow: true)
        let now = registration(c, tp)
        #expect(now.leader == followers[0] && now.isr.count == 2)
        #expect(c.replicaOffsets(tp)[now.leader]!.highWatermark == 1)
        #expect(try c.listOffsets(tp, .latest).offset == 1)
    }

    /// Found by seeds 31, 397 and 451 once the simulation also restarted the whole process: a
    /// broker killed (not fenced yet) and then brought back by reopening the data directory
    /// (`Cluster.init` starts every unfenced broker) rejoins still in the ISR, without the
    /// records its power cut took: the same hole `startBroker` had, through the other door.
    @Test
    func reopeningTheDataDirectoryFencesABrokerThatCrashed() throws {
        let dir = TempDirectory("sim-regression"); defer { dir.cleanup() }
        let clock = ManualClock()
        var c = try open(dir.path, clock: clock)
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("t", 0)
        try c.produce(tp, records: batch(["acked"]), acks: -1)
        let reg = registration(c, tp)
        let next = reg.replicas.first { $0 != reg.leader }!
        try c.killBroker(next)
        try c.shutdown()
        c = try open(dir.path, clock: clock)
        #expect(c.runningBrokers.contains(next))
        #expect(try values(c, tp, broker: next).isEmpty)
        #expect(!registration(c, tp).isr.contains(next), "a broker that lost data rejoined the ISR without catching up")
        try c.killBroker(reg.leader, fenceNow: true)
        let now = registration(c, tp)
        try #require(now.hasLeader)
        #expect(try values(c, tp, broker: now.leader) == ["acked"])
    }

    /// Seed 451's variant of the above: the crashed broker was the leader. It came back as
    /// leader in the same leader epoch with an empty log and wrote new records at offsets its
    /// followers already held in that epoch, so their truncation by leader epoch could not see
    /// the divergence: the replicas differed below the high watermark for good.
    @Test
    func aCrashedLeaderBroughtBackByReopeningDoesNotLeadTheSameEpochAgain() throws {
        let dir = TempDirectory("sim-regression"); defer { dir.cleanup() }
        let clock = ManualClock()
        var c = try open(dir.path, clock: clock)
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("t", 0)
        try c.produce(tp, records: batch(["acked"]), acks: -1)
        c.settle()
        let before = registration(c, tp)
        try c.killBroker(before.leader)
        try c.shutdown()
        c = try open(dir.path, clock: clock)
        let after = registration(c, tp)
        #expect(after.leader != before.leader || after.leaderEpoch > before.leaderEpoch)
        try c.produce(tp, records: batch(["later"]), acks: 1)
        c.settle()
        for id in before.replicas {
            let held = try values(c, tp, broker: id)
            #expect(held == ["acked", "later"], "broker \(id) holds \(held)")
        }
    }

    /// Found by seeds 61, 100, 337 and more once the simulation also ran DeleteRecords: a
    /// follower whose log ends below the leader's log start offset restarts its log there
    /// (OFFSET_OUT_OF_RANGE), but DeleteRecords may put the log start offset inside a batch.
    /// The follower then fetches from the middle of that batch, the leader answers with the
    /// whole batch, and the follower's append refuses it (it starts below the log end) on every
    /// fetch: the follower never catches up and never rejoins the ISR. Kafka's follower
    /// (`Partition.appendRecordsToFollowerOrFutureReplica`, UnexpectedAppendOffsetException)
    /// restarts its empty log at the batch's base offset and appends.
    @Test
    func aFollowerResetToALogStartInsideABatchCatchesUp() throws {
        let dir = TempDirectory("sim-regression"); defer { dir.cleanup() }
        let c = try open(dir.path, clock: ManualClock())
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let reg = registration(c, tp)
        let lagging = reg.replicas.first { $0 != reg.leader }!
        try c.stopBroker(lagging)
        try c.produce(tp, records: batch(["a", "b", "c"]), acks: -1)
        #expect(try c.deleteRecords(tp, before: 1) == 1) // inside the batch 0...2
        try c.startBroker(lagging)
        c.settle()
        #expect(c.replicaOffsets(tp)[lagging]?.logEndOffset == 3)
        #expect(registration(c, tp).isr.contains(lagging))
        let held = try c.lock.withLock { () throws -> [String] in
            let log = try #require(c.nodes[lagging]?.replicas[tp]?.log)
            return try SimulationChecker.values(log, below: log.logEndOffset).filter { $0.key >= 1 }.sorted { $0.key < $1.key }.map(\.value)
        }
        #expect(held == ["b", "c"])
    }
}
