import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation
import Testing

/// Seeded simulation of transactions: each seed is a replication schedule (`SimulationTests`'
/// faults: kills, stops, restarts, cut links, lost and delayed messages, clock jumps, process
/// restarts) with two transactional producer applications, their zombies and read_committed
/// consumers added, and the coordinators of their transactional ids killed on purpose.
/// `TransactionChecker` checks atomicity, the LSO, read_committed and fencing after every step,
/// and every partition is read with read_committed at the end (see `TransactionSimulation.swift`).
///
/// The suite runs EDDY_SIM_TXN_SEEDS seeds (default 200) from EDDY_SIM_FIRST_SEED (default 1),
/// EDDY_SIM_STEPS steps each (default 1,000); `scripts/simulate --transactions` runs thousands. A
/// failure message starts with `seed=N step=K` and says how to replay it.
@Suite struct TransactionSimulationTests {
    static let seeds = SimulationTests.seeds(count: "EDDY_SIM_TXN_SEEDS", default: 200)

    /// A transaction takes several acks=all round trips, so a seed runs longer than a
    /// replication seed.
    static let steps = SimulationTests.environment["EDDY_SIM_STEPS"].flatMap(Int.init) ?? 1_000

    @Test(arguments: TransactionSimulationTests.seeds)
    func transactionsStayAtomic(seed: UInt64) throws {
        try SimulationTests.runSeed(SimulationScenario(seed: seed, steps: Self.steps, transactions: true))
    }

    /// One seed is one schedule, transactions included.
    @Test func aSeedReplaysExactly() throws {
        for seed: UInt64 in [5, 6] {
            let a = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 120, transactions: true))
            let b = try ReplicationSimulation(SimulationScenario(seed: seed, steps: 120, transactions: true))
            _ = a.run()
            _ = b.run()
            #expect(a.traceHash == b.traceHash, "seed=\(seed)")
            #expect(a.history == b.history, "seed=\(seed)")
        }
    }

    /// The schedules do what the simulation claims: over a few seeds, transactions commit and
    /// abort, coordinators are killed, zombies are fenced and read_committed reads records.
    @Test func schedulesExerciseTransactions() throws {
        var total = SimulationStatistics()
        for seed: UInt64 in 1 ... 8 {
            let sim = try ReplicationSimulation(SimulationScenario(seed: seed, steps: Self.steps, transactions: true))
            #expect(sim.run() == nil, "seed=\(seed)")
            let s = sim.statistics
            total.transactionsCommitted += s.transactionsCommitted
            total.transactionsAborted += s.transactionsAborted
            total.coordinatorKills += s.coordinatorKills
            total.producerRestarts += s.producerRestarts
            total.fencedRequests += s.fencedRequests
            total.readCommitted += s.readCommitted
        }
        #expect(total.transactionsCommitted >= 5)
        #expect(total.transactionsAborted > 0)
        #expect(total.coordinatorKills > 0)
        #expect(total.producerRestarts > 0)
        #expect(total.fencedRequests > 0)
        #expect(total.readCommitted > 0)
    }
}

/// The transactional checks catch what they claim to: each test feeds them one violation.
@Suite struct TransactionCheckerTests {
    let tp = TopicPartition("sim", 0)

    /// A transactional batch of `values` at `base` by producer 7.
    func batch(_ values: [String], at base: Int64, control committed: Bool? = nil) -> [UInt8] {
        if let committed {
            return EndTransactionMarker(committed: committed, coordinatorEpoch: 0)
                .batch(baseOffset: base, timestamp: 1, producerId: 7, producerEpoch: 0).bytes
        }
        var b = RecordBatchBuilder(baseOffset: base, attributes: RecordBatchAttributes(isTransactional: true), producerId: 7,
                                   producerEpoch: 0, baseSequence: Int32(base))
        for v in values { b.append(timestamp: 1, key: nil, value: Array(v.utf8)) }
        return b.build().bytes
    }

