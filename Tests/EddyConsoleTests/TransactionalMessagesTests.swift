import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// The Messages view shows transactions as the log holds them: COMMIT and ABORT markers as
/// rows of their own, aborted records dimmed, open ones said to be open.
@Suite struct TransactionalMessagesTests {
    @Test func markersAreRowsAndAbortedRecordsAreMarked() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try c.cluster.createTopic("ledger", partitions: 1, replicationFactor: 1)
        let tp = TopicPartition("ledger", 0)
        try await c.produce(tp, count: 1)                                              // 0: plain
        var config = ProducerConfig()
        config.transactionalId = "ledger-tx"
        config.lingerMs = 0
        let producer = try Producer(config: config, client: c.client)
        try await producer.initTransactions()
        for (value, commit) in [("kept", true), ("dropped", false)] {
            try producer.beginTransaction()
            _ = try await producer.send(ProducerRecord(topic: "ledger", partition: 0, value: Array(value.utf8)))
            _ = try await producer.send(ProducerRecord(topic: "ledger", partition: 0, value: Array((value + "-2").utf8)))
            if commit { try await producer.commitTransaction() } else { try await producer.abortTransaction() }
        }                                                                               // 1-2 kept, 3 COMMIT, 4-5 dropped, 6 ABORT
        try producer.beginTransaction()
        _ = try await producer.send(ProducerRecord(topic: "ledger", partition: 0, value: Array("pending".utf8)))   // 7: open

        let page = try await MessagesReader(admin: c.admin).read(MessagesQuery(topicPartition: tp, start: .earliest))
        #expect(page.records.map(\.offset) == Array(0...7))
        #expect(page.records.map { $0.marker?.committed } == [nil, nil, nil, true, nil, nil, false, nil])
        #expect(page.records.map { $0.transaction?.fate } == [nil, .committed, .committed, nil, .aborted, .aborted, nil, .open])
        #expect(page.records[3].marker?.producerId == page.records[1].transaction?.producerId)

        // A page that ends inside the aborted transaction still knows it was aborted.
        let short = try await MessagesReader(admin: c.admin).read(MessagesQuery(topicPartition: tp, start: .offset(4), limit: 1))
        #expect(short.records.map(\.offset) == [4] && short.records.first?.isAborted == true)

        var state = ConsoleFixture.state(.topics, size: ScreenSize(width: 100, height: 30))
        var model = ConsoleModel()
        model.append(ConsoleSnapshot(takenAtMs: ConsoleFixture.t0))
        #expect(state.runCommand("messages ledger 0", model: model) == [.loadMessages(MessagesQuery(topicPartition: tp, start: .latest))])
        _ = state.receive(.messages(Self.fixed(page)), model: model)
        _ = state.handle(.home, model: model)
        for _ in 0..<4 { _ = state.handle(.down, model: model) }
        Snapshot.assert(ConsoleRenderer.render(model: model, state: state, size: state.screen, now: ConsoleFixture.t0),
                        named: "console-messages-transactions-100x30")
        try await producer.abortTransaction()
        await producer.close()
    }

    /// A page whose reading stopped early (its poll budget spent) shows no marker past where
    /// it got: the next page starts there, and nothing between is skipped.
    @Test func aPageCutShortHasNoMarkersBeyondWhereItStopped() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try c.cluster.createTopic("cut", partitions: 1, replicationFactor: 1)
        let tp = TopicPartition("cut", 0)
        var config = ProducerConfig()
        config.transactionalId = "cut-tx"
        config.lingerMs = 0
        let producer = try Producer(config: config, client: c.client)
        try await producer.initTransactions()
        try producer.beginTransaction()
        _ = try await producer.send(ProducerRecord(topic: "cut", partition: 0, value: Array("a".utf8)))   // 0
        try await producer.commitTransaction()                                                          // 1: COMMIT
        await producer.close()
        var reader = MessagesReader(admin: c.admin)
        reader.pollBudgetMs = 0
        let page = try await reader.read(MessagesQuery(topicPartition: tp, start: .earliest))
        #expect(page.records.isEmpty, "\(page.records)")
    }

    /// The page with fixed timestamps and producer id, for the snapshot.
    static func fixed(_ page: MessagesPage) -> MessagesPage {
        var page = page
        page.query = MessagesQuery(topicPartition: page.query.topicPartition, start: .latest)
        page.records = page.records.enumerated().map { i, r in
            var r = r
            r.timestamp = ConsoleFixture.t0 + Int64(i) * 1000
            r.marker?.timestamp = r.timestamp
            r.marker?.producerId = 4000
            r.transaction?.producerId = 4000
            return r
        }
        return page
    }
}
