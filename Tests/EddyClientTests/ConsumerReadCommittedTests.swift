import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// isolation.level=read_committed against a cluster whose partition holds committed,
    /// aborted and open transactions (markers written as a coordinator writes them).
    @Suite struct ConsumerReadCommittedTests {
        func transactional(_ values: [String], pid: Int64, sequence: Int32) -> [UInt8] {
            var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: pid, producerEpoch: 0,
                                       baseSequence: sequence)
            for (i, v) in values.enumerated() { b.append(timestamp: 1_700_000_000_000 + Int64(i), key: nil, value: Array(v.utf8)) }
            return b.build().bytes
        }

        func end(_ t: ConsumerTestCluster, pid: Int64, commit: Bool) throws {
            let tp = TopicPartition("t", 0)
            let request = WriteTxnMarkersRequest(markers: [.init(producerId: pid, producerEpoch: 0, committed: commit,
                                                                  topics: [.init(name: "t", partitionIndexes: [0])], coordinatorEpoch: 0)])
            guard case let .writeTxnMarkers(r) = try t.cluster.call(.writeTxnMarkers(request), to: try t.cluster.leader(of: tp)),
                  r.errors(producerId: pid) == [tp: ErrorCode.none] else { throw TestFailure("markers not written") }
        }

        @Test func readCommittedSeesCommittedRecordsOnlyAndStopsAtTheOpenTransaction() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            let tp = TopicPartition("t", 0)
            try t.produce("t", partition: 0, ["plain-0"])
            _ = try t.cluster.produce(tp, records: transactional(["aborted-1", "aborted-2"], pid: 7, sequence: 0))
            _ = try t.cluster.produce(tp, records: transactional(["committed-3"], pid: 8, sequence: 0))
            try end(t, pid: 7, commit: false)
            try end(t, pid: 8, commit: true)
            try t.produce("t", partition: 0, ["plain-6"])
            _ = try t.cluster.produce(tp, records: transactional(["open-8"], pid: 9, sequence: 0))
            try t.produce("t", partition: 0, ["plain-8"])

            var config = t.config(group: nil)
            config.isolationLevel = .readCommitted
            let committed = try Consumer(client: t.client(), config: config)
            defer { Task { await committed.close() } }
            try await committed.assign([tp])
            let seen = try await pollRecords(committed, count: 3)
            #expect(seen.map(\.text) == ["plain-0", "committed-3", "plain-6"])
            // Nothing past the open transaction, though "plain-8" is not part of it.
            #expect(try await committed.poll(timeoutMs: 300).isEmpty)
            #expect(try await committed.position(tp) == 7)
            #expect(committed.currentLag(tp) == 0, "read_committed lag is measured to the last stable offset")
            #expect(try await committed.endOffsets([tp])[tp] == 7, "the last stable offset")

            let uncommitted = try t.consumer(group: nil)
            defer { Task { await uncommitted.close() } }
            try await uncommitted.assign([tp])
            #expect(try await pollRecords(uncommitted, count: 7).map(\.text)
                == ["plain-0", "aborted-1", "aborted-2", "committed-3", "plain-6", "open-8", "plain-8"])

            // The open transaction commits: the read_committed consumer goes on.
            try end(t, pid: 9, commit: true)
            #expect(try await pollRecords(committed, count: 2).map(\.text) == ["open-8", "plain-8"])
        }
    }
}
