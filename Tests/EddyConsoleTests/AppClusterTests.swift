import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyConsole

/// A real in-process cluster for the console's client-side parts: brokers in a temporary
/// directory, a driver for replication and timers, a client and an admin over its transport.
final class ConsoleTestCluster: @unchecked Sendable {
    let directory: String
    let cluster: Cluster
    let driver: ClusterDriver
    let client: KafkaClient
    let admin: Admin

    /// - Parameter clock: the cluster's clock (a `ManualClock` keeps session timeouts from expiring).
    init(clock: any Clock = SystemClock()) throws {
        directory = NSTemporaryDirectory() + "eddy-console-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var options = ClusterOptions()
        options.initialBrokerCount = 3
        options.randomSeed = 17
        options.logCleanerThreads = false
        options.brokerSessionTimeoutMs = 600_000
        options.replicaLagTimeMaxMs = 600_000
        options.groupCoordinator.groupInitialRebalanceDelayMs = 0
        options.groupCoordinator.offsetsTopicNumPartitions = 3
        cluster = try Cluster(dataDirectory: directory, clock: clock, options: options)
        driver = ClusterDriver(cluster: cluster, tickIntervalMs: 5)
        driver.start()
        client = KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, clientId: "console-test",
                             requestTimeoutMs: 5_000, retryBackoffMs: 10)
        admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000))
    }

    func shutdown() {
        client.close()
        driver.stop()
        try? cluster.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `count` records with values `v0`, `v1`, ... to one partition, through a producer.
    func produce(_ tp: TopicPartition, count: Int) async throws {
        var config = ProducerConfig()
        config.lingerMs = 0
        let producer = try BytesProducer(config: config, client: client)
        for i in 0..<count {
            _ = try await producer.send(ProducerRecord(topic: tp.topic, partition: tp.partition, key: Array("k\(i)".utf8), value: Array("v\(i)".utf8)))
        }
        await producer.close()
    }

    /// Polls `condition` until it holds or `timeoutMs` passes.
    func eventually(timeoutMs: Int64 = 10_000, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ClientTime.monotonicMs() + timeoutMs
        while try await !condition() {
            guard ClientTime.monotonicMs() < deadline else { throw ConsoleTestError("timed out waiting for \(what)") }
            await ClientTime.sleep(ms: 5)
        }
    }
}

struct ConsoleTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What the executable would report about its cluster; fixed values so the merge is visible.
struct FixedInsight: ClusterInsight {
    var clusterId: String { "fixed-cluster" }
    func brokers() -> [BrokerInsight] {
        [BrokerInsight(id: 1, state: .running, isController: false), BrokerInsight(id: 2, state: .running, isController: true),
         BrokerInsight(id: 3, state: .killed, isController: false)]
    }
    func partitionSizes() -> [TopicPartition: Int64] { [TopicPartition("orders", 0): 4096] }
    func brokerTraffic() -> [Int32: (bytesIn: Int64, bytesOut: Int64)] { [1: (100, 200)] }
}

