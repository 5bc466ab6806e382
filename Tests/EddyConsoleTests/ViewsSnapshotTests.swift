import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// A fixed cluster for the view tests: 3 brokers (broker 3 stopped), topics orders (6
/// partitions, RF 3; partition 4 has lost broker 3 from its ISR, partition 5 is offline),
/// payments (3) and customers (compacted), groups shipping (3 members on orders), billing (1 on
/// payments) and audit (lagging, on orders). `snapshot(step:)` is the sample `step` seconds
/// after the first; offsets grow by a fixed rate per partition, so rates are known exactly.
enum ConsoleFixture {
    static let t0: Int64 = 1_717_243_200_000  // 2024-06-01 12:00:00 UTC
    static let utc = TimeZone(identifier: "UTC")!

    /// Records per second appended to orders-p.
    static func ordersRate(_ p: Int32) -> Int64 { 10 + Int64(p) * 5 }

    /// A counter after `step` seconds that grows by `base + amplitude * (k % period)` in
    /// second k: a rate that varies, so sparklines show a shape.
    static func cumulative(_ step: Int64, base: Int64, amplitude: Int64, period: Int64) -> Int64 {
        guard step > 0 else { return 0 }
        return (1...step).reduce(0) { $0 + base + amplitude * ($1 % period) }
    }

