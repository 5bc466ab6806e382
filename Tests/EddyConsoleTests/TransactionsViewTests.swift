import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// The Transactions view: its order (oldest running first), its keys (abort with a
/// confirmation, Enter to the messages), and its rows sampled from a cluster and aborted there.
@Suite struct TransactionsViewTests {
    let model = ConsoleFixture.model()

    func press(_ keys: [Key], _ state: inout ConsoleState, model: ConsoleModel? = nil) -> [ConsoleEffect] {
        keys.flatMap { state.handle($0, model: model ?? self.model) }
    }

    @Test func theOldestRunningTransactionComesFirstAndFinishedOnesLast() {
        let rows = TransactionsView.items(model, ViewState())
        #expect(rows.map { $0.transactionalId ?? "hanging" } == ["hanging", "orders-enricher", "loader", "payments-etl", "audit-tx", "billing-tx"])
        let now = ConsoleFixture.now
        #expect(rows[1].ageMs(nowMs: now) == 124_000 && rows[1].timeoutLeftMs(nowMs: now) == 776_000)
        #expect(rows[2].timeoutLeftMs(nowMs: now) == -19_000, "overdue")
        #expect(rows[5].ageMs(nowMs: now) == nil, "a finished transaction has no age, though it kept its start time")
    }

    @Test func sevenAndTheCommandShowTheView() {
        var state = ConsoleFixture.state(.cluster)
        _ = press([.character("7")], &state)
        #expect(state.view == .transactions)
        state = ConsoleFixture.state(.groups)
        _ = state.runCommand("txns", model: model)
        #expect(state.view == .transactions)
    }

    @Test func abortingAnOngoingTransactionAsksFirstThenAsksTheApp() throws {
        var state = ConsoleFixture.state(.transactions)
        _ = press([.down, .character("a")], &state)
        guard case let .abortTransaction(t, confirm) = try #require(state.dialog) else {
            Issue.record("no abort dialog: \(String(describing: state.dialog))")
            return
        }
        #expect(t.transactionalId == "orders-enricher")
        #expect(confirm.focused == .cancel, "Enter alone does not abort")
        #expect(confirm.message.joined(separator: " ").contains("PRODUCER_FENCED"))
        Snapshot.assert(ConsoleRenderer.render(model: model, state: state, size: state.screen, now: ConsoleFixture.now),
                        named: "console-abort-transaction-80x24")
        var cancelled = state
        #expect(press([.enter], &cancelled).isEmpty && cancelled.dialog == nil)
        #expect(press([.character("y")], &state) == [.abortTransaction(t), .refresh])
    }

    @Test func aHangingTransactionIsAbortedByItsPartitionAndProducer() throws {
        var state = ConsoleFixture.state(.transactions)
        _ = press([.character("a")], &state)
        guard case let .abortTransaction(t, confirm) = try #require(state.dialog) else { return }
        #expect(t.hanging?.producerId == 777 && t.state == "Hanging")
        #expect(confirm.message.joined(separator: " ").contains("ABORT marker is written to orders-1"))
    }

    @Test func onlyOngoingOrHangingTransactionsCanBeAborted() {
        var state = ConsoleFixture.state(.transactions)
        #expect(press([.end, .character("a")], &state).isEmpty)
        #expect(state.dialog == nil)
        #expect(state.status?.text == "transaction billing-tx is CompleteCommit: only an Ongoing or a hanging transaction can be aborted")
        var readOnly = ConsoleFixture.state(.transactions, readOnly: true)
        #expect(press([.character("a")], &readOnly).isEmpty && readOnly.dialog == nil)
        #expect(readOnly.status?.text.hasPrefix("read-only: aborting the hanging transaction of producer 777 refused") == true)
    }

    @Test func aProductionClusterWantsTheTransactionalIdTyped() throws {
        var state = ConsoleFixture.state(.transactions)
        state.typedResetConfirmation = true
        _ = press([.down, .character("a"), .character("y")], &state)
        guard case let .abortTransaction(_, confirm) = try #require(state.dialog) else { return }
        #expect(confirm.typedConfirmation == "orders-enricher" && confirm.typed == "y")
        _ = press([.backspace] + "orders-enricher".map { .character($0) } + [.tab], &state)
        #expect(press([.enter], &state).first == .abortTransaction(TransactionsView.items(model, ViewState())[1]))
    }

    @Test func enterOpensTheFirstPartitionsMessages() {
        var state = ConsoleFixture.state(.transactions)
        let effects = press([.down, .enter], &state)
        let tp = TopicPartition("orders", 1)
        #expect(state.stack == [.transactions, .messages(tp)])
        #expect(effects == [.loadMessages(MessagesQuery(topicPartition: tp, start: .offset(1100)))], "from the LSO the open transaction holds")
        _ = press([.escape], &state)
        #expect(state.view == .transactions)
        // A finished transaction's partition opens at the latest records.
        _ = press([.end, .enter], &state)
        #expect(state.stack == [.transactions, .messages(TopicPartition("payments", 1))])
        #expect(state.pendingMessages == MessagesQuery(topicPartition: TopicPartition("payments", 1), start: .latest))
    }

    @Test func aClusterWithoutListTransactionsIsSaidSo() {
        var model = ConsoleModel()
        var snapshot = ConsoleFixture.snapshot(step: 0)
        snapshot.transactions = nil
        model.append(snapshot)
        let grid = ConsoleRenderer.render(model: model, state: ConsoleFixture.state(.transactions), size: ScreenSize(width: 80, height: 24),
                                          now: ConsoleFixture.t0)
        #expect(grid.plainText().contains("The cluster lists no transactions"))
    }
}