/// `ClientSnapshotSource` and `EffectRunner` against a real cluster: samples, resets (also of
/// an active group, with a replay), test records, topics and message pages.
@Suite(.serialized) struct AppClusterTests {
    @Test func aSampleShowsTopicsOffsetsAndGroups() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 3, replicationFactor: 2, configs: ["retention.ms": "3600000"]))
        try await c.produce(TopicPartition("orders", 0), count: 10)
        try await c.produce(TopicPartition("orders", 1), count: 4)
        try await c.admin.alterConsumerGroupOffsets("audit", [TopicPartition("orders", 0): OffsetAndMetadata(4)])

        let source = ClientSnapshotSource(admin: c.admin, insight: nil, liveConsumers: LiveConsumers(), now: { 1_000 })
        var snapshot = try await source.snapshot()
        try await c.eventually("the high watermarks to catch up") {
            snapshot = try await source.snapshot()
            return snapshot.partition(TopicPartition("orders", 0))?.highWatermark == 10
        }
        #expect(snapshot.takenAtMs == 1_000)
        #expect(snapshot.brokers.map(\.id) == c.cluster.runningBrokers, "\(snapshot.brokers)")
        #expect(snapshot.brokers.count == 3 && snapshot.brokers.allSatisfy { $0.state == .running })
        #expect(snapshot.controllerId != nil)
        let orders = try #require(snapshot.topic("orders"))
        #expect(orders.partitions.count == 3 && orders.replicationFactor == 2)
        #expect(orders.retentionMs == 3_600_000 && orders.cleanupPolicy == "delete")
        #expect(orders.partitions.map(\.logEndOffset) == [10, 4, 0])
        #expect(orders.partitions.map(\.logStartOffset) == [0, 0, 0])
        #expect(orders.partitions.allSatisfy { $0.leader != nil && $0.isr.count == 2 })
        // Without ClusterInsight, sizes come from DescribeLogDirs on the leaders: the leader's log.
        let described = try #require(try c.cluster.describeTopics(["orders"]).first)
        #expect(orders.partitions.map(\.sizeBytes) == described.partitions.map { Optional($0.sizeInBytes) })
        #expect(orders.partitions[0].sizeBytes ?? 0 > 0)
        let audit = try #require(snapshot.group("audit"))
        #expect(audit.state == .empty && audit.members.isEmpty)
        #expect(audit.rows.map(\.topicPartition) == [TopicPartition("orders", 0)])
        #expect(audit.rows.first?.committedOffset == 4 && audit.rows.first?.lag == 6)
        #expect(audit.totalLag == 6)
        #expect(snapshot.problems.isEmpty, "\(snapshot.problems)")
    }

    @Test func insightAddsBrokerStatesSizesAndTraffic() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 1, replicationFactor: 1))
        let snapshot = try await ClientSnapshotSource(admin: c.admin, insight: FixedInsight(), liveConsumers: LiveConsumers()).snapshot()
        #expect(snapshot.clusterId == "fixed-cluster")
        #expect(snapshot.brokers.map(\.state) == [.running, .running, .killed])
        #expect(snapshot.controllerId == 2, "the insight's controller wins")
        #expect(snapshot.brokers.first?.bytesIn == 100 && snapshot.brokers.first?.bytesOut == 200)
        #expect(snapshot.brokers.last?.bytesIn == nil)
        #expect(snapshot.partition(TopicPartition("orders", 0))?.sizeBytes == 4096)
    }

    @Test func effectsResetProduceCreateAndReadThroughTheClient() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        let tp = TopicPartition("orders", 0)
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 2, replicationFactor: 3))
        try await c.produce(tp, count: 30)
        try await c.admin.alterConsumerGroupOffsets("audit", [tp: OffsetAndMetadata(25)])
        let runner = EffectRunner(client: c.client, admin: c.admin, controls: nil)
        defer { Task { await runner.close() } }

        // Preview then execute a reset of an inactive group.
        let request = ResetRequest(group: "audit", scope: .allTopics, strategy: .shiftBy(-20))
        guard case let .resetPreview(r, plan, activeState) = await runner.run(.previewReset(request)) else {
            Issue.record("no preview"); return
        }
        #expect(r == request && activeState == nil)
        #expect(plan.entries.map(\.newOffset) == [5] && plan.entries.first?.oldOffset == 25)
        let done = await runner.run(.executeReset(request, plan: plan, replay: false))
        #expect(done == .status(.success("reset group audit: 1 partition shift by -20")))
        #expect(try await c.admin.listConsumerGroupOffsets("audit")[tp]?.offset == 5)

        // A test record, with headers, shows its offset.
        let produced = await runner.run(.produce(TestRecord(topic: "orders", partition: 0, key: "k", value: "{\"a\":1}",
                                                            headers: [RecordHeader(key: "h", value: Array("1".utf8))])))
        #expect(produced == .produced(tp, offset: 30))
        let badPartition = await runner.run(.produce(TestRecord(topic: "orders", partition: 9, value: "x")))
        guard case let .status(message)? = badPartition else { Issue.record("no status"); return }
        #expect(message.kind == .error && message.text.contains("invalid partition 9"))

        // Pages of messages: the latest 3, from an offset, and by time.
        try await c.eventually("the record to be replicated") {
            (try await c.admin.listOffsets([tp], .latest)[tp] ?? 0) == 31
        }
        guard case let .messages(latest)? = await runner.run(.loadMessages(MessagesQuery(topicPartition: tp, start: .latest, limit: 3))) else {
            Issue.record("no page"); return
        }
        #expect(latest.records.map(\.offset) == [28, 29, 30])
        #expect(latest.records.last?.headers == [RecordHeader(key: "h", value: Array("1".utf8))])
        #expect(latest.records.last.map { String(decoding: $0.value ?? [], as: UTF8.self) } == "{\"a\":1}")
        #expect(latest.highWatermark == 31 && latest.logStartOffset == 0)
        guard case let .messages(middle)? = await runner.run(.loadMessages(MessagesQuery(topicPartition: tp, start: .offset(10), limit: 5))) else {
            Issue.record("no page"); return
        }
        #expect(middle.records.map(\.offset) == [10, 11, 12, 13, 14])
        #expect(middle.records.first?.key == Array("k10".utf8))
        guard case let .messages(future)? = await runner.run(.loadMessages(MessagesQuery(topicPartition: tp, start: .timestamp(.max / 2)))) else {
            Issue.record("no page"); return
        }
        #expect(future.records.isEmpty, "no record after that time: the page starts at the high watermark")
        let missing = await runner.run(.loadMessages(MessagesQuery(topicPartition: TopicPartition("nope", 0), start: .latest)))
        guard case let .messagesFailed(_, text)? = missing else { Issue.record("no failure"); return }
        #expect(text.contains("UNKNOWN_TOPIC_OR_PARTITION"))

        // Topics.
        let created = await runner.run(.createTopic(Admin.NewTopic(name: "events", numPartitions: 2, replicationFactor: 2)))
        #expect(created == .status(.success("created topic events: 2 partitions, replication factor 2")))
        guard case let .status(again)? = await runner.run(.createTopic(Admin.NewTopic(name: "events", numPartitions: 2, replicationFactor: 2))) else {
            Issue.record("no status"); return
        }
        #expect(again.kind == .error && again.text.contains("TOPIC_ALREADY_EXISTS") && again.text.contains("choose another name"))
        guard case let .status(tooMany)? = await runner.run(.createTopic(Admin.NewTopic(name: "wide", numPartitions: 1, replicationFactor: 5))) else {
            Issue.record("no status"); return
        }
        #expect(tooMany.text.contains("INVALID_REPLICATION_FACTOR") && tooMany.text.contains("running brokers"))

        // Demo commands without controls say what is missing.
        let demo = await runner.run(.demo(.stopBroker(1)))
        #expect(demo == .status(.error("stopping broker 1: needs the demo's controls (eddy demo)")))
    }

    @Test func anActiveGroupIsPreviewedAsIfStoppedAndReplayedWithItsConsumersPaused() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        let tp = TopicPartition("orders", 0)
        try await c.admin.createTopic(Admin.NewTopic(name: "orders", numPartitions: 1, replicationFactor: 3))
        try await c.produce(tp, count: 12)
        let registry = LiveConsumers()
        var config = ConsumerConfig(groupId: "audit")
        config.clientId = "audit-1"
        config.registry = registry
        config.autoOffsetReset = .earliest
        let consumer = try Consumer(client: c.client, config: config)
        try await consumer.subscribe(topics: ["orders"])
        var consumed = 0
        try await c.eventually("the consumer to read everything") {
            consumed += try await consumer.poll(timeoutMs: 50).count
            return consumed >= 12
        }
        try await consumer.commitSync()

        // The sample sees the live consumer's position next to the commit.
        let snapshot = try await ClientSnapshotSource(admin: c.admin, insight: nil, liveConsumers: registry).snapshot()
        let group = try #require(snapshot.group("audit"))
        #expect(group.state == .stable && group.members.count == 1)
        #expect(group.rows.first?.position == 12 && group.rows.first?.committedOffset == 12)
        #expect(group.rows.first?.memberId == group.members.first?.memberId)

        let controls = PausingControls(consumer: consumer)
        let runner = EffectRunner(client: c.client, admin: c.admin, controls: controls)
        let request = ResetRequest(group: "audit", scope: .topics([.init(topic: "orders", partitions: [0])]), strategy: .toEarliest)
        guard case let .resetPreview(_, plan, activeState) = await runner.run(.previewReset(request)) else {
            Issue.record("no preview"); return
        }
        #expect(activeState == "Stable")
        #expect(plan.entries.map(\.newOffset) == [0] && plan.entries.first?.oldLag == 0 && plan.entries.first?.newLag == 12)

        // Without the pause Kafka refuses; with it, the reset goes through.
        let refused = await runner.run(.executeReset(request, plan: plan, replay: false))
        guard case let .status(refusal)? = refused else { Issue.record("no status"); return }
        #expect(refusal.text.contains("Assignments can only be reset if the group 'audit' is inactive"))
        let replayed = await runner.run(.executeReset(request, plan: plan, replay: true))
        guard case let .status(result)? = replayed else { Issue.record("no status"); return }
        #expect(result.kind == .success, "\(result.text)")
        #expect(controls.pausedGroups == ["audit"])
        #expect(try await c.admin.listConsumerGroupOffsets("audit")[tp]?.offset == 0)
        await runner.close()
    }
}

