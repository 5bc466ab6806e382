import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation
import Testing

/// Seeded simulation of replication: each seed is a random schedule, run against a real
/// 3-broker cluster (RF=3, min.insync.replicas=2, unclean.leader.election.enable=false, tiny
/// segments) over a `SimulatedTransport`, with `SimulationChecker`'s safety invariants checked
/// after every step and liveness at the end (`ReplicationSimulation`).
///
/// Steps, drawn from the seed: client produce (acks=all mostly, acks=1 sometimes; fresh unique
/// values sent to the leader the metadata names), consumer fetches (what they return is
/// committed and must never change), DeleteRecords, a replication round, delivery of a few due
/// messages, small clock moves and clock jumps (up to 2× the session or lag timeout), tick,
/// broker kill (a power cut: no fence, so the session timeout must detect it; unflushed data is
/// lost), restart, controlled stop, cutting links or isolating a broker (the client is node -1),
/// healing, changing the message loss rate, and restarting the whole process (a clean shutdown,
/// or in durable seeds a crash) and reopening the data directory. Messages are delayed,
/// occasionally stalled, and lost at random; links are FIFO.
///
/// Fault model, i.e. what Kafka promises for acks=all with min.insync.replicas=2 and no unclean
/// election: an acknowledged record is on every ISR member, so it survives as long as, at any
/// time, some ISR member that still holds it survives. That needs:
/// - Durable seeds (even; flush.messages=1): a kill loses nothing that was written, so faults
///   may overlap freely: up to 2 brokers down at once, up to 3 links cut, and whole-process
///   crashes.
/// - Unflushed seeds (odd; Kafka's default, no fsync): a killed broker loses its unflushed tail,
///   acknowledged records included. Kafka tolerates min.insync.replicas - 1 = 1 such failure
///   at a time, so a fault (kill, stop, cut, isolate) starts only when the previous one has
///   fully healed: every broker up, no link cut, and every ISR full again (a shrunken ISR is a
///   partition whose acknowledged records may live on fewer replicas). Restarts and heals are
///   always allowed; a killed broker may restart before its session times out (Kafka refuses
///   such a registration until the old session expires, so the broker is fenced, and leaves
///   every ISR, before it may rejoin one; the same holds when the process reopens the data
///   directory). A clean whole-process restart flushes everything, so it is allowed too; a
///   whole-process crash is not (every replica loses its unflushed tail at once).
/// In process, the controller and heartbeats do not use the network: a cut isolates brokers
/// from each other and from the client, never from the controller.
///
/// The suite runs EDDY_SIM_SEEDS seeds (default 300) from EDDY_SIM_FIRST_SEED (default 1),
/// EDDY_SIM_STEPS steps each (default 150); `scripts/simulate` runs thousands. A failure
/// message starts with `seed=N step=K` and shows the scenario, the state and the last events.
@Suite struct SimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seeds = seeds(count: "EDDY_SIM_SEEDS", default: 300)

    /// The seeds to run: `count`'s value (or `default`) seeds from EDDY_SIM_FIRST_SEED (or 1).
    static func seeds(count variable: String, default fallback: Int) -> [UInt64] {
        let count = environment[variable].flatMap(Int.init) ?? fallback
        let first = environment["EDDY_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
        return (0 ..< UInt64(max(0, count))).map { first + $0 }
    }
    static let steps = environment["EDDY_SIM_STEPS"].flatMap(Int.init) ?? 150
    static let printSummary = environment["EDDY_SIM_SUMMARY"] != nil

    @Test(arguments: SimulationTests.seeds)
    func replicationStaysSafeAndLive(seed: UInt64) throws {
        try Self.runSeed(SimulationScenario(seed: seed, steps: Self.steps))
    }

    /// Runs one seed: a failure is recorded with its report; with EDDY_SIM_SUMMARY set, one
    /// "sim seed=N durable=B result=R key=value ..." line for `scripts/simulate`.
    static func runSeed(_ scenario: SimulationScenario) throws {
        let sim = try ReplicationSimulation(scenario)
        let failure = sim.run()
        if let failure { Issue.record("\(failure)") }
        if printSummary {
            print("sim seed=\(scenario.seed) durable=\(scenario.durable) result=\(failure == nil ? "ok" : "FAIL") \(sim.statistics)")
        }
    }

    /// One seed is one schedule: two runs agree on every event.
    @Test func aSeedReplaysExactly() throws {
        for seed: UInt64 in [3, 4] {
            let a = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 120))
            let b = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 120))
            _ = a.run()
            _ = b.run()
            #expect(a.traceHash == b.traceHash, "seed=\(seed)")
            #expect(a.history == b.history, "seed=\(seed)")
            #expect(a.statistics.transport == b.statistics.transport, "seed=\(seed)")
        }
    }

    /// The simulation does exercise faults: over a few seeds, records are acknowledged, brokers
    /// are killed and restarted, leadership changes and messages are lost.
    @Test func schedulesExerciseFaults() throws {
        var total = SimulationStatistics()
        var initialEpochs = 0
        for seed: UInt64 in 1 ... 6 {
            let sim = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 150))
            #expect(sim.run() == nil, "seed=\(seed)")
            initialEpochs += sim.partitions.count
            let s = sim.statistics
            total.acked += s.acked
            total.kills += s.kills
            total.restarts += s.restarts
            total.leaderEpochs += s.leaderEpochs
            total.clockJumps += s.clockJumps
            total.reopens += s.reopens
            total.consumed += s.consumed
            total.transport.lostAtRandom += s.transport.lostAtRandom + s.transport.lostToPartitions + s.transport.lostToCrashes
        }
        #expect(total.acked > 50)
        #expect(total.kills > 0 && total.restarts > 0)
        #expect(total.leaderEpochs > initialEpochs) // leadership moved, not just the first epochs
        #expect(total.consumed > 0)
        #expect(total.clockJumps > 0)
        #expect(total.reopens > 0)
        #expect(total.transport.lostAtRandom > 0)
    }
}

