@testable import EddyRaft
import Foundation
import Testing

/// Seeded simulation of the controller quorum (`RaftSimulation`): 1, 3 or 5 voters and up to 2
/// observers, each a `RaftNode` with a simulated disk, over a simulated network.
///
/// Faults, drawn from the seed: messages delayed (now and then by seconds, so they arrive out of
/// order), dropped (at a rate that changes), links cut and nodes isolated, then healed; nodes
/// killed, losing every append they had not flushed (appends are flushed at once with a
/// per-seed probability, else by later flush steps), and restarted from their disks; clock
/// jumps past every timeout; snapshots taken (with or without deleting the log below them) and
/// fetched by nodes too far behind.
///
/// Invariants after every step: at most one leader per epoch; log matching (two logs with the
/// same epoch at an offset are equal below it); leader completeness (a new leader holds every
/// committed record); committed records never change or disappear (every node's records below
/// its high watermark agree with them, and the newest stays durable on a majority of voters);
/// each node's applied state equals the committed records up to its applied offset, snapshots
/// included; high watermarks never go back; each node's own invariants. Liveness at the end:
/// with the faults stopped, a new record commits on every node within 30 simulated seconds.
///
/// The suite runs EDDY_RAFT_SIM_SEEDS seeds (default 300) from EDDY_SIM_FIRST_SEED (default 1),
/// EDDY_SIM_STEPS steps each (default 400); `scripts/simulate --quorum` runs thousands. A
/// failure starts with `seed=N step=K` and shows the scenario and the last events.
@Suite struct RaftSimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let seeds: [UInt64] = {
        let count = environment["EDDY_RAFT_SIM_SEEDS"].flatMap(Int.init) ?? 300
        let first = environment["EDDY_SIM_FIRST_SEED"].flatMap(UInt64.init) ?? 1
        return (0 ..< UInt64(max(0, count))).map { first + $0 }
    }()
    static let steps = environment["EDDY_SIM_STEPS"].flatMap(Int.init) ?? 400
    static let printSummary = environment["EDDY_SIM_SUMMARY"] != nil

    @Test(arguments: RaftSimulationTests.seeds)
    func theQuorumStaysSafeAndLive(seed: UInt64) {
        let sim = RaftSimulation(RaftScenario(seed: seed, steps: Self.steps))
        let failure = sim.run()
        if let failure { Issue.record("\(failure)") }
        if Self.printSummary {
            print("sim seed=\(seed) result=\(failure == nil ? "ok" : "FAIL") \(sim.statistics)")
        }
    }

    /// One seed is one schedule: two runs agree on every event.
    @Test func aSeedReplaysExactly() {
        for seed: UInt64 in [7, 8] {
            let a = RaftSimulation(RaftScenario(seed: seed, steps: 300)), b = RaftSimulation(RaftScenario(seed: seed, steps: 300))
            _ = a.run()
            _ = b.run()
            #expect(a.trace == b.trace && a.statistics == b.statistics, "seed=\(seed)")
        }
    }

    /// The faults happen: over a few seeds, nodes are killed, elections held, records committed,
    /// messages dropped and snapshots fetched (a simulation that injects nothing proves nothing).
    @Test func theFaultsHappen() {
        var totals: [String: Int] = [:]
        var committed = 0
        for seed: UInt64 in 1 ... 40 {
            let sim = RaftSimulation(RaftScenario(seed: seed, steps: 400))
            _ = sim.run()
            for (k, v) in sim.stats { totals[k, default: 0] += v }
            committed += sim.committed.count
        }
        for key in ["kills", "restarts", "elections", "dropped", "snapshots", "snapshotsFetched", "truncations"] {
            #expect(totals[key, default: 0] > 0, "\(key): \(totals)")
        }
        #expect(committed > 400, "committed \(committed)")
    }
}