/// Demo controls whose pause closes the test's consumer (it leaves the group, which becomes
/// Empty), as the demo's pause does for its consumers.
final class PausingControls: DemoControls, @unchecked Sendable {
    let consumer: Consumer
    private let lock = NSLock()
    private var paused: [String] = []

    init(consumer: Consumer) { self.consumer = consumer }

    var pausedGroups: [String] { lock.withLock { paused } }

    func withGroupPaused(_ group: String, _ body: @Sendable () async throws(ClientError) -> String) async throws(ClientError) -> String {
        lock.withLock { paused.append(group) }
        await consumer.close(timeoutMs: 5_000)
        return try await body()
    }

    func stopBroker(_ id: Int32) async throws(ClientError) -> String { "stopped \(id)" }
    func killBroker(_ id: Int32) async throws(ClientError) -> String { "killed \(id)" }
    func startBroker(_ id: Int32) async throws(ClientError) -> String { "started \(id)" }
    func stopController(_ id: Int32) async throws(ClientError) -> String { "stopped controller \(id)" }
    func killController(_ id: Int32) async throws(ClientError) -> String { "killed controller \(id)" }
    func startController(_ id: Int32) async throws(ClientError) -> String { "started controller \(id)" }
    func workloadStatus() -> [DemoWorkerStatus] { [] }
    func setPaused(_ worker: String, _ paused: Bool) async throws(ClientError) -> String { "" }
    func setRate(_ producer: String, recordsPerSecond: Double) async throws(ClientError) -> String { "" }
    func addMember(group: String) async throws(ClientError) -> String { "" }
    func removeMember(group: String) async throws(ClientError) -> String { "" }
    func scenarioCaption() -> String? { nil }
}
