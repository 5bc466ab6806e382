import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyConsole

/// One broker killed and not fenced yet (the metadata still names it leader): the console keeps
/// showing every other partition and marks the dead broker's partitions unreachable.
@Suite(.serialized) struct DeadLeaderTests {
    /// The snapshot source against a real cluster on a manual clock (so broker 0's session
    /// never times out until the test moves the clock): after broker 0 is killed, a sample
    /// still has the offsets of the partitions led by brokers 1 and 2, marks broker 0's
    /// partitions unreachable with no offsets, and says so in its problems; once the controller
    /// fences broker 0, the marks go away.
    @Test func aSampleWithADeadLeaderKeepsTheOtherPartitionsAndMarksItsOwn() async throws {
        let clock = ManualClock()
        let c = try ConsoleTestCluster(clock: clock)
        defer { c.shutdown() }
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 6, replicationFactor: 3))
        for p in 0 ..< 6 { try await c.produce(TopicPartition("orders", Int32(p)), count: p + 1) }
        let source = ClientSnapshotSource(admin: c.admin, insight: nil, liveConsumers: LiveConsumers(), now: { 1_000 })
        try await c.eventually("every high watermark to catch up") {
            let orders = try await source.snapshot().topic("orders")
            return orders?.partitions.map(\.highWatermark) == (1 ... 6).map { Int64($0) }
        }
        let before = try #require(try await source.snapshot().topic("orders"))
        let dead = before.partitions.filter { $0.leader == 0 }.map(\.partition)
        let live = before.partitions.filter { $0.leader != 0 }.map(\.partition)
        #expect(!dead.isEmpty && !live.isEmpty)
        #expect(before.unreachableCount == 0 && before.partitions.allSatisfy { $0.offlineReplicas.isEmpty })

        try c.cluster.killBroker(0)
        let start = ClientTime.monotonicMs()
        let snapshot = try await source.snapshot()
        let elapsed = ClientTime.monotonicMs() - start
        let orders = try #require(snapshot.topic("orders"))
        for p in live {
            let n = Int64(p + 1)
            let partition = try #require(orders.partition(p))
            #expect(partition.logStartOffset == 0 && partition.highWatermark == n && partition.logEndOffset == n, "orders-\(p)")
            #expect(!partition.leaderUnreachable, "orders-\(p)")
            // Broker 0 is still in the ISR (it is not fenced yet), and down.
            #expect(partition.isr.contains(0) && partition.offlineReplicas == [0], "orders-\(p)")
        }
        for p in dead {
            let partition = try #require(orders.partition(p))
            #expect(partition.leader == 0 && partition.leaderUnreachable, "orders-\(p)")
            #expect(partition.logStartOffset == nil && partition.highWatermark == nil && partition.logEndOffset == nil, "orders-\(p)")
        }
        #expect(orders.unreachableCount == dead.count)
        #expect(snapshot.problems.contains { $0.hasPrefix("broker 0 does not answer") }, "\(snapshot.problems)")
        #expect(!snapshot.problems.contains { $0.hasPrefix("offsets") }, "\(snapshot.problems)")
        #expect(elapsed < 5_000, "the sample took \(elapsed) ms of a 10 s budget")

        // The controller fences broker 0 after its session timeout: new leaders, no marks.
        clock.advance(ms: c.cluster.options.brokerSessionTimeoutMs + 1)
        try await c.eventually("broker 0's partitions to answer from new leaders") {
            let s = try await source.snapshot()
            guard let t = s.topic("orders") else { return false }
            return t.unreachableCount == 0 && t.partitions.allSatisfy { $0.highWatermark == Int64($0.partition + 1) && $0.leader != 0 }
        }
    }

    /// The fixture's last samples with broker 2 killed and not fenced yet: the partitions it
    /// leads have no offsets and are marked unreachable, and it is still in ISRs.
    static func model() -> ConsoleModel {
        var model = ConsoleModel()
        for step in 0 ..< 30 {
            var snapshot = ConsoleFixture.snapshot(step: step)
            if step >= 27 { snapshot = Self.killBroker2(snapshot) }
            model.append(snapshot)
        }
        model.workers = ConsoleFixture.workers
        return model
    }

    static func killBroker2(_ s: ConsoleSnapshot) -> ConsoleSnapshot {
        var s = s
        s.brokers = s.brokers.map { b in
            var b = b
            if b.id == 2 { b.state = .killed }
            return b
        }
        s.topics = s.topics.map { t in
            var t = t
            t.partitions = t.partitions.map { p in
                var p = p
                p.offlineReplicas = p.replicas.filter { $0 == 2 }
                if p.leader == 2 {
                    p.leaderUnreachable = true
                    p.logStartOffset = nil
                    p.logEndOffset = nil
                    p.highWatermark = nil
                    p.lastStableOffset = nil
                }
                return p
            }
            return t
        }
        s.problems = ["broker 2 does not answer: the 4 partitions it leads are unreachable"]
        return s
    }

    static func render(_ view: ConsoleView) -> CellGrid {
        let state = ConsoleFixture.state(view)
        return ConsoleRenderer.render(model: model(), state: state, size: state.screen, now: ConsoleFixture.now)
    }

    /// Topic view: `2 down` in LEADER, the row in `error`, offsets `-`; the dead broker marked
    /// in the ISR of the partitions it follows; `unreachable N` in the summary.
    @Test func topicViewMarksTheDeadLeadersPartitions() {
        let grid = Self.render(.topic("orders"))
        #expect(grid.plainText().contains("unreachable 2"))
        #expect(grid.plainText().contains("2 down"))
        Snapshot.assert(grid, named: "console-topic-orders-unreachable-80x24")
    }

    /// Cluster view: the unreachable count next to under-replicated and offline.
    @Test func clusterViewCountsUnreachablePartitions() {
        let grid = Self.render(.cluster)
        #expect(grid.line(2).contains("unreachable 4"), "\(grid.line(2))")
        Snapshot.assert(grid, named: "console-cluster-unreachable-80x24")
    }

    /// Topics view: a topic with an unreachable partition is drawn in `error`, as one with an
    /// offline partition is.
    @Test func topicsViewDrawsATopicWithAnUnreachablePartitionAsAnError() {
        Snapshot.assert(Self.render(.topics), named: "console-topics-unreachable-80x24")
    }

    @Test func unreachablePartitionsAreDrawnInASCIIToo() {
        let state = ConsoleFixture.state(.topic("orders"), glyphs: .ascii)
        let grid = ConsoleRenderer.render(model: Self.model(), state: state, size: state.screen, now: ConsoleFixture.now)
        #expect(grid.isASCII)
        #expect(grid.plainText().contains("2 down"))
    }
}