    static func snapshot(step: Int) -> ConsoleSnapshot {
        let s = Int64(step)
        func orders(_ p: Int32) -> PartitionSnapshot {
            let replicas: [Int32] = [Int32(p % 3 + 1), Int32((p + 1) % 3 + 1), Int32((p + 2) % 3 + 1)]
            let end = 1000 + cumulative(s, base: ordersRate(p), amplitude: 3, period: 5)
            if p == 5 {
                return PartitionSnapshot(partition: p, leader: nil, replicas: replicas, isr: [3])
            }
            let isr = replicas.filter { $0 != 3 }
            // Partition 1 has an open transaction that holds its last stable offset at 1100.
            return PartitionSnapshot(partition: p, leader: replicas[0] == 3 ? replicas[1] : replicas[0], replicas: replicas,
                                     isr: p == 4 ? isr : (p % 2 == 0 ? replicas : isr), logStartOffset: 100 * Int64(p),
                                     logEndOffset: end, highWatermark: end - Int64(p), sizeBytes: end * 150,
                                     lastStableOffset: p == 1 ? 1100 : end - Int64(p))
        }
        let ordersTopic = TopicSnapshot(name: "orders", partitions: (0..<6).map { orders(Int32($0)) }, retentionMs: 604_800_000,
                                        retentionBytes: -1, cleanupPolicy: "delete")
        let payments = TopicSnapshot(name: "payments", partitions: (0..<3).map { p in
            let end = 500 + cumulative(s, base: 4, amplitude: 1, period: 3)
            return PartitionSnapshot(partition: Int32(p), leader: Int32(p % 2 + 1), replicas: [Int32(p % 2 + 1), Int32((p + 1) % 2 + 1)],
                                     isr: [Int32(p % 2 + 1), Int32((p + 1) % 2 + 1)], logStartOffset: 0, logEndOffset: end, highWatermark: end,
                                     sizeBytes: end * 90)
        }, retentionMs: 86_400_000, retentionBytes: 1_073_741_824, cleanupPolicy: "delete")
        let customers = TopicSnapshot(name: "customers", partitions: [
            PartitionSnapshot(partition: 0, leader: 2, replicas: [2, 1], isr: [2, 1], logStartOffset: 0, logEndOffset: 40 + s,
                              highWatermark: 40 + s, sizeBytes: 4096),
        ], retentionMs: -1, cleanupPolicy: "compact")
        let offsets = TopicSnapshot(name: "__consumer_offsets", isInternal: true, partitions: [
            PartitionSnapshot(partition: 0, leader: 1, replicas: [1, 2], isr: [1, 2], logStartOffset: 0, logEndOffset: 9 + s, highWatermark: 9 + s, sizeBytes: 2048),
        ], retentionMs: 604_800_000, cleanupPolicy: "compact")

        func member(_ group: String, _ i: Int, _ tps: [TopicPartition]) -> Admin.MemberDescription {
            Admin.MemberDescription(memberId: "\(group)-\(i)-7f3a", clientId: "\(group)-\(i)", host: "/127.0.0.1", assignment: tps)
        }
        let shippingMembers = (0..<3).map { i in member("shipping", i, [TopicPartition("orders", Int32(2 * i)), TopicPartition("orders", Int32(2 * i + 1))]) }
        let shippingRows = (0..<6).map { p -> GroupPositions.Row in
            let o = orders(Int32(p))
            let hw = o.highWatermark
            return GroupPositions.Row(topicPartition: TopicPartition("orders", Int32(p)), logStartOffset: o.logStartOffset,
                                      logEndOffset: o.logEndOffset, highWatermark: hw, position: hw.map { $0 - 2 },
                                      committedOffset: hw.map { $0 - 12 }, memberId: "shipping-\(p / 2)-7f3a", clientId: "shipping-\(p / 2)", host: "/127.0.0.1",
                                      committedRecordTimestampMs: t0 + 1000 * s - 42_000 - 1000 * Int64(p), status: p == 2 ? .warn : .ok,
                                      lastStableOffset: o.lastStableOffset)
        }
        let auditRows = (0..<6).map { p -> GroupPositions.Row in
            let o = orders(Int32(p))
            let consumed = 100 * Int64(p) + cumulative(s, base: 2, amplitude: 1, period: 4)
            // Partition 5 lost 30 records to retention before audit read them.
            return GroupPositions.Row(topicPartition: TopicPartition("orders", Int32(p)), logStartOffset: p == 5 ? consumed + 30 : o.logStartOffset,
                                      logEndOffset: o.logEndOffset, highWatermark: o.highWatermark, position: p < 3 ? consumed + 5 : nil,
                                      committedOffset: consumed, memberId: p < 3 ? "audit-0-7f3a" : nil, clientId: p < 3 ? "audit-0" : nil,
                                      committedRecordTimestampMs: t0 + 1000 * s - 3_600_000, status: p == 1 ? .stall : p == 3 ? .stop : nil,
                                      lastStableOffset: o.lastStableOffset)
        }
        let billingRows = (0..<3).map { p -> GroupPositions.Row in
            let end = 500 + cumulative(s, base: 4, amplitude: 1, period: 3)
            return GroupPositions.Row(topicPartition: TopicPartition("payments", Int32(p)), logStartOffset: 0, logEndOffset: end,
                               highWatermark: end, position: end, committedOffset: end - 2, memberId: "billing-0-7f3a",
                               clientId: "billing-0", host: "/127.0.0.1")
        }
        return ConsoleSnapshot(
            takenAtMs: t0 + 1000 * s, clusterId: "demo-cluster", controllerId: 1,
            brokers: [
                BrokerSnapshot(id: 1, state: .running, isController: true, bytesIn: cumulative(s, base: 20_000, amplitude: 4_000, period: 7),
                               bytesOut: cumulative(s, base: 45_000, amplitude: 5_000, period: 6)),
                BrokerSnapshot(id: 2, state: .running, isController: false, bytesIn: cumulative(s, base: 12_000, amplitude: 3_000, period: 5),
                               bytesOut: cumulative(s, base: 30_000, amplitude: 2_000, period: 4)),
                BrokerSnapshot(id: 3, state: .stopped, isController: false, bytesIn: 0, bytesOut: 0),
            ],
            topics: [ordersTopic, payments, customers, offsets],
            groups: [
                GroupSnapshot(groupId: "shipping", state: .stable, assignor: "range", coordinator: 2, members: shippingMembers, rows: shippingRows),
                GroupSnapshot(groupId: "billing", state: .stable, assignor: "range", coordinator: 1,
                              members: [member("billing", 0, (0..<3).map { TopicPartition("payments", Int32($0)) })], rows: billingRows),
                GroupSnapshot(groupId: "audit", state: .stable, assignor: "range", coordinator: 1,
                              members: [member("audit", 0, (0..<3).map { TopicPartition("orders", Int32($0)) })], rows: auditRows),
            ], transactions: transactions)
    }

