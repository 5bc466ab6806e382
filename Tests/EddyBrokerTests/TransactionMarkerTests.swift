import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Transaction markers through the transport (WriteTxnMarkers, as a transaction coordinator
/// sends them) and what read_committed consumers see: the last stable offset in Fetch and
/// ListOffsets, and the aborted transactions of what they read.
@Suite struct TransactionMarkerTests {
    let tp = TopicPartition("t", 0)

    /// Now on the test clocks: records from 1970 would roll a segment per batch (segment.ms),
    /// and a read stops at a segment's end.
    static let now: Int64 = ManualClock().nowMs()

    /// A transactional batch of `values` from `pid` at `epoch`, starting at `sequence`.
    func transactional(_ values: [String], pid: Int64, epoch: Int16 = 0, sequence: Int32) -> [UInt8] {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: pid, producerEpoch: epoch,
                                   baseSequence: sequence)
        for (i, v) in values.enumerated() { b.append(timestamp: Self.now + Int64(i), key: nil, value: Array(v.utf8)) }
        return b.build().bytes
    }

    func produce(_ s: ServedCluster, _ records: [UInt8]) throws -> ProduceResponse.PartitionProduceResponse {
        guard case let .produce(r) = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: records, acks: -1)),
                                                to: try s.cluster.leader(of: tp)),
              let p = r.partition(topic: "t", partition: 0) else { throw TestFailure("not Produce") }
        return p
    }

    func markers(_ s: ServedCluster, _ markers: [WriteTxnMarkersRequest.WritableTxnMarker], to node: Int32? = nil) throws -> WriteTxnMarkersResponse {
        guard case let .writeTxnMarkers(r) = try s.call(.writeTxnMarkers(WriteTxnMarkersRequest(markers: markers)),
                                                        to: try node ?? s.cluster.leader(of: tp)) else {
            throw TestFailure("not WriteTxnMarkers")
        }
        return r
    }

    func marker(pid: Int64, epoch: Int16 = 0, commit: Bool, coordinatorEpoch: Int32 = 0, partitions: [Int32] = [0]) -> WriteTxnMarkersRequest.WritableTxnMarker {
        .init(producerId: pid, producerEpoch: epoch, committed: commit, topics: [.init(name: "t", partitionIndexes: partitions)],
              coordinatorEpoch: coordinatorEpoch)
    }

    func fetch(_ s: ServedCluster, offset: Int64 = 0, _ isolation: IsolationLevel) throws -> FetchResponse.PartitionData {
        guard case let .fetch(r) = try s.call(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: offset, maxWaitMs: 0, minBytes: 0,
                                                                  isolationLevel: isolation)), to: try s.cluster.leader(of: tp)),
              let p = r.partition(topic: "t", partition: 0) else { throw TestFailure("not Fetch") }
        return p
    }

    /// The data records' values (control batches, the markers, left out).
    func values(_ p: FetchResponse.PartitionData) throws -> [String] {
        try MemoryRecords.batches(in: p.records).filter { !$0.header.attributes.isControl }.flatMap { loc in
            try RecordBatch(bytes: Array(p.records[loc.range])).records().map { String(decoding: $0.value ?? [], as: UTF8.self) }
        }
    }

    func latest(_ s: ServedCluster, _ isolation: IsolationLevel) throws -> Int64 {
        guard case let .listOffsets(r) = try s.call(.listOffsets(ListOffsetsRequest(topic: "t", partition: 0, timestamp: ListOffsetsRequest.latestTimestamp,
                                                                                    isolationLevel: isolation)), to: try s.cluster.leader(of: tp)),
              let p = r.topics.first?.partitions.first else { throw TestFailure("not ListOffsets") }
        return p.offset
    }

    @Test func readCommittedStopsAtTheOpenTransactionAndSeesTheAbortAfterTheMarkers() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        #expect(try produce(s, servedBatch(["plain"], ts: Self.now)).baseOffset == 0)
        #expect(try produce(s, transactional(["a1", "a2"], pid: 7, sequence: 0)).baseOffset == 1)
        #expect(try produce(s, transactional(["b1"], pid: 8, sequence: 0)).baseOffset == 3)
        s.pump()
        // Both transactions are open: read_committed sees the plain record only.
        var committed = try fetch(s, .readCommitted)
        #expect(try values(committed) == ["plain"])
        #expect(committed.highWatermark == 4 && committed.lastStableOffset == 1)
        #expect(committed.abortedTransactions == [])
        let uncommitted = try fetch(s, .readUncommitted)
        #expect(try values(uncommitted) == ["plain", "a1", "a2", "b1"] && uncommitted.abortedTransactions == nil)
        #expect(try latest(s, .readCommitted) == 1 && latest(s, .readUncommitted) == 4)

        // Producer 7 aborts, producer 8 commits: acks=all markers, answered once replicated.
        let r = try markers(s, [marker(pid: 7, commit: false), marker(pid: 8, commit: true)])
        #expect(r.errors(producerId: 7) == [tp: ErrorCode.none] && r.errors(producerId: 8) == [tp: ErrorCode.none])
        committed = try fetch(s, .readCommitted)
        #expect(committed.lastStableOffset == 6 && committed.highWatermark == 6)
        #expect(committed.abortedTransactions == [.init(producerId: 7, firstOffset: 1)])
        // The records come with their markers; the consumer drops producer 7's (see the client).
        #expect(try values(committed) == ["plain", "a1", "a2", "b1"])
        #expect(try fetch(s, offset: 5, .readCommitted).abortedTransactions == [], "nothing aborted from the marker on")
        #expect(try latest(s, .readCommitted) == 6)

        // Every replica holds the markers and lists the abort.
        for (node, offsets) in s.cluster.replicaOffsets(tp) {
            #expect(offsets.logEndOffset == 6, "broker \(node)")
            let log = try #require(s.cluster.replicaLog(tp, on: node))
            #expect(log.abortedTransactions(from: 0, upTo: 6) == [.init(producerId: 7, firstOffset: 1)], "broker \(node)")
            #expect(log.openTransactions.isEmpty)
        }
    }

    @Test func aWaitingReadCommittedFetchIsAnsweredWhenTheTransactionCommits() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        #expect(try produce(s, transactional(["x"], pid: 7, sequence: 0)).baseOffset == 0)
        s.pump()
        let leader = try s.cluster.leader(of: tp)
        let waiting = s.send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 500, minBytes: 1,
                                                 isolationLevel: .readCommitted)), to: leader)
        s.pump()
        #expect(!waiting.isAnswered, "nothing is stable yet")
        #expect(try markers(s, [marker(pid: 7, commit: true)]).errors(producerId: 7) == [tp: ErrorCode.none])
        let answer = try #require(waiting.fetchResponse?.partition(topic: "t", partition: 0))
        #expect(try values(answer) == ["x"] && answer.lastStableOffset == 2)
    }

    @Test func markersAreFencedAndOnlyLeadersWriteThem() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 2)
        #expect(try produce(s, transactional(["x"], pid: 7, epoch: 3, sequence: 0)).errorCode == ErrorCode.none)
        #expect(try markers(s, [marker(pid: 7, epoch: 3, commit: true, coordinatorEpoch: 5)]).errors(producerId: 7) == [tp: ErrorCode.none])
        #expect(try markers(s, [marker(pid: 7, epoch: 2, commit: false, coordinatorEpoch: 5)]).errors(producerId: 7) == [tp: .invalidProducerEpoch])
        #expect(try markers(s, [marker(pid: 7, epoch: 3, commit: false, coordinatorEpoch: 4)]).errors(producerId: 7)
            == [tp: .transactionCoordinatorFenced])
        let follower = try #require(s.cluster.metadataImage.partition(tp)?.replicas.first { $0 != (try? s.cluster.leader(of: tp)) })
        #expect(try markers(s, [marker(pid: 7, epoch: 3, commit: true, coordinatorEpoch: 5)], to: follower).errors(producerId: 7)
            == [tp: .notLeaderOrFollower])
        let r = try markers(s, [marker(pid: 7, epoch: 3, commit: true, coordinatorEpoch: 5, partitions: [0, 9])])
        #expect(r.errors(producerId: 7) == [tp: ErrorCode.none, TopicPartition("t", 9): .unknownTopicOrPartition])
        #expect(try markers(s, []).markers.isEmpty)
    }

    @Test func aClientCannotProduceAControlBatch() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
        let control = EndTransactionMarker(committed: true, coordinatorEpoch: 0).batch(timestamp: 1_000, producerId: 7, producerEpoch: 0)
        #expect(try produce(s, control.bytes).errorCode == .invalidRecord)
    }
}

extension Cluster {
    /// Broker `node`'s log of `tp`, if it runs and hosts it.
    func replicaLog(_ tp: TopicPartition, on node: Int32) -> PartitionLog? {
        lock.withLock { nodes[node]?.replicas[tp]?.log }
    }
}
