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

    /// Keys on a 6-partition topic: every key read in its order, customer-7's partition takes
    /// the largest share, and the member that owns it lags while the others keep up.
    @Test func aHotKeyLoadsOnePartitionAndItsMember() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        let demo = KeysDemo(transport: c.cluster.transport, bootstrapNodes: c.cluster.runningBrokers, hotFactor: 8, memberCapacity: 80,
                            intervalMs: 100)
        demo.start()
        let hot = KeysDemo.partition(of: KeysDemo.hotCustomer)
        try await c.eventually(timeoutMs: 90_000, "the owner of the hot partition lagging well behind the others") {
            let counts = demo.counts
            guard counts.read > 200, let owner = counts.memberPartitions.first(where: { $0.value.contains(hot) })?.key,
                  counts.memberPartitions.count == KeysDemo.members else { return false }
            let others = counts.memberLag.filter { $0.key != owner }.values.max() ?? 0
            return (counts.memberLag[owner] ?? 0) > 100 && (counts.memberLag[owner] ?? 0) > 4 * max(others, 1)
        }
        await demo.stop()
        let counts = demo.counts
        #expect(counts.outOfOrder == 0, "\(counts)")
        // Each customer's records went to murmur2's partition, customer-7's the most.
        let hotShare = Double(counts.sentPerPartition[hot] ?? 0) / Double(counts.sent)
        #expect(counts.sentPerPartition.values.allSatisfy { Double($0) / Double(counts.sent) <= hotShare }, "\(counts)")
        #expect(counts.sentPerCustomer[KeysDemo.hotCustomer] ?? 0 >= 7 * (counts.sentPerCustomer["customer-1"] ?? 0), "\(counts)")
        #expect(demo.caption.contains("\(counts.read) read, 0 out of key order"))
    }

    @Test func theKeysCaptionNamesPartitionsShareAndLag() {
        var counts = KeysDemo.Counts()
        let hot = KeysDemo.partition(of: KeysDemo.hotCustomer)
        counts.sentPerPartition = [hot: 60, (hot + 1) % 6: 40]
        counts.read = 90
        counts.memberLag = ["customer-service-1": 120, "customer-service-2": 3, "customer-service-3": 0]
        counts.memberPartitions = ["customer-service-1": [hot], "customer-service-2": [(hot + 1) % 6], "customer-service-3": []]
        let p = { (key: String) in KeysDemo.partition(of: key) }
        #expect(KeysDemo.caption(counts, hotFactor: 8) == "[keys] murmur2: customer-1→p\(p("customer-1")) customer-2→p\(p("customer-2")) customer-3→p\(p("customer-3")) customer-7→p\(hot) │ 90 read, 0 out of key order │ customer-7 hot (8×): p\(hot) 60% of 100 │ lag 120 at customer-service-1 (p\(hot)), ≤ 3 at the others")
        // murmur2 as Kafka's default partitioner computes it.
        #expect(KeysDemo.partition(of: "customer-7") == Int32(Murmur2.partition(forKey: Array("customer-7".utf8), partitions: 6)))
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

    @Test func theAcksCaptionCountsWhatEachProducerWasToldAndLost() {
        let writing = AcksDemo.caption(.writing(killAtMs: 10_000), AcksDemo.Counts(told: [300, 298, 90]), leader: 1, followerIntervalMs: 2_000, nowMs: 7_500)
        #expect(writing == "[acks] followers fetch every 2 s, so they lag behind broker 1 │ told written: acks=0 300 │ acks=1 298 │ acks=all 90 │ killing broker 1, the leader, in 3 s")
        let done = AcksDemo.caption(.done, AcksDemo.Counts(told: [500, 498, 200], lost: [51, 49, 0]), leader: 1, followerIntervalMs: 2_000, nowMs: 0)
        #expect(done == "[acks] broker 1 died before its followers caught up: acks=0 told 500, lost 51 │ acks=1 told 498, lost 49 (only the leader had them) │ acks=all told 200, lost 0 (every in-sync replica had them)")
        #expect(AcksDemo.caption(.failed("could not start: x"), AcksDemo.Counts(), leader: 1, followerIntervalMs: 2_000, nowMs: 0) == "[acks] could not start: x")
    }

    @Test func everyScenarioNameParsesAndTheGuidedOnesKeepTheirLesson() {
        #expect(TrainingScenario.allCases.map(\.rawValue) == ["failover", "rebalance", "replay", "lag", "idempotence", "exactly-once", "keys", "controller-failover", "acks"])
        #expect(TrainingScenario.allCases.compactMap(\.guided) == DemoScenario.Name.allCases)
    }
}