/// The checker catches what it claims to: each test breaks one invariant on purpose.
@Suite struct SimulationCheckerTests {
    /// A short healthy run, then the cluster in a settled state.
    func settled(seed: UInt64 = 11) throws -> ReplicationSimulation {
        let sim = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 80))
        let failure = sim.run()
        try #require(failure == nil, "\(failure.map(\.description) ?? "")")
        return sim
    }

    @Test func detectsALostCommittedRecord() throws {
        let sim = try settled()
        let tp = sim.partitions[0]
        var committed = sim.committed
        committed[tp, default: [:]][1_000_000] = "never-written"
        let problems = sim.checker.check(sim.cluster, partitions: sim.partitions, committed: committed)
        #expect(problems.contains { $0.contains("never-written") && $0.contains("missing") })
    }

    @Test func detectsAMovedCommittedRecord() throws {
        let sim = try settled()
        guard let tp = sim.partitions.first(where: { !(sim.committed[$0] ?? [:]).isEmpty }),
              let (offset, value) = sim.committed[tp]?.min(by: { $0.key < $1.key }) else {
            Issue.record("seed 11 committed nothing")
            return
        }
        var committed = sim.committed
        committed[tp]![offset] = value + "-elsewhere"
        var checker = sim.checker
        let problems = checker.check(sim.cluster, partitions: sim.partitions, committed: committed)
        #expect(problems.contains { $0.contains("\(value)-elsewhere") && $0.contains("has \(value)") })
    }

    @Test func detectsADivergedReplicaBelowTheHighWatermark() throws {
        let sim = try settled()
        let tp = sim.partitions[0]
        let reg = sim.cluster.metadataImage.partition(tp)!
        let follower = reg.replicas.first { $0 != reg.leader }!
        // Rewrite the follower's log: same length, different contents.
        try sim.cluster.lock.withLock {
            let log = sim.cluster.nodes[follower]!.replicas[tp]!.log
            let end = log.logEndOffset
            try #require(end > 0)
            try log.truncate(to: 0)
            var b = RecordBatchBuilder(baseOffset: 0, partitionLeaderEpoch: 0)
            for _ in 0 ..< end { b.append(timestamp: 1, key: nil, value: Array("forged".utf8)) }
            try log.appendAsFollower(b.build().bytes)
            log.maybeIncrementHighWatermark(end)
        }
        var checker = sim.checker
        let problems = checker.check(sim.cluster, partitions: sim.partitions, committed: sim.committed)
        #expect(problems.contains { $0.contains("broker \(follower)") && $0.contains("differs from leader") })
    }

    @Test func detectsAHighWatermarkGoingBack() throws {
        let sim = try settled()
        let tp = sim.partitions[0]
        let leader = sim.cluster.metadataImage.partition(tp)!.leader
        var checker = sim.checker
        _ = checker.check(sim.cluster, partitions: sim.partitions, committed: sim.committed)
        try sim.cluster.lock.withLock {
            let log = sim.cluster.nodes[leader]!.replicas[tp]!.log
            try #require(log.highWatermark > 0)
            try log.truncate(to: log.highWatermark - 1) // truncation lowers the high watermark with it
        }
        let problems = checker.check(sim.cluster, partitions: sim.partitions, committed: [:])
        #expect(problems.contains { $0.contains("high watermark went back") })
    }

    @Test func detectsTwoLeadersInOneEpoch() throws {
        let sim = try settled()
        let tp = sim.partitions[0]
        let reg = sim.cluster.metadataImage.partition(tp)!
        let other = reg.replicas.first { $0 != reg.leader }!
        var checker = sim.checker
        _ = checker.check(sim.cluster, partitions: sim.partitions, committed: sim.committed)
        sim.cluster.lock.withLock { sim.cluster.leadersByEpoch[tp]![reg.leaderEpoch] = other }
        let problems = checker.check(sim.cluster, partitions: sim.partitions, committed: sim.committed)
        #expect(problems.contains { $0.contains("epoch \(reg.leaderEpoch) has two leaders") })
    }
}