    /// Transactions: two Ongoing (one past a minute), one overdue, finished ones, and a hanging
    /// one on orders-1 (whose LSO is held).
    static let transactions: [TransactionSnapshot] = [
        TransactionSnapshot(transactionalId: "audit-tx", state: "Empty", producerId: 4003, producerEpoch: 0, coordinator: 1, timeoutMs: 60_000),
        TransactionSnapshot(transactionalId: "billing-tx", state: "CompleteCommit", producerId: 4000, producerEpoch: 5, coordinator: 2,
                            timeoutMs: 60_000, startTimeMs: t0 - 5_000, partitions: [TopicPartition("payments", 1)]),
        TransactionSnapshot(transactionalId: "loader", state: "Ongoing", producerId: 4004, producerEpoch: 1, coordinator: 1, timeoutMs: 60_000,
                            startTimeMs: t0 - 50_000, partitions: [TopicPartition("customers", 0)]),
        TransactionSnapshot(transactionalId: "orders-enricher", state: "Ongoing", producerId: 4002, producerEpoch: 3, coordinator: 2,
                            timeoutMs: 900_000, startTimeMs: t0 - 95_000, partitions: [TopicPartition("orders", 1), TopicPartition("payments", 0)]),
        TransactionSnapshot(transactionalId: "payments-etl", state: "Ongoing", producerId: 4001, producerEpoch: 0, coordinator: 1,
                            timeoutMs: 60_000, startTimeMs: t0 + 10_000, partitions: [TopicPartition("payments", 2)]),
        TransactionSnapshot(hanging: HangingTransaction(topicPartition: TopicPartition("orders", 1), producerId: 777, producerEpoch: 3,
                                                        coordinatorEpoch: -1, startOffset: 1100, lastTimestamp: t0 - 1_500_000)),
    ]

    static let workers: [DemoWorkerStatus] = [
        DemoWorkerStatus(name: "orders-producer", kind: .producer, group: nil, topic: "orders", paused: false, recordsPerSecond: 20),
        DemoWorkerStatus(name: "payments-producer", kind: .producer, group: nil, topic: "payments", paused: false, recordsPerSecond: 4),
        DemoWorkerStatus(name: "shipping-1", kind: .consumer, group: "shipping", topic: "orders", paused: false, recordsPerSecond: nil),
        DemoWorkerStatus(name: "audit-1", kind: .consumer, group: "audit", topic: "orders", paused: true, recordsPerSecond: nil),
    ]

    /// A model with `samples` samples (the last at t0 + samples - 1 seconds).
    static func model(samples: Int = 30, demo: Bool = true) -> ConsoleModel {
        var model = ConsoleModel()
        for step in 0..<samples { model.append(snapshot(step: step)) }
        if demo { model.workers = workers }
        return model
    }

    static var now: Int64 { t0 + 29_000 }

    static func state(_ view: ConsoleView, size: ScreenSize = ScreenSize(width: 80, height: 24), glyphs: Glyphs = .unicode,
                      readOnly: Bool = false, controls: Bool = true) -> ConsoleState {
        ConsoleState(clusterName: "demo", readOnly: readOnly, hasDemoControls: controls, refreshIntervalMs: 1000, glyphs: glyphs,
                     timeZone: utc, screen: size, view: view)
    }

    /// Records for the Messages view: JSON order events, a null key, a header, a binary value.
    static let records: [MessageRecord] = (0..<8).map { i in
        let offset = Int64(120 + i)
        let value: [UInt8]? = switch i {
        case 5: [0x00, 0x01, 0xFF, 0x7F, 0x41]
        case 6: nil
        default: Array(#"{"order":"o-\#(1000 + i)","status":"\#(["confirmed", "updated", "canceled"][i % 3])","amount":\#(12 + i).5,"items":[1,2]}"#.utf8)
        }
        return MessageRecord(offset: offset, timestamp: t0 + Int64(i) * 250, key: i == 3 ? nil : Array("order-\(1000 + i)".utf8), value: value,
                             headers: i == 2 ? [RecordHeader(key: "source", value: Array("web".utf8))] : [])
    }

    static func messagesPage(_ tp: TopicPartition = TopicPartition("orders", 1)) -> MessagesPage {
        MessagesPage(query: MessagesQuery(topicPartition: tp, start: .offset(120)), records: records, logStartOffset: 100, highWatermark: 1144)
    }
}

/// Every view rendered at 80x24 and 160x48 from the fixed model and time, compared with
/// `Snapshots/console-*.txt` (text and styles).
@Suite struct ViewsSnapshotTests {
    static let sizes = [ScreenSize(width: 80, height: 24), ScreenSize(width: 160, height: 48)]