/// Without `ClusterInsight` (a cluster another process runs), brokers come from Metadata, and
/// one that Metadata does not list is still shown, fenced: known from the replicas it holds
/// when it stopped before the first sample, or from an earlier sample.
@Suite(.serialized) struct RemoteBrokerListTests {
    @Test func brokersThatLeftMetadataStayListedAsFenced() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 3, replicationFactor: 3))
        try c.cluster.stopBroker(2)
        let source = ClientSnapshotSource(admin: c.admin, insight: nil, liveConsumers: LiveConsumers(), now: { 1_000 })
        var snapshot = try await source.snapshot()
        #expect(snapshot.brokers.map(\.id) == [0, 1, 2], "\(snapshot.brokers)")
        #expect(snapshot.brokers.map(\.state) == [.running, .running, .fenced], "\(snapshot.brokers)")

        // A broker seen running, then stopped: still listed, fenced; then running again.
        try c.cluster.startBroker(2)
        try c.cluster.stopBroker(1)
        try await c.admin.deleteTopic("orders")
        snapshot = try await source.snapshot()
        #expect(snapshot.brokers.map(\.id) == [0, 1, 2], "\(snapshot.brokers)")
        #expect(snapshot.brokers.map(\.state) == [.running, .fenced, .running], "\(snapshot.brokers)")
        try c.cluster.startBroker(1)
        snapshot = try await source.snapshot()
        #expect(snapshot.brokers.allSatisfy { $0.state == .running }, "\(snapshot.brokers)")
    }
}
