import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

/// `PartitionTransactionLayout`: which marker decides which transactional batch, pure and
/// read from a cluster's log.
@Suite struct TransactionLayoutBuildTests {
    func batch(_ base: Int64, count: Int32 = 1, producer: Int64, transactional: Bool = true, control: Bool = false) -> RecordBatchHeader {
        var b = RecordBatchBuilder(baseOffset: base, attributes: RecordBatchAttributes(isTransactional: transactional, isControl: control),
                                   producerId: producer, producerEpoch: 0, baseSequence: control ? -1 : 0)
        for _ in 0..<count { b.append(timestamp: 1, key: nil, value: [1]) }
        return b.build().header
    }

    func marker(_ committed: Bool) -> EndTransactionMarker { EndTransactionMarker(committed: committed, coordinatorEpoch: 2) }

    @Test func theNextMarkerOfTheSameProducerDecidesItsBatches() {
        let entries: [(header: RecordBatchHeader, marker: EndTransactionMarker?)] = [
            (batch(0, count: 2, producer: 1), nil),                  // 0-1: producer 1, aborted at 5
            (batch(2, producer: 2), nil),                            // 2: producer 2, committed at 4
            (batch(3, producer: 7, transactional: false), nil),     // 3: not transactional
            (batch(4, producer: 2, control: true), marker(true)),
            (batch(5, producer: 1, control: true), marker(false)),
            (batch(6, producer: 1), nil),                            // 6: producer 1 again, open
        ]
        let layout = PartitionTransactionLayout.build(entries, start: 0, end: 7, lastStableOffset: 6)
        #expect(layout.markers.map(\.offset) == [4, 5] && layout.markers.map(\.committed) == [true, false])
        #expect(layout.transaction(at: 1)?.fate == .aborted && layout.transaction(at: 1)?.producerId == 1)
        #expect(layout.transaction(at: 2)?.fate == .committed)
        #expect(layout.transaction(at: 3) == nil && layout.transaction(at: 4) == nil, "markers and plain records belong to none")
        #expect(layout.transaction(at: 6)?.fate == .open)
    }

    @Test func aMarkerPastTheRangeStillDecidesButIsNotListed() {
        let entries: [(header: RecordBatchHeader, marker: EndTransactionMarker?)] = [
            (batch(10, producer: 1), nil), (batch(11, producer: 1, control: true), marker(false)),
        ]
        let layout = PartitionTransactionLayout.build(entries, start: 10, end: 11, lastStableOffset: 12)
        #expect(layout.markers.isEmpty && layout.transaction(at: 10)?.fate == .aborted)
        let undecided = PartitionTransactionLayout.build(Array(entries.prefix(1)), start: 10, end: 11, lastStableOffset: 12)
        #expect(undecided.transaction(at: 10)?.fate == .unknown, "below the LSO without its marker in what was read")
    }
}

extension ConsumerClusterTests {
    @Suite struct TransactionLayoutReadTests {
        @Test func aPartitionsMarkersAndFatesAreReadFromItsLog() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let tp = TopicPartition("t", 0)
            try t.produce("t", partition: 0, ["plain"])                                                   // 0
            var config = testProducerConfig { $0.transactionalId = "layout" }
            config.lingerMs = 0
            let producer = try Producer(config: config, client: t.client("layout"))
            defer { Task { await producer.close() } }
            try await producer.initTransactions()
            for (value, commit) in [("kept", true), ("dropped", false)] {
                try producer.beginTransaction()
                _ = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array(value.utf8)))
                if commit { try await producer.commitTransaction() } else { try await producer.abortTransaction() }
            }                                                                                            // 1 kept, 2 COMMIT, 3 dropped, 4 ABORT
            try producer.beginTransaction()
            _ = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: Array("pending".utf8)))   // 5, open

            let admin = Admin(client: t.client("admin"), config: AdminConfig())
            let layout = try await admin.transactionLayout(of: tp, from: 0, until: 6)
            #expect(layout.markers.map(\.offset) == [2, 4] && layout.markers.map(\.committed) == [true, false])
            #expect(layout.transaction(at: 0) == nil)
            #expect(layout.transaction(at: 1)?.fate == .committed && layout.transaction(at: 3)?.fate == .aborted)
            #expect(layout.transaction(at: 5)?.fate == .open)
            // A range that ends before the marker reads on to find it.
            let short = try await admin.transactionLayout(of: tp, from: 3, until: 4)
            #expect(short.markers.isEmpty && short.transaction(at: 3)?.fate == .aborted)
            try await producer.abortTransaction()
        }

        /// A batch past the last stable offset whose COMMIT marker lies beyond the first Fetch's
        /// megabyte is committed, not open: the scan reads on until it finds the marker.
        @Test func aCommitMarkerPastTheFirstFetchIsFound() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let tp = TopicPartition("t", 0)
            func txn(_ pid: Int64, _ value: [UInt8]) -> [UInt8] {
                var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: pid, producerEpoch: 0,
                                           baseSequence: 0)
                b.append(timestamp: 1, key: nil, value: value)
                return b.build().bytes
            }
            _ = try t.cluster.produce(tp, records: txn(11, [1]))                    // 0: producer 11, left open: LSO 0
            _ = try t.cluster.produce(tp, records: txn(12, [2]))                    // 1: producer 12
            for _ in 0 ..< 2 {
                var b = RecordBatchBuilder()
                b.append(timestamp: 1, key: nil, value: [UInt8](repeating: 7, count: 700_000))
                _ = try t.cluster.produce(tp, records: b.build().bytes)             // 2, 3: 1.4 MB
            }
            // 4: producer 12's COMMIT marker, as its coordinator would write it.
            let client = t.client("marker")
            let leader = try #require(try await client.refreshMetadata(topics: ["t"]).leader(of: tp))
            let marker = WriteTxnMarkersRequest(markers: [.init(producerId: 12, producerEpoch: 0, committed: true,
                                                                topics: [.init(name: "t", partitionIndexes: [0])], coordinatorEpoch: 0)])
            guard case let .writeTxnMarkers(r) = try await client.send(.writeTxnMarkers(marker), to: leader) else {
                Issue.record("no WriteTxnMarkers answer")
                return
            }
            #expect(r.errors(producerId: 12)[tp] == ErrorCode.none)
            let admin = Admin(client: t.client("admin"), config: AdminConfig())
            let layout = try await admin.transactionLayout(of: tp, from: 1, until: 2)
            #expect(layout.transaction(at: 1)?.fate == .committed)
            #expect(try await admin.transactionLayout(of: tp, from: 0, until: 1).transaction(at: 0)?.fate == .open)
        }
    }
}