    static func render(_ state: ConsoleState, model: ConsoleModel = ConsoleFixture.model()) -> CellGrid {
        ConsoleRenderer.render(model: model, state: state, size: state.screen, now: ConsoleFixture.now)
    }

    static func name(_ view: String, _ size: ScreenSize) -> String { "console-\(view)-\(size.width)x\(size.height)" }

    @Test(arguments: sizes) func cluster(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.cluster, size: size)), named: Self.name("cluster", size))
    }

    @Test(arguments: sizes) func topics(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.topics, size: size)), named: Self.name("topics", size))
    }

    @Test(arguments: sizes) func topicDetail(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.topic("orders"), size: size)), named: Self.name("topic-orders", size))
    }

    @Test(arguments: sizes) func groups(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.groups, size: size)), named: Self.name("groups", size))
    }

    @Test(arguments: sizes) func groupDetail(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.group("audit"), size: size)), named: Self.name("group-audit", size))
    }

    @Test(arguments: sizes) func transactions(size: ScreenSize) {
        Snapshot.assert(Self.render(ConsoleFixture.state(.transactions, size: size)), named: Self.name("transactions", size))
    }

    @Test(arguments: sizes) func messages(size: ScreenSize) {
        var state = ConsoleFixture.state(.topics, size: size)
        let model = ConsoleFixture.model()
        _ = state.runCommand("messages orders 1 120", model: model)
        _ = state.receive(.messages(ConsoleFixture.messagesPage()), model: model)
        Snapshot.assert(Self.render(state, model: model), named: Self.name("messages", size))
    }
}

/// Dialogs, overlays and modes over the views, at 80x24 (and the ASCII fallback).
@Suite struct ViewsDialogSnapshotTests {
    static let model = ConsoleFixture.model()

    static func render(_ state: ConsoleState, model: ConsoleModel = ViewsDialogSnapshotTests.model) -> CellGrid {
        ConsoleRenderer.render(model: model, state: state, size: state.screen, now: ConsoleFixture.now)
    }

    static func press(_ keys: [Key], _ state: inout ConsoleState, model: ConsoleModel = ViewsDialogSnapshotTests.model) -> [ConsoleEffect] {
        keys.flatMap { state.handle($0, model: model) }
    }

    static func type(_ text: String) -> [Key] { text.map { Key.character($0) } }

    @Test func helpOverlay() {
        var state = ConsoleFixture.state(.topics)
        _ = Self.press([.character("?")], &state)
        Snapshot.assert(Self.render(state), named: "console-help-80x24")
    }

    @Test func resetDialogWithShiftByOnOnePartition() {
        var state = ConsoleFixture.state(.group("audit"))
        _ = Self.press([.down, .character("r"), .down, .down, .down, .down, .tab] + Self.type("-100") + [.tab, .right, .right], &state)
        Snapshot.assert(Self.render(state), named: "console-reset-form-80x24")
    }

    @Test func resetPreviewOfAnActiveDemoGroupOffersReplay() throws {
        var state = ConsoleFixture.state(.group("audit"))
        let effects = Self.press([.character("r"), .enter], &state)
        let request = ResetRequest(group: "audit", scope: .allTopics, strategy: .toEarliest)
        #expect(effects == [.previewReset(request)])
        let entries = (0..<5).map { (p: Int) -> OffsetResetPlan.Entry in
            let start = Int64(100 * p)
            let hw: Int64 = 1100 + Int64(150 * p)
            return OffsetResetPlan.Entry(topicPartition: TopicPartition("orders", Int32(p)), oldOffset: start + 58, newOffset: start,
                                         requestedOffset: start, logStartOffset: start, highWatermark: hw)
        }
        let plan = OffsetResetPlan(group: "audit", entries: entries, warnings: [])
        _ = state.receive(.resetPreview(request, plan, activeState: "Stable"), model: Self.model)
        Snapshot.assert(Self.render(state), named: "console-reset-preview-80x24")
    }

