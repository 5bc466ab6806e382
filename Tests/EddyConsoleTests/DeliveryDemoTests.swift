import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// The delivery experiments of `eddy demo --scenario`: what they count is what the lessons
/// claim, on a real cluster in process.
@Suite(.serialized) struct DeliveryDemoTests {
    @Test func lostAcknowledgementsDuplicateOnlyWithoutIdempotence() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        let demo = IdempotenceDemo(transport: c.cluster.transport, bootstrapNodes: c.cluster.runningBrokers, lossEvery: 3, intervalMs: 5)
        demo.start()
        try await c.eventually(timeoutMs: 60_000, "both producers past several lost acknowledgements, their records read") {
            let counts = demo.counts
            return counts.allSatisfy { $0.lost >= 3 && $0.sent >= 10 && $0.read.distinct >= $0.sent - 1 }
        }
        await demo.stop()
        let counts = demo.counts
        let (plain, idempotent) = (counts[0], counts[1])
        #expect(plain.read.duplicates > 0, "\(plain)")
        #expect(idempotent.read.duplicates == 0, "\(idempotent)")
        // The readers drained the topics at the stop: every acknowledged record once (the last
        // may have been written with its answer lost to the stop).
        #expect(idempotent.read.records == idempotent.sent || idempotent.read.records == idempotent.sent + 1, "\(idempotent)")
        #expect(idempotent.read.distinct == idempotent.read.records)
        #expect(demo.caption.contains("enable.idempotence=false → retries-plain \(plain.read.records) stored of \(plain.sent) sent, \(plain.read.duplicates) duplicate"))
        #expect(demo.caption.contains("retries-idempotent \(idempotent.read.records) stored of \(idempotent.sent) sent, 0 duplicates"))
    }

    @Test func onlyTheAtLeastOncePipelineDuplicatesAcrossCrashes() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        let demo = ExactlyOnceDemo(transport: c.cluster.transport, bootstrapNodes: c.cluster.runningBrokers, inputIntervalMs: 10,
                                   crashEvery: 3, zombieMs: 1_500)
        demo.start()
        try await c.eventually(timeoutMs: 90_000, "both pipelines crashed twice, the at-least-once one duplicated") {
            let counts = demo.counts
            return counts.heldByZombie > 0 && counts.atLeastOnceCrashes >= 2 && counts.exactlyOnceCrashes >= 2 && counts.atLeastOnce.duplicates > 0
                && counts.exactlyOnce.records >= 40
        }
        await demo.stop()
        let counts = demo.counts
        #expect(counts.exactlyOnce.duplicates == 0, "\(counts)")
        #expect(counts.atLeastOnce.duplicates > 0, "\(counts)")
        // The crashed instances' outputs are in the log, aborted: read_committed never saw them.
        let tps = (0..<ExactlyOnceDemo.partitions).map { TopicPartition(ExactlyOnceDemo.exactlyOnceTopic, $0) }
        let offsets = try await c.admin.logOffsets(tps)
        var aborted = 0
        for tp in tps {
            let layout = try await c.admin.transactionLayout(of: tp, from: 0, until: offsets[tp]?.highWatermark ?? 0)
            aborted += layout.batches.filter { $0.fate == .aborted }.count
        }
        #expect(aborted > 0, "\(counts)")
        #expect(counts.heldByZombie > 0, "a crashed instance's open transaction held eos-output's LSO while it was a zombie")
        #expect(ExactlyOnceDemo.caption(counts).contains("eos-output 0 duplicates of \(counts.exactlyOnce.records) read_committed"))
    }

    @Test func captionsSayWhatTheCountsAre() {
        var tally = ValueTally()
        for v in ["1", "2", "2", "3", "3", "3"] { tally.add(v) }
        #expect(tally.records == 6 && tally.distinct == 3 && tally.duplicates == 3)
        var counts = ExactlyOnceDemo.Counts()
        counts.inputs = 10
        counts.atLeastOnceCrashes = 1
        counts.atLeastOnce = tally
        counts.held = 4
        #expect(ExactlyOnceDemo.caption(counts) == "[exactly-once] crash mid-batch: at-least-once → alo-output 3 duplicates of 6 (1 crash) │ transactional → eos-output 0 duplicates of 0 read_committed (0 crashes) │ 10 inputs │ open transaction: 4 records above the LSO")
        let plain = IdempotenceDemo.Counts(sent: 5, lost: 1, read: tally)
        #expect(IdempotenceDemo.caption(plain: plain, idempotent: plain, lossEvery: 5) == "[idempotence] 1 ack in 5 lost, then retried: enable.idempotence=false → retries-plain 6 stored of 5 sent, 3 duplicates │ enable.idempotence=true → retries-idempotent 6 stored of 5 sent, 3 duplicates")
    }

    @Test func everyScenarioNameParsesAndTheGuidedOnesKeepTheirLesson() {
        #expect(TrainingScenario.allCases.map(\.rawValue) == ["failover", "rebalance", "replay", "lag", "idempotence", "exactly-once"])
        #expect(TrainingScenario.allCases.compactMap(\.guided) == DemoScenario.Name.allCases)
    }
}
