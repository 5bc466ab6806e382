import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// A transactional producer's requests through the transport, as confluent-kafka or Kafka's
/// producer sends them: FindCoordinator (transaction), InitProducerId, AddPartitionsToTxn,
/// Produce, EndTxn; the coordinator writes `__transaction_state` and the markers.
@Suite struct TransactionServingTests {
    let tp = TopicPartition("t", 0)
    static let now: Int64 = ManualClock().nowMs()

    struct Producer {
        var transactionalId: String
        var coordinator: Int32
        var producerId: Int64 = -1
        var epoch: Int16 = -1
        var sequence: Int32 = 0
    }

    func cluster() throws -> ServedCluster {
        let s = try ServedCluster { $0.transactionCoordinator.numPartitions = 5 }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        return s
    }

    func findCoordinator(_ s: ServedCluster, _ id: String) throws -> Int32 {
        let via = try #require(s.cluster.runningBrokers.first)
        guard case let .findCoordinator(r) = try s.call(.findCoordinator(FindCoordinatorRequest(key: id, keyType: .transaction)), to: via),
              r.errorCode == .none else { throw TestFailure("FindCoordinator failed") }
        return r.nodeId
    }

    func initProducer(_ s: ServedCluster, _ id: String, timeoutMs: Int32 = 60_000) throws -> (Producer, ErrorCode) {
        var p = Producer(transactionalId: id, coordinator: try findCoordinator(s, id))
        guard case let .initProducerId(r) = try s.call(.initProducerId(InitProducerIdRequest(transactionalId: id, transactionTimeoutMs: timeoutMs)),
                                                      to: p.coordinator) else { throw TestFailure("not InitProducerId") }
        p.producerId = r.producerId
        p.epoch = r.producerEpoch
        return (p, r.errorCode)
    }

    func add(_ s: ServedCluster, _ p: Producer, _ partitions: [TopicPartition]) throws -> [TopicPartition: ErrorCode] {
        guard case let .addPartitionsToTxn(r) = try s.call(.addPartitionsToTxn(AddPartitionsToTxnRequest(
            transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.epoch, partitions: partitions)), to: p.coordinator)
        else { throw TestFailure("not AddPartitionsToTxn") }
        return r.errors
    }