    func answer(_ records: [UInt8], lso: Int64, hw: Int64, aborted: [FetchResponse.AbortedTransaction] = []) -> FetchResponse.PartitionData {
        FetchResponse.PartitionData(partitionIndex: 0, highWatermark: hw, lastStableOffset: lso, abortedTransactions: aborted, records: records)
    }

    @Test func readCommittedDropsAnAbortedTransactionAndAcceptsACommittedOne() {
        var consumer = ReadCommittedConsumer()
        let records = batch(["t-a-0-1-0", "t-a-0-1-1"], at: 0) + batch([], at: 2, control: false)
            + batch(["t-a-0-2-0"], at: 3) + batch([], at: 4, control: true)
        let (returned, violations, _) = consumer.absorb(answer(records, lso: 5, hw: 5, aborted: [.init(producerId: 7, firstOffset: 0)]),
                                                        from: 0, tp: tp)
        #expect(violations.isEmpty)
        #expect(returned.map(\.1) == ["t-a-0-2-0"])
        #expect(consumer.position == 5)
    }

    @Test func detectsARecordAtOrAboveTheLastStableOffset() {
        var consumer = ReadCommittedConsumer()
        let (_, violations, _) = consumer.absorb(answer(batch(["t-a-0-1-0", "t-a-0-1-1"], at: 0), lso: 1, hw: 2), from: 0, tp: tp)
        #expect(violations.contains { $0.contains("t-a-0-1-1@1 at or above the LSO 1") })
    }

    @Test func detectsAProducersRecordsOutOfOrder() {
        var consumer = ReadCommittedConsumer()
        let (_, violations, _) = consumer.absorb(answer(batch(["t-a-0-2-0", "t-a-0-1-0"], at: 0), lso: 2, hw: 2), from: 0, tp: tp)
        #expect(violations.contains { $0.contains("t-a-0-1-0@1 after producer a's later record") })
    }

    @Test func finalCheckWantsAllOrNoneAndEveryAcknowledgedCommit() {
        var ledger = TransactionLedger()
        let other = TopicPartition("sim", 1)
        ledger.entries["t-a-0-1"] = .init(acknowledged: [tp: ["t-a-0-1-0"], other: ["t-a-0-1-1"]], commitSent: true,
                                          commitSentUnfenced: true, commitAcknowledged: true)
        ledger.entries["t-b-0-1"] = .init(acknowledged: [tp: ["t-b-0-1-0"]], commitSent: true, commitSentUnfenced: true,
                                          commitAcknowledged: true)
        ledger.entries["t-b-0-2"] = .init(acknowledged: [tp: ["t-b-0-2-0"]], commitSent: true, commitSentUnfenced: false)
        // Visible: half of t-a-0-1, none of t-b-0-1 (acknowledged as committed), and t-b-0-2 whose
        // only commit came from a fenced producer.
        var consumer = ReadCommittedConsumer()
        _ = consumer.absorb(answer(batch(["t-a-0-1-0", "t-b-0-2-0"], at: 0), lso: 2, hw: 2), from: 0, tp: tp)
        let violations = TransactionChecker().finalCheck([tp: consumer, other: ReadCommittedConsumer()], ledger: ledger, returnedDuringRun: [:])
        #expect(violations.contains { $0.contains("t-a-0-1 on sim-1") && $0.contains("all or none") })
        #expect(violations.contains { $0.contains("t-b-0-1 was acknowledged as committed") })
        #expect(violations.contains { $0.contains("t-b-0-2 is visible but no unfenced producer") })
    }

    @Test func finalCheckWantsWhatReadCommittedReturnedToStay() {
        var during = ReadCommittedConsumer()
        _ = during.absorb(answer(batch(["v1"], at: 0), lso: 1, hw: 1), from: 0, tp: tp)
        let violations = TransactionChecker().finalCheck([tp: ReadCommittedConsumer()], ledger: TransactionLedger(), returnedDuringRun: [tp: during])
        #expect(violations.contains { $0.contains("returned v1@0 during the run, but it is not committed at the end") })
    }
}