    @Test func produceDialog() {
        var state = ConsoleFixture.state(.topic("orders"))
        _ = Self.press([.character("p")] + Self.type(#"{"order":"o-1"}"#) + [.tab] + Self.type("source=console"), &state)
        Snapshot.assert(Self.render(state), named: "console-produce-80x24")
    }

    @Test func createTopicDialogWithAnError() {
        var state = ConsoleFixture.state(.topics)
        _ = Self.press([.character("n")] + Self.type("audit-log") + [.tab, .backspace, .enter], &state)
        Snapshot.assert(Self.render(state), named: "console-create-topic-80x24")
    }

    @Test func demoMenuOnTheClusterView() {
        var state = ConsoleFixture.state(.cluster)
        _ = Self.press([.character("d")], &state)
        Snapshot.assert(Self.render(state), named: "console-demo-menu-80x24")
    }

    @Test func groupDetailInASCII() {
        let state = ConsoleFixture.state(.group("shipping"), glyphs: .ascii)
        let grid = Self.render(state)
        #expect(grid.isASCII)
        Snapshot.assert(grid, named: "console-group-shipping-ascii-80x24")
    }

    @Test func everyViewAndDialogIsPlainASCIIWithTheASCIIGlyphs() {
        let views: [ConsoleView] = [.cluster, .topics, .topic("orders"), .groups, .group("audit"), .messages(TopicPartition("orders", 1)),
                                    .transactions]
        for view in views {
            var state = ConsoleFixture.state(view, glyphs: .ascii)
            _ = state.receive(.messages(ConsoleFixture.messagesPage()), model: Self.model)
            #expect(Self.nonASCII(Self.render(state)) == "", "\(view)")
            for key in ["?", "p", "n", "d", "r", ":", "a"] {
                var withDialog = state
                _ = Self.press([.character(Character(key))], &withDialog)
                #expect(Self.nonASCII(Self.render(withDialog)) == "", "\(view) with \(key)")
            }
        }
    }

    /// The distinct non-ASCII characters of a grid.
    static func nonASCII(_ grid: CellGrid) -> String {
        String(Set(grid.cells.map(\.character).filter { !$0.isASCII }).sorted())
    }

    @Test func tooSmallScreen() {
        let state = ConsoleFixture.state(.topics, size: ScreenSize(width: 70, height: 20))
        let grid = Self.render(state)
        #expect(grid.plainText().contains("70x20, eddy needs at least 80x24"))
    }

    @Test func commandLineFilterReadOnlyAndCaption() {
        var model = Self.model
        model.caption = "[failover 1/3] Stop the leader of orders-0: press x on broker 1. Watch the ISR shrink."
        var state = ConsoleFixture.state(.topics, readOnly: true)
        _ = Self.press([.character("/")] + Self.type("or") + [.enter, .character("p")], &state, model: model)
        _ = Self.press([.character(":")] + Self.type("theme da"), &state, model: model)
        Snapshot.assert(Self.render(state, model: model), named: "console-modes-80x24")
    }

    @Test(arguments: [ValueFormat.json, .hex]) func messagesFormats(format: ValueFormat) {
        var state = ConsoleFixture.state(.topics, size: ScreenSize(width: 100, height: 30))
        _ = state.runCommand("messages orders 1 120", model: Self.model)
        _ = state.receive(.messages(ConsoleFixture.messagesPage()), model: Self.model)
        while state.valueFormat != format { _ = Self.press([.character("v")], &state) }
        _ = Self.press([.down, .down], &state)
        Snapshot.assert(Self.render(state), named: "console-messages-\(format == .json ? "json" : "hex")-100x30")
    }
}