    func send(_ s: ServedCluster, _ p: inout Producer, _ values: [String]) throws -> ErrorCode {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: p.producerId,
                                   producerEpoch: p.epoch, baseSequence: p.sequence)
        for (i, v) in values.enumerated() { b.append(timestamp: Self.now + Int64(i), key: nil, value: Array(v.utf8)) }
        guard case let .produce(r) = try s.call(.produce(ProduceRequest(transactionalId: p.transactionalId, acks: -1, topicData: [
            .init(name: "t", partitionData: [.init(index: 0, records: b.build().bytes)]),
        ])), to: try s.cluster.leader(of: tp)), let result = r.partition(topic: "t", partition: 0) else { throw TestFailure("not Produce") }
        if result.errorCode == .none { p.sequence += Int32(values.count) }
        return result.errorCode
    }

    func end(_ s: ServedCluster, _ p: Producer, commit: Bool) throws -> ErrorCode {
        guard case let .endTxn(r) = try s.call(.endTxn(EndTxnRequest(transactionalId: p.transactionalId, producerId: p.producerId,
                                                                     producerEpoch: p.epoch, committed: commit)), to: p.coordinator)
        else { throw TestFailure("not EndTxn") }
        return r.errorCode
    }

    func state(_ s: ServedCluster, _ p: Producer) -> TransactionMetadata? {
        s.cluster.lock.withLock { s.cluster.nodes[p.coordinator]?.transactions.coordinator.transactions[p.transactionalId] }
    }

    func leaderLog(_ s: ServedCluster) throws -> PartitionLog {
        try #require(s.cluster.replicaLog(tp, on: try s.cluster.leader(of: tp)))
    }

    @Test func aCommittedAndAnAbortedTransactionEndToEnd() throws {
        let s = try cluster(); defer { s.close() }
        var (p, error) = try initProducer(s, "tx")
        #expect(error == .none && p.producerId >= 0 && p.epoch == 0)
        #expect(try add(s, p, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &p, ["c1", "c2"]) == .none)
        s.pump()
        #expect(try leaderLog(s).lastStableOffset == 0, "the open transaction holds the LSO")
        #expect(try end(s, p, commit: true) == .none)
        s.pump()
        #expect(state(s, p)?.state == .completeCommit)
        var log = try leaderLog(s)
        #expect(log.logEndOffset == 3 && log.lastStableOffset == 3 && log.openTransactions.isEmpty)

        #expect(try add(s, p, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &p, ["a1"]) == .none)
        #expect(try end(s, p, commit: false) == .none)
        s.pump()
        #expect(state(s, p)?.state == .completeAbort)
        log = try leaderLog(s)
        #expect(log.logEndOffset == 5 && log.lastStableOffset == 5)
        #expect(log.abortedTransactions(from: 0, upTo: 5) == [.init(producerId: p.producerId, firstOffset: 3)])
        // Every replica of __transaction_state agrees (acks=all), and the markers were replicated.
        for (node, offsets) in s.cluster.replicaOffsets(tp) { #expect(offsets.highWatermark == 5, "broker \(node)") }
    }

    @Test func aNewInstanceFencesTheOldOneAndAbortsItsTransaction() throws {
        let s = try cluster(); defer { s.close() }
        var (zombie, _) = try initProducer(s, "tx")
        #expect(try add(s, zombie, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &zombie, ["z1"]) == .none)
        // The new instance: CONCURRENT_TRANSACTIONS while the zombie's transaction is aborted.
        let (_, first) = try initProducer(s, "tx")
        #expect(first == .concurrentTransactions)
        s.pump()
        let (fresh, second) = try initProducer(s, "tx")
        #expect(second == .none && fresh.producerId == zombie.producerId && fresh.epoch == 2)
        #expect(try leaderLog(s).abortedTransactions(from: 0, upTo: 10) == [.init(producerId: zombie.producerId, firstOffset: 0)])
        // The zombie is fenced everywhere.
        #expect(try send(s, &zombie, ["z2"]) == .invalidProducerEpoch)
        #expect(try add(s, zombie, [tp]) == [tp: .producerFenced])
        #expect(try end(s, zombie, commit: true) == .producerFenced)
    }

    @Test func anExpiredTransactionIsAbortedByTheCoordinator() throws {
        let s = try cluster(); defer { s.close() }
        var (p, _) = try initProducer(s, "tx", timeoutMs: 1_000)
        #expect(try add(s, p, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &p, ["late"]) == .none)
        s.advance(10_000)   // transaction.abort.timed.out.transaction.cleanup.interval.ms
        s.pump()
        #expect(state(s, p)?.state == .completeAbort && state(s, p)?.producerEpoch == 1)
        #expect(try leaderLog(s).lastStableOffset == 2)
        #expect(try end(s, p, commit: true) == .producerFenced)
    }

    @Test func theTransactionSurvivesItsCoordinatorsFailover() throws {
        let s = try cluster(); defer { s.close() }
        var (p, _) = try initProducer(s, "tx")
        #expect(try add(s, p, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &p, ["x"]) == .none)
        s.pump()
        let old = p.coordinator
        try s.cluster.stopBroker(old)
        s.pump()
        p.coordinator = try findCoordinator(s, "tx")
        #expect(p.coordinator != old)
        #expect(state(s, p)?.state == .ongoing && state(s, p)?.partitions == [tp], "loaded from __transaction_state")
        #expect(try end(s, p, commit: true) == .none)
        s.pump()
        #expect(state(s, p)?.state == .completeCommit)
        #expect(try leaderLog(s).openTransactions.isEmpty)
    }

    /// AddOffsetsToTxn adds the group's `__consumer_offsets` partition; the transaction's end
    /// writes a marker there too, which the group coordinator's loading skips.
    @Test func addOffsetsToTxnBringsTheGroupsPartitionIntoTheTransaction() throws {
        let s = try cluster(); defer { s.close() }
        var (p, _) = try initProducer(s, "tx")
        guard case let .addOffsetsToTxn(r) = try s.call(.addOffsetsToTxn(AddOffsetsToTxnRequest(
            transactionalId: "tx", producerId: p.producerId, producerEpoch: p.epoch, groupId: "g")), to: p.coordinator)
        else { throw TestFailure("not AddOffsetsToTxn") }
        #expect(r.errorCode == .none)
        let offsets = TopicPartition(OffsetsTopic.name, OffsetsTopic.partitionFor(groupId: "g", partitionCount: 50))
        #expect(state(s, p)?.partitions == [offsets])
        #expect(try add(s, p, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &p, ["x"]) == .none)
        #expect(try end(s, p, commit: false) == .none)
        s.pump()
        #expect(state(s, p)?.state == .completeAbort)
        let offsetsLog = try #require(s.cluster.replicaLog(offsets, on: try s.cluster.leader(of: offsets)))
        #expect(offsetsLog.logEndOffset == 1, "the marker")
        // A new group coordinator loads the partition, marker and all, and serves the group.
        try s.cluster.stopBroker(try s.cluster.leader(of: offsets))
        s.pump()
        let c = try s.coordinator(of: "g", via: try #require(s.cluster.runningBrokers.first))
        #expect(try s.commit("g", tp, offset: 1, at: c) == .none)
        #expect(try s.committed("g", tp, at: c)?.committedOffset == 1)
    }

    func addOffsets(_ s: ServedCluster, _ p: Producer, group: String) throws -> ErrorCode {
        guard case let .addOffsetsToTxn(r) = try s.call(.addOffsetsToTxn(AddOffsetsToTxnRequest(
            transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.epoch, groupId: group)), to: p.coordinator)
        else { throw TestFailure("not AddOffsetsToTxn") }
        return r.errorCode
    }

    /// TxnOffsetCommit of `offset` for `tp` in `group`, sent to the group's coordinator.
    func txnCommit(_ s: ServedCluster, _ p: Producer, group: String, offset: Int64) throws -> ErrorCode {
        let c = try s.coordinator(of: group, via: try #require(s.cluster.runningBrokers.first))
        guard case let .txnOffsetCommit(r) = try s.call(.txnOffsetCommit(TxnOffsetCommitRequest(
            transactionalId: p.transactionalId, groupId: group, producerId: p.producerId, producerEpoch: p.epoch,
            topics: [.init(name: tp.topic, partitions: [.init(partitionIndex: tp.partition, committedOffset: offset)])])), to: c)
        else { throw TestFailure("not TxnOffsetCommit") }
        return r.errors[tp] ?? .unknownServerError
    }

    /// The group's committed offset of `tp` (-1: none), or the partition's error, as OffsetFetch
    /// answers with and without require_stable.
    func fetchOffset(_ s: ServedCluster, group: String, requireStable: Bool) throws -> (offset: Int64, error: ErrorCode) {
        let c = try s.coordinator(of: group, via: try #require(s.cluster.runningBrokers.first))
        guard case let .offsetFetch(r) = try s.call(.offsetFetch(OffsetFetchRequest(groupId: group, topic: tp.topic, partition: tp.partition,
                                                                                    requireStable: requireStable)), to: c),
              let p = r.partition(topic: tp.topic, partition: tp.partition) else { throw TestFailure("not OffsetFetch") }
        return (p.committedOffset, p.errorCode)
    }

    /// KIP-98's consume-transform-produce commit: offsets sent with TxnOffsetCommit become the
    /// group's only when the transaction commits; until then a read_committed consumer's
    /// OffsetFetch (require_stable) is told UNSTABLE_OFFSET_COMMIT. Pending offsets survive
    /// the group coordinator's failover, and a fenced producer can no longer commit offsets.
    @Test func offsetsCommittedInATransactionCountOnlyOnceItCommits() throws {
        let s = try cluster(); defer { s.close() }
        let c = try s.coordinator(of: "g", via: try #require(s.cluster.runningBrokers.first))
        #expect(try s.commit("g", tp, offset: 1, at: c) == .none)
        var (p, _) = try initProducer(s, "tx")
        #expect(try addOffsets(s, p, group: "g") == .none)
        #expect(try txnCommit(s, p, group: "g", offset: 5) == .none)
        #expect(try fetchOffset(s, group: "g", requireStable: false) == (1, .none))
        #expect(try fetchOffset(s, group: "g", requireStable: true).error == .unstableOffsetCommit)
        #expect(try end(s, p, commit: true) == .none)
        s.pump()
        #expect(try fetchOffset(s, group: "g", requireStable: true) == (5, .none))

        // Aborted: the offset goes.
        #expect(try addOffsets(s, p, group: "g") == .none)
        #expect(try txnCommit(s, p, group: "g", offset: 9) == .none)
        #expect(try end(s, p, commit: false) == .none)
        s.pump()
        #expect(try fetchOffset(s, group: "g", requireStable: true) == (5, .none))

        // Open across the group coordinator's failover: the new coordinator loads it pending,
        // and the commit marker reaches it there.
        #expect(try addOffsets(s, p, group: "g") == .none)
        #expect(try txnCommit(s, p, group: "g", offset: 12) == .none)
        s.pump()
        try s.cluster.stopBroker(c)
        s.pump()
        #expect(try fetchOffset(s, group: "g", requireStable: true).error == .unstableOffsetCommit)
        #expect(try fetchOffset(s, group: "g", requireStable: false) == (5, .none))
        if p.coordinator == c { p.coordinator = try findCoordinator(s, "tx") }
        #expect(try end(s, p, commit: true) == .none)
        s.pump()
        #expect(try fetchOffset(s, group: "g", requireStable: true) == (12, .none))

        // A new instance fences the old one: its offsets can no longer be committed.
        #expect(try addOffsets(s, p, group: "g") == .none)
        #expect(try txnCommit(s, p, group: "g", offset: 20) == .none)
        _ = try initProducer(s, "tx")
        s.pump()
        let (fresh, error) = try initProducer(s, "tx")
        #expect(error == .none && fresh.epoch > p.epoch)
        #expect(try txnCommit(s, p, group: "g", offset: 21) == .invalidProducerEpoch)
        #expect(try addOffsets(s, p, group: "g") == .producerFenced)
        s.pump()
        #expect(try fetchOffset(s, group: "g", requireStable: true) == (12, .none), "the zombie's transaction was aborted")
    }

    @Test func listAndDescribeTransactions() throws {
        let s = try cluster(); defer { s.close() }
        var (open, _) = try initProducer(s, "open")
        let (idle, _) = try initProducer(s, "idle")
        #expect(try add(s, open, [tp]) == [tp: ErrorCode.none])
        #expect(try send(s, &open, ["x"]) == .none)
        s.advance(5_000)
        func list(_ r: ListTransactionsRequest) throws -> ListTransactionsResponse {
            var merged = ListTransactionsResponse(transactions: [])
            for node in s.cluster.runningBrokers {
                guard case let .listTransactions(l) = try s.call(.listTransactions(r), to: node) else { throw TestFailure("not ListTransactions") }
                merged.transactions += l.transactions
                merged.unknownStateFilters = l.unknownStateFilters
            }
            merged.transactions.sort { $0.transactionalId < $1.transactionalId }
            return merged
        }
        #expect(try list(ListTransactionsRequest()).transactions.map(\.transactionalId) == ["idle", "open"])
        #expect(try list(ListTransactionsRequest(stateFilters: ["ongoing"])).transactions
            == [.init(transactionalId: "open", producerId: open.producerId, state: "Ongoing")])
        #expect(try list(ListTransactionsRequest(producerIdFilters: [idle.producerId])).transactions.map(\.transactionalId) == ["idle"])
        #expect(try list(ListTransactionsRequest(durationFilterMs: 4_000)).transactions.map(\.transactionalId) == ["open"])
        #expect(try list(ListTransactionsRequest(durationFilterMs: 6_000)).transactions.isEmpty)
        let bogus = try list(ListTransactionsRequest(stateFilters: ["Bogus"]))
        #expect(bogus.transactions.isEmpty && bogus.unknownStateFilters == ["Bogus"])

        guard case let .describeTransactions(d) = try s.call(.describeTransactions(DescribeTransactionsRequest(transactionalIds: ["open", "nobody"])),
                                                            to: open.coordinator) else { throw TestFailure("not DescribeTransactions") }
        let described = try #require(d.transactions.first)
        #expect(described.state == "Ongoing" && described.producerId == open.producerId && described.partitions == [tp])
        #expect(described.startTimeMs == s.clock.nowMs() - 5_000 && described.timeoutMs == 60_000)
        let nobody = d.transactions[1]
        #expect(nobody.errorCode == .transactionalIdNotFound || nobody.errorCode == .notCoordinator)
    }

    @Test func requestsForUnknownTopicsOrOtherCoordinatorsAreRefused() throws {
        let s = try cluster(); defer { s.close() }
        let (p, _) = try initProducer(s, "tx")
        let missing = TopicPartition("nope", 0)
        #expect(try add(s, p, [tp, missing]) == [tp: .operationNotAttempted, missing: .unknownTopicOrPartition])
        let other = (p.coordinator + 1) % 3
        guard case let .endTxn(r) = try s.call(.endTxn(EndTxnRequest(transactionalId: "tx", producerId: p.producerId, producerEpoch: p.epoch,
                                                                     committed: true)), to: other) else { throw TestFailure("not EndTxn") }
        #expect(r.errorCode == .notCoordinator)
        guard case let .initProducerId(i) = try s.call(.initProducerId(InitProducerIdRequest(transactionalId: "")), to: 0) else {
            throw TestFailure("not InitProducerId")
        }
        #expect(i.errorCode == .invalidRequest)
    }
}
