import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// `ExactlyOnceProcessor`: each input's outputs reach read_committed consumers exactly
    /// once, through a failed transform and through a processor that dies in the middle of a
    /// transaction and is replaced by a new instance with the same transactional.id.
    @Suite struct ExactlyOnceProcessorTests {
        final class FailOnce: @unchecked Sendable {
            private let lock = NSLock()
            private var failed = false
            /// Throws the first time it sees `value`.
            func check(_ records: [ConsumerRecord], value: String) throws {
                try lock.withLock {
                    guard !failed, records.contains(where: { $0.text == value }) else { return }
                    failed = true
                    throw ClientError.illegalState("transform failed on \(value)")
                }
            }
        }

        func processor(_ t: ConsumerTestCluster, client: String) throws -> ExactlyOnceProcessor<String, String> {
            var c = t.config(group: "eos", autoCommit: false)
            c.isolationLevel = .readCommitted
            c.maxPollRecords = 4
            let consumer = try Consumer(client: t.client("\(client)-consumer"), config: c)
            var p = testProducerConfig { $0.transactionalId = "eos-1" }
            p.lingerMs = 0
            let producer = try Producer(config: p, client: t.client("\(client)-producer"), keySerializer: StringSerializer(),
                                        valueSerializer: StringSerializer())
            return try ExactlyOnceProcessor(consumer: consumer, producer: producer)
        }

        static let upper: @Sendable ([ConsumerRecord]) async throws -> [ProducerRecord<String, String>] = { records in
            records.map { ProducerRecord(topic: "out", partition: 0, value: $0.text.uppercased()) }
        }

        @Test func everyInputIsOutputOnceThroughFailuresAndAReplacedInstance() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("in", partitions: 1)
            try await t.createTopic("out", partitions: 1)
            try t.produce("in", partition: 0, (0 ..< 24).map { "r\($0)" })

            let a = try processor(t, client: "a")
            try await a.consumer.subscribe(topics: ["in"])
            let failOnce = FailOnce()
            var done = 0
            var failures = 0
            while done < 12 {
                do {
                    done += try await a.process(timeoutMs: 100) { records in
                        try failOnce.check(records, value: "r5")
                        return try await Self.upper(records)
                    }
                } catch {
                    failures += 1
                }
            }
            #expect(failures == 1)
            // The instance dies in the middle of a transaction: outputs sent, nothing committed.
            let batch = try await pollRecords(a.consumer, count: 1)
            try a.producer.beginTransaction()
            for r in batch { _ = try await a.producer.send(ProducerRecord(topic: "out", partition: 0, value: r.text.uppercased())) }
            await a.consumer.close()

            // Its replacement fences it (aborting its transaction) and resumes from the offsets
            // the last committed transaction stored.
            let b = try processor(t, client: "b")
            try await b.consumer.subscribe(topics: ["in"])
            var rest = 0
            let deadline = Date().addingTimeInterval(60)
            while done + rest < 24, Date() < deadline { rest += try await b.process(timeoutMs: 100, Self.upper) }
            #expect(done + rest == 24)
            await #expect(throws: ClientError.self) { try await a.producer.commitTransaction() }

            var c = t.config(group: nil)
            c.isolationLevel = .readCommitted
            let out = try Consumer(client: t.client("check"), config: c)
            defer { Task { await out.close() } }
            try await out.assign([TopicPartition("out", 0)])
            #expect(try await pollRecords(out, count: 24).map(\.text) == (0 ..< 24).map { "R\($0)" })
            #expect(try await out.poll(timeoutMs: 300).isEmpty, "no duplicate follows")
            await b.consumer.close()
            await b.producer.close()
            await a.producer.close()
        }

        /// The commit reaches the coordinator but its answer is lost: the processor must not
        /// abort it (the coordinator would refuse, and the batch would be read again) but commit
        /// again in the next round; the batch's outputs appear once.
        @Test func aCommitWhoseAnswerWasLostIsCommittedAgainNotAborted() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("in", partitions: 1)
            try await t.createTopic("out", partitions: 1)
            try t.produce("in", partition: 0, (0 ..< 6).map { "r\($0)" })
            var c = t.config(group: "eos", autoCommit: false)
            c.isolationLevel = .readCommitted
            let consumer = try Consumer(client: t.client("lossy-consumer"), config: c)
            let transport = BlockingTransport(t.cluster.transport, api: .endTxn, losesResponses: true)
            var p = testProducerConfig { $0.transactionalId = "eos-lossy" }
            p.lingerMs = 0
            p.maxBlockMs = 300
            p.requestTimeoutMs = 100
            let producer = try Producer(config: p, client: KafkaClient(transport: transport, bootstrapNodes: t.cluster.runningBrokers,
                                                                       clientId: "lossy", requestTimeoutMs: 100, retryBackoffMs: 20),
                                        keySerializer: StringSerializer(), valueSerializer: StringSerializer())
            let processor = try ExactlyOnceProcessor(consumer: consumer, producer: producer)
            try await consumer.subscribe(topics: ["in"])
            try await producer.initTransactions()
            transport.blocked = true
            var failed = false
            let deadline = Date().addingTimeInterval(30)
            while !failed, Date() < deadline {
                do { _ = try await processor.process(timeoutMs: 100, Self.upper) } catch { failed = true }
            }
            #expect(failed && producer.isCommitUnanswered)
            transport.blocked = false
            // The next round commits the unanswered transaction again, then the rest is processed.
            for _ in 0 ..< 10 { _ = try await processor.process(timeoutMs: 100, Self.upper) }
            var check = t.config(group: nil)
            check.isolationLevel = .readCommitted
            let out = try Consumer(client: t.client("check"), config: check)
            defer { Task { await out.close() } }
            try await out.assign([TopicPartition("out", 0)])
            #expect(try await pollRecords(out, count: 6).map(\.text) == (0 ..< 6).map { "R\($0)" })
            #expect(try await out.poll(timeoutMs: 300).isEmpty, "no duplicate follows")
            await consumer.close()
            await producer.close()
        }

        @Test func itNeedsATransactionalProducerAndAReadCommittedGroupWithoutAutoCommit() throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            let plain = try Producer(config: testProducerConfig(), client: t.client("p"), keySerializer: StringSerializer(),
                                     valueSerializer: StringSerializer())
            var c = t.config(group: "g", autoCommit: false)
            c.isolationLevel = .readCommitted
            #expect(throws: ClientError.self) { try ExactlyOnceProcessor(consumer: try Consumer(client: t.client("c"), config: c), producer: plain) }
            let txn = try Producer(config: testProducerConfig { $0.transactionalId = "x" }, client: t.client("q"),
                                   keySerializer: StringSerializer(), valueSerializer: StringSerializer())
            c.isolationLevel = .readUncommitted
            #expect(throws: ClientError.self) { try ExactlyOnceProcessor(consumer: try Consumer(client: t.client("d"), config: c), producer: txn) }
            // enable.auto.commit is on unless turned off: the default is refused too.
            var auto = t.config(group: "g")
            auto.isolationLevel = .readCommitted
            #expect(auto.enableAutoCommit == nil)
            #expect(throws: ClientError.self) { try ExactlyOnceProcessor(consumer: try Consumer(client: t.client("e"), config: auto), producer: txn) }
        }
    }
}