/// Sampled from a cluster: a producer's open transaction and a hanging one appear; aborting
/// them from the view ends both, fencing the producer.
@Suite(.serialized) struct TransactionsSampleTests {
    @Test func openAndHangingTransactionsAreSampledAndAborted() async throws {
        let t = try ConsoleTestCluster()
        defer { t.shutdown() }
        _ = try await t.admin.createTopics([.init(name: "t", numPartitions: 2, replicationFactor: 1)])
        let tp0 = TopicPartition("t", 0), tp1 = TopicPartition("t", 1)
        // A transaction no coordinator knows, written straight to the leader, long ago.
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: 777, producerEpoch: 3, baseSequence: 0)
        b.append(timestamp: 1_700_000_000_000, key: nil, value: Array("hanging".utf8))
        _ = try t.cluster.produce(tp1, records: b.build().bytes)

        let liveClient = KafkaClient(transport: t.cluster.transport, bootstrapNodes: t.cluster.runningBrokers, clientId: "live",
                                     requestTimeoutMs: 5_000, retryBackoffMs: 10)
        defer { liveClient.close() }
        var config = ProducerConfig()
        config.transactionalId = "live"
        config.lingerMs = 0
        let live = try Producer(config: config, client: liveClient)
        try await live.initTransactions()
        try live.beginTransaction()
        _ = try await live.send(ProducerRecord(topic: "t", partition: 0, value: Array("open".utf8)))

        let source = ClientSnapshotSource(admin: t.admin, insight: nil, liveConsumers: LiveConsumers())
        let sample = try await source.snapshot()
        let rows = try #require(sample.transactions)
        let open = try #require(rows.first { $0.transactionalId == "live" })
        #expect(open.state == "Ongoing" && open.partitions == [tp0] && open.startTimeMs != nil && open.timeoutLeftMs(nowMs: sample.takenAtMs) != nil)
        let hanging = try #require(rows.first { $0.hanging != nil })
        #expect(hanging.producerId == 777 && hanging.partitions == [tp1] && hanging.hanging?.startOffset == 0)
        #expect(rows.count == 2, "\(rows)")

        // Not silent long enough: not hanging yet.
        let patient = ClientSnapshotSource(admin: t.admin, insight: nil, liveConsumers: LiveConsumers(), hangingAfterMs: .max / 2)
        #expect(try await patient.snapshot().transactions?.contains { $0.hanging != nil } == false)

        let runner = EffectRunner(client: t.client, admin: t.admin, controls: nil)
        let aborted = await runner.run(.abortTransaction(open))
        guard case let .status(message)? = aborted, message.kind == .success else {
            Issue.record("abort failed: \(String(describing: aborted))")
            return
        }
        let abortedHanging = await runner.run(.abortTransaction(hanging))
        guard case let .status(hangingMessage)? = abortedHanging, hangingMessage.kind == .success else {
            Issue.record("abort of the hanging transaction failed: \(String(describing: abortedHanging))")
            return
        }
        await runner.close()

        let after = try #require(try await source.snapshot().transactions)
        #expect(after.map(\.transactionalId) == ["live"], "the hanging one is gone: \(after)")
        #expect(after.first?.state == "CompleteAbort" || after.first?.state == "Empty")
        #expect(after.first.map { $0.producerEpoch > open.producerEpoch } == true, "the epoch was bumped")
        for tp in [tp0, tp1] {
            let offsets = try await t.admin.logOffsets([tp])[tp]
            #expect(offsets?.lastStableOffset == offsets?.highWatermark, "\(tp) is no longer held: \(String(describing: offsets))")
        }
        // The producer that left it open is fenced.
        await #expect(throws: ClientError.self) { try await live.commitTransaction() }
        await live.close()
    }

    /// A broker that does not answer (killed, not fenced yet, still in Metadata) costs only the
    /// transactions it coordinates: the others stay listed, and the sample says which broker
    /// was not.
    @Test func aBrokerThatDoesNotAnswerHidesOnlyItsOwnTransactions() async throws {
        let t = try ConsoleTestCluster()
        defer { t.shutdown() }
        _ = try await t.admin.createTopics([.init(name: "t", numPartitions: 1, replicationFactor: 3)])
        var config = ProducerConfig()
        config.transactionalId = "survivor"
        config.lingerMs = 0
        let producer = try Producer(config: config, client: t.client)
        try await producer.initTransactions()
        let coordinator = try #require(try await t.admin.describeTransactions(["survivor"])["survivor"]?.coordinator)
        let silent = try #require(t.cluster.runningBrokers.first { $0 != coordinator })
        let client = KafkaClient(transport: SilentNode(inner: t.cluster.transport, node: silent, api: .listTransactions),
                                 bootstrapNodes: t.cluster.runningBrokers, clientId: "silent", requestTimeoutMs: 2_000)
        defer { client.close() }
        let source = ClientSnapshotSource(admin: Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 2_000)), insight: nil,
                                          liveConsumers: LiveConsumers())
        let sample = try await source.snapshot()
        #expect(sample.transactions?.map(\.transactionalId) == ["survivor"], "\(String(describing: sample.transactions))")
        #expect(sample.problems.contains { $0.hasPrefix("transactions of broker \(silent) not listed") }, "\(sample.problems)")
        await producer.close()
    }
}

/// Fails one node's requests of one API as a broker that does not answer would.
private struct SilentNode: Transport {
    let inner: any Transport
    let node: Int32
    let api: ApiKey

    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard node == self.node, request.apiKey == api else { return inner.send(request, to: node, context: context, completion: completion) }
        completion(.failure(.disconnected(node)))
    }
}
