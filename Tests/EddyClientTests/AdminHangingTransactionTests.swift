import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// DescribeProducers, find-hanging and abortTransaction: a transaction no coordinator knows
    /// (its batch written straight to the leader) holds the last stable offset until an admin
    /// aborts it; a transaction its coordinator runs is not hanging.
    @Suite struct AdminHangingTransactionTests {
        @Test func aHangingTransactionIsFoundAndAborted() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let tp = TopicPartition("t", 0)
            try t.produce("t", partition: 0, ["before"])
            var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: 777, producerEpoch: 3,
                                       baseSequence: 0)
            b.append(timestamp: 1_700_000_000_000, key: nil, value: Array("hanging".utf8))
            _ = try t.cluster.produce(tp, records: b.build().bytes)                                  // offset 1

            // A live transaction of a real producer, on the same partition.
            var config = testProducerConfig { $0.transactionalId = "live" }
            config.lingerMs = 0
            let live = try Producer(config: config, client: t.client("live"))
            defer { Task { await live.close() } }
            try await live.initTransactions()
            try live.beginTransaction()
            _ = try await live.send(ProducerRecord(topic: "t", partition: 0, value: Array("running".utf8)))   // offset 2

            let admin = Admin(client: t.client("admin"), config: AdminConfig())
            let producers = try await admin.describeProducers([tp])[tp] ?? []
            #expect(producers.map(\.producerId).contains(777))
            let hangingState = try #require(producers.first { $0.producerId == 777 })
            #expect(hangingState.currentTransactionStartOffset == 1 && hangingState.producerEpoch == 3 && hangingState.coordinatorEpoch == nil)

            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let found = try await admin.findHangingTransactions(in: [tp], maxTransactionTimeoutMs: 0, nowMs: now)
            #expect(found == [HangingTransaction(topicPartition: tp, producerId: 777, producerEpoch: 3, coordinatorEpoch: -1, startOffset: 1,
                                                 lastTimestamp: 1_700_000_000_000)], "the live transaction is not hanging")
            #expect(try await admin.findHangingTransactions(in: [tp], maxTransactionTimeoutMs: now, nowMs: now).isEmpty,
                    "not silent for long enough")

            #expect(try await admin.listOffsets([tp: .latest], isolationLevel: .readCommitted)[tp]?.offset == 1, "held at the hanging transaction")
            try await admin.abortTransaction(AbortTransactionSpec(topicPartition: tp, producerId: 777, producerEpoch: 3, coordinatorEpoch: 0))
            #expect(try await admin.findHangingTransactions(in: [tp], maxTransactionTimeoutMs: 0, nowMs: now).isEmpty)
            try await live.commitTransaction()
            // The commit's markers are written after EndTxn is answered (as Kafka's coordinator
            // writes them): the last stable offset gets there soon after, not necessarily at once.
            try await waitUntil("the last stable offset passes the live commit marker", seconds: 10) {
                try await admin.listOffsets([tp: .latest], isolationLevel: .readCommitted)[tp]?.offset == 5
            }
            let lso = try await admin.listOffsets([tp: .latest], isolationLevel: .readCommitted)[tp]?.offset
            #expect(lso == 5, "records, the admin's abort marker, the live commit marker")
            // A stale epoch is fenced.
            await #expect(throws: ClientError.self) {
                try await admin.abortTransaction(AbortTransactionSpec(topicPartition: tp, producerId: 777, producerEpoch: 2, coordinatorEpoch: 0))
            }
        }

        /// forceTerminateTransaction (KIP-939): the coordinator aborts the open transaction and
        /// bumps the epoch; the producer that left it open is fenced, its records never committed.
        @Test func forceTerminateAbortsAndFences() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let tp = TopicPartition("t", 0)
            var config = testProducerConfig { $0.transactionalId = "stuck" }
            config.lingerMs = 0
            let stuck = try Producer(config: config, client: t.client("stuck"))
            defer { Task { await stuck.close() } }
            try await stuck.initTransactions()
            try stuck.beginTransaction()
            _ = try await stuck.send(ProducerRecord(topic: "t", partition: 0, value: Array("open".utf8)))
            let admin = Admin(client: t.client("admin"), config: AdminConfig())
            let before = try #require(try await admin.describeTransactions(["stuck"])["stuck"])
            #expect(before.state == "Ongoing")

            let (producerId, epoch) = try await admin.forceTerminateTransaction("stuck")
            #expect(producerId == before.producerId && epoch == before.producerEpoch + 2, "one bump to fence and abort, one for the new instance")
            let after = try #require(try await admin.describeTransactions(["stuck"])["stuck"])
            #expect(after.state == "Empty" && after.timeoutMs == before.timeoutMs, "\(after)")
            #expect(try await admin.listOffsets([tp: .latest], isolationLevel: .readCommitted)[tp]?.offset == 2, "record and ABORT marker, stable")
            do {
                try await stuck.commitTransaction()
                Issue.record("the fenced producer committed")
            } catch {
                #expect([.producerFenced, .invalidProducerEpoch].contains(error.errorCode), "\(error)")
            }
            await #expect(throws: ClientError.broker(.transactionalIdNotFound, message: "transactional id nobody")) {
                try await admin.forceTerminateTransaction("nobody")
            }
        }
    }
}

/// find-hanging's verdict, from a partition's open transactions and the coordinators' view.
@Suite struct HangingTransactionVerdictTests {
    let tp = TopicPartition("t", 0)

    func open(_ producerId: Int64, epoch: Int32) -> HangingTransaction {
        HangingTransaction(topicPartition: tp, producerId: producerId, producerEpoch: epoch, coordinatorEpoch: 0, startOffset: 5, lastTimestamp: 0)
    }

    func described(_ producerId: Int64, epoch: Int16, state: String, partitions: [TopicPartition]) -> TransactionDescription {
        TransactionDescription(transactionalId: "tx", coordinator: 0, state: state, producerId: producerId, producerEpoch: epoch,
                               timeoutMs: 60_000, startTimeMs: 0, partitions: partitions)
    }

    @Test func aTransactionItsCoordinatorRunsIsNotHanging() {
        #expect(Admin.hanging([open(7, epoch: 2)], described: [described(7, epoch: 2, state: "Ongoing", partitions: [tp])]).isEmpty)
        // A coordinator aborting it on timeout has bumped the epoch: still running there.
        #expect(Admin.hanging([open(7, epoch: 2)], described: [described(7, epoch: 3, state: "PrepareAbort", partitions: [tp])]).isEmpty)
    }

    @Test func otherwiseItHangs() {
        let c = open(7, epoch: 2)
        #expect(Admin.hanging([c], described: []) == [c], "no transactional id has the producer")
        #expect(Admin.hanging([c], described: [described(7, epoch: 1, state: "Ongoing", partitions: [tp])]) == [c], "an older epoch")
        #expect(Admin.hanging([c], described: [described(7, epoch: 2, state: "CompleteCommit", partitions: [])]) == [c], "ended")
        #expect(Admin.hanging([c], described: [described(7, epoch: 2, state: "Ongoing", partitions: [TopicPartition("t", 1)])]) == [c],
                "running elsewhere")
        #expect(Admin.hanging([c], described: [described(8, epoch: 2, state: "Ongoing", partitions: [tp])]) == [c], "another producer")
    }
}
