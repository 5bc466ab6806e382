import EddyProtocol
import Testing
@testable import EddyBroker

/// Drives a `TransactionCoordinator` as a broker would: appends succeed at once (unless held),
/// markers are collected until the test says they are written, replies are recorded by token.
private struct Harness {
    var coordinator: TransactionCoordinator
    var now: Int64 = 1_000_000
    var replies: [TransactionRequestToken: TransactionReply] = [:]
    var markers: [TransactionMarkers] = []
    var log: [TransactionWrite] = []
    /// While set, appends wait in `held` for `complete(error:)`.
    var holdWrites = false
    var held: [TransactionWrite] = []
    var nextToken: TransactionRequestToken = 1
    var nextProducerId: Int64 = 1000

    init(partitions: [Int32]? = nil, config: TransactionCoordinatorConfig = TransactionCoordinatorConfig()) {
        coordinator = TransactionCoordinator(config: config)
        for p in partitions ?? Array(0 ..< config.numPartitions) {
            _ = coordinator.load(partition: p, coordinatorEpoch: 7, records: [], now: now)
        }
    }

    mutating func run(_ actions: [TransactionAction]) {
        for a in actions {
            switch a {
            case let .reply(token, reply): replies[token] = reply
            case let .writeMarkers(m): markers.append(m)
            case let .append(w):
                if holdWrites {
                    held.append(w)
                } else {
                    log.append(w)
                    let before = coordinator.transactions[transactionalId(w)]?.state
                    run(coordinator.writeCompleted(w.id, error: nil, now: now))
                    let after = coordinator.transactions[transactionalId(w)]?.state ?? .dead
                    if let before { #expect(after.validPreviousStates.contains(before), "\(before) -> \(after)") }
                }
            }
        }
    }

    func transactionalId(_ w: TransactionWrite) -> String { (try? TransactionLogRecord.decodeKey(w.key)) ?? nil ?? "" }

    mutating func token() -> TransactionRequestToken {
        defer { nextToken += 1 }
        return nextToken
    }

    mutating func initPid(_ id: String, timeoutMs: Int32 = 60_000, producerId: Int64 = -1, producerEpoch: Int16 = -1) -> TransactionReply? {
        let t = token()
        var next = nextProducerId
        run(coordinator.initProducerId(t, transactionalId: id, timeoutMs: timeoutMs, producerId: producerId, producerEpoch: producerEpoch,
                                       now: now, newProducerId: { defer { next += 1 }; return next }))
        nextProducerId = next
        return replies[t]
    }

    mutating func add(_ id: String, _ pid: Int64, _ epoch: Int16, _ partitions: [TopicPartition]) -> ErrorCode? {
        let t = token()
        run(coordinator.addPartitions(t, transactionalId: id, producerId: pid, producerEpoch: epoch, partitions: partitions, now: now))
        return replies[t]?.error
    }

    mutating func end(_ id: String, _ pid: Int64, _ epoch: Int16, commit: Bool) -> ErrorCode? {
        let t = token()
        run(coordinator.endTransaction(t, transactionalId: id, producerId: pid, producerEpoch: epoch, commit: commit, now: now))
        return replies[t]?.error
    }

    /// Reports the oldest outstanding markers written.
    mutating func markersDone() {
        let m = markers.removeFirst()
        run(coordinator.markersWritten(transactionalId: m.transactionalId, producerEpoch: m.producerEpoch, now: now))
    }

    func state(_ id: String) -> TransactionState? { coordinator.transactions[id]?.state }
}

private let t0 = TopicPartition("t", 0), t1 = TopicPartition("t", 1)

@Suite struct TransactionCoordinatorTests {
    @Test func aCommitGoesThroughPrepareMarkersAndComplete() {
        var h = Harness()
        let r = h.initPid("tx")
        #expect(r == TransactionReply(.none, producerId: 1000, producerEpoch: 0))
        #expect(h.state("tx") == .empty)
        #expect(h.add("tx", 1000, 0, [t0]) == ErrorCode.none)
        #expect(h.add("tx", 1000, 0, [t0, t1]) == ErrorCode.none)
        #expect(h.state("tx") == .ongoing && h.coordinator.transactions["tx"]?.partitions == [t0, t1])
        #expect(h.coordinator.transactions["tx"]?.startTimestampMs == h.now)
        let writes = h.log.count
        #expect(h.add("tx", 1000, 0, [t1]) == ErrorCode.none)
        #expect(h.log.count == writes, "partitions already added need no write")
        #expect(h.end("tx", 1000, 0, commit: true) == ErrorCode.none)
        #expect(h.state("tx") == .prepareCommit)
        #expect(h.markers == [TransactionMarkers(transactionalId: "tx", producerId: 1000, producerEpoch: 0, committed: true, coordinatorEpoch: 7,
                                                 partitions: [t0, t1])])
        // While the markers are written: a retry waits, the opposite decision is refused.
        #expect(h.end("tx", 1000, 0, commit: true) == .concurrentTransactions)
        #expect(h.end("tx", 1000, 0, commit: false) == .invalidTxnState)
        #expect(h.initPid("tx")?.error == .concurrentTransactions)
        h.markersDone()
        #expect(h.state("tx") == .completeCommit && h.coordinator.transactions["tx"]?.partitions == [])
        #expect(h.end("tx", 1000, 0, commit: true) == ErrorCode.none, "a retried commit succeeds")
        #expect(h.end("tx", 1000, 0, commit: false) == .invalidTxnState)
        // The next transaction.
        #expect(h.add("tx", 1000, 0, [t1]) == ErrorCode.none)
        #expect(h.end("tx", 1000, 0, commit: false) == ErrorCode.none)
        #expect(h.markers.last?.committed == false)
        h.markersDone()
        #expect(h.state("tx") == .completeAbort)
    }

    @Test func everyInitProducerIdFencesTheProducerBefore() {
        var h = Harness()
        #expect(h.initPid("tx")?.producerEpoch == 0)
        #expect(h.add("tx", 1000, 0, [t0]) == ErrorCode.none)
        // A second instance starts: the open transaction is aborted with a bumped epoch.
        #expect(h.initPid("tx")?.error == .concurrentTransactions)
        #expect(h.state("tx") == .prepareAbort)
        #expect(h.markers.first?.producerEpoch == 1 && h.markers.first?.committed == false)
        // The zombie at epoch 0 is fenced.
        #expect(h.add("tx", 1000, 0, [t1]) == .producerFenced)
        #expect(h.end("tx", 1000, 0, commit: true) == .producerFenced)
        #expect(h.initPid("tx")?.error == .concurrentTransactions, "until the abort completes")
        h.markersDone()
        let r = h.initPid("tx")
        #expect(r == TransactionReply(.none, producerId: 1000, producerEpoch: 2))
        #expect(h.add("tx", 1000, 1, [t1]) == .producerFenced)
        #expect(h.add("tx", 1000, 2, [t1]) == ErrorCode.none)
    }

    @Test func aTransactionOpenPastItsTimeoutIsAbortedAndItsProducerFenced() {
        var h = Harness()
        _ = h.initPid("tx", timeoutMs: 5_000)
        #expect(h.add("tx", 1000, 0, [t0]) == ErrorCode.none)
        h.now += 4_999
        h.run(h.coordinator.tick(now: h.now))
        #expect(h.state("tx") == .ongoing)
        h.now += 1
        h.run(h.coordinator.tick(now: h.now))
        #expect(h.state("tx") == .prepareAbort && h.coordinator.transactions["tx"]?.producerEpoch == 1)
        #expect(h.markers.map(\.producerEpoch) == [1])
        h.markersDone()
        #expect(h.state("tx") == .completeAbort)
        #expect(h.end("tx", 1000, 0, commit: true) == .producerFenced)
    }

    @Test func requestsAreCheckedBeforeAnythingIsWritten() {
        var h = Harness(partitions: [])
        #expect(h.initPid("tx")?.error == .notCoordinator)
        h = Harness()
        #expect(h.initPid("tx", timeoutMs: 900_001)?.error == .invalidTransactionTimeout)
        #expect(h.initPid("tx", timeoutMs: 0)?.error == .invalidTransactionTimeout)
        #expect(h.initPid("")?.error == .invalidRequest)
        #expect(h.add("nobody", 1, 0, [t0]) == .invalidProducerIdMapping)
        _ = h.initPid("tx")
        #expect(h.add("tx", 999, 0, [t0]) == .invalidProducerIdMapping)
        #expect(h.end("tx", 1000, 0, commit: true) == .invalidTxnState, "nothing to end")
        // KIP-360: a producer naming its id and epoch must hold them.
        #expect(h.initPid("tx", producerId: 1000, producerEpoch: 5)?.error == .invalidProducerEpoch)
        #expect(h.initPid("tx", producerId: 1, producerEpoch: 0)?.error == .invalidProducerIdMapping)
        #expect(h.initPid("tx", producerId: 1000, producerEpoch: 0)?.producerEpoch == 1)
        #expect(h.log.allSatisfy { h.transactionalId($0) == "tx" })
    }

    @Test func anExhaustedEpochGetsANewProducerId() throws {
        var h = Harness()
        _ = h.initPid("tx")
        var m = try #require(h.coordinator.transactions["tx"])
        m.producerEpoch = Int16.max - 1
        let partition = h.coordinator.partitionFor("tx")
        _ = h.coordinator.load(partition: partition, coordinatorEpoch: 8,
                               records: [(TransactionLogRecord.encodeKey("tx"), TransactionLogRecord.encodeValue(m))], now: h.now)
        #expect(h.initPid("tx") == TransactionReply(.none, producerId: 1001, producerEpoch: 0))
    }

    @Test func aFailedWriteChangesNothingAndAnswersTheRequest() {
        var h = Harness()
        _ = h.initPid("tx")
        h.holdWrites = true
        let t = h.token()
        h.run(h.coordinator.addPartitions(t, transactionalId: "tx", producerId: 1000, producerEpoch: 0, partitions: [t0], now: h.now))
        #expect(h.replies[t] == nil && h.held.count == 1)
        #expect(h.add("tx", 1000, 0, [t1]) == .concurrentTransactions, "one write at a time")
        h.run(h.coordinator.writeCompleted(h.held[0].id, error: .notEnoughReplicas, now: h.now))
        #expect(h.replies[t]?.error == .coordinatorNotAvailable)
        #expect(h.state("tx") == .empty)
        // After losing the partition: NOT_COORDINATOR, and waiting requests are answered so.
        let t2 = h.token()
        h.run(h.coordinator.addPartitions(t2, transactionalId: "tx", producerId: 1000, producerEpoch: 0, partitions: [t0], now: h.now))
        h.run(h.coordinator.unload(partition: h.coordinator.partitionFor("tx")))
        #expect(h.replies[t2]?.error == .notCoordinator)
        #expect(h.coordinator.transactions["tx"] == nil && h.coordinator.describe("tx") == .failure(.notCoordinator))
    }

    @Test func aNewCoordinatorResumesTheMarkersOfPreparedTransactions() throws {
        var old = Harness()
        _ = old.initPid("gone")
        old.now += 604_800_000      // transactional.id.expiration.ms: "gone" becomes a tombstone
        old.run(old.coordinator.tick(now: old.now))
        #expect(old.coordinator.transactions["gone"] == nil)
        _ = old.initPid("a")
        _ = old.initPid("b")
        #expect(old.add("a", 1001, 0, [t0]) == ErrorCode.none)
        #expect(old.add("b", 1002, 0, [t1]) == ErrorCode.none)
        #expect(old.end("a", 1001, 0, commit: true) == ErrorCode.none)
        // A new coordinator loads the partitions from the records written (in log order).
        var new = Harness(partitions: [])
        var actions: [TransactionAction] = []
        for p in Set(old.log.map(\.partition)).sorted() {
            let records = old.log.filter { $0.partition == p }.map { (key: $0.key, value: $0.value) }
            let (a, skipped) = new.coordinator.load(partition: p, coordinatorEpoch: 9, records: records, now: new.now)
            #expect(skipped.isEmpty)
            actions += a
        }
        new.run(actions)
        #expect(new.state("a") == .prepareCommit && new.state("b") == .ongoing && new.coordinator.transactions["gone"] == nil)
        #expect(new.markers == [TransactionMarkers(transactionalId: "a", producerId: 1001, producerEpoch: 0, committed: true,
                                                   coordinatorEpoch: 9, partitions: [t0])])
        new.markersDone()
        #expect(new.state("a") == .completeCommit)
        #expect(new.coordinator.list(states: [.ongoing]).map(\.transactionalId) == ["b"])
        #expect(new.coordinator.list(producerIds: [1001]).map(\.transactionalId) == ["a"])
    }

    @Test func theLogRecordsAreKafkasFormat() throws {
        #expect(TransactionLogRecord.encodeKey("tx") == [0, 0, 0, 2, 0x74, 0x78])
        let m = TransactionMetadata(transactionalId: "tx", producerId: 5, producerEpoch: 2, timeoutMs: 60_000, state: .ongoing,
                                    partitions: [t1, TopicPartition("a", 3), t0], startTimestampMs: 10, lastUpdateTimestampMs: 20)
        let value = TransactionLogRecord.encodeValue(m)
        #expect(Array(value[0 ..< 2]) == [0, 0], "value version 0")
        #expect(Array(value[2 ..< 10]) == [0, 0, 0, 0, 0, 0, 0, 5])
        #expect(Array(value[10 ..< 12]) == [0, 2])
        #expect(Array(value[12 ..< 16]) == [0, 0, 0xea, 0x60])
        #expect(value[16] == 1, "Ongoing")
        #expect(Array(value[17 ..< 21]) == [0, 0, 0, 2], "two topics, sorted: a, t")
        #expect(try TransactionLogRecord.decodeKey(TransactionLogRecord.encodeKey("tx")) == "tx")
        #expect(try TransactionLogRecord.decodeValue(value, transactionalId: "tx") == m)
        var bad = value
        bad[16] = 9
        #expect(throws: TransactionRecordError.self) { try TransactionLogRecord.decodeValue(bad, transactionalId: "tx") }
        #expect(TransactionState(name: "preparecommit") == .prepareCommit && TransactionState.prepareCommit.description == "PrepareCommit")
    }

    /// Random interleavings of several producers' requests, timeouts, failed writes and marker
    /// completions: every applied transition is one Kafka allows (checked by the harness), the
    /// invariants of `TransactionMetadata` hold, and a fenced epoch never gets a success.
    @Test(arguments: 0 ..< 40) func randomHistoriesKeepTheInvariants(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var h = Harness(partitions: nil, config: { var c = TransactionCoordinatorConfig(); c.numPartitions = 3; return c }())
        let ids = ["a", "b", "c"]
        var known: [String: (pid: Int64, epoch: Int16)] = [:]
        for step in 0 ..< 300 {
            let id = ids[Int(rng.next() % 3)]
            let partitions = [TopicPartition("t", Int32(rng.next() % 4))]
            switch rng.next() % 8 {
            case 0:
                if let r = h.initPid(id, timeoutMs: 1_000), r.error == .none { known[id] = (r.producerId, r.producerEpoch) }
            case 1, 2:
                if let k = known[id] { _ = h.add(id, k.pid, k.epoch, partitions) }
            case 3:
                if let k = known[id] { _ = h.end(id, k.pid, k.epoch, commit: rng.next() % 2 == 0) }
            case 4:
                if !h.markers.isEmpty { h.markersDone() }
            case 5:
                h.now += Int64(rng.next() % 700)
                h.run(h.coordinator.tick(now: h.now))
            case 6:
                // A stale producer (an older epoch) is never let through.
                if let k = known[id], k.epoch > 0 {
                    let reply = h.add(id, k.pid, k.epoch - 1, partitions)
                    #expect(reply != nil && reply != ErrorCode.none, "seed \(seed) step \(step)")
                }
            default:
                h.holdWrites = true
                if let k = known[id] { _ = h.add(id, k.pid, k.epoch, partitions) }
                h.holdWrites = false
                for w in h.held { h.run(h.coordinator.writeCompleted(w.id, error: .notEnoughReplicas, now: h.now)) }
                h.held.removeAll()
            }
            for m in h.coordinator.transactions.values {
                let open = [TransactionState.ongoing, .prepareCommit, .prepareAbort].contains(m.state)
                #expect(open || m.partitions.isEmpty, "seed \(seed) step \(step): \(m)")
                #expect(!open || m.startTimestampMs >= 0, "seed \(seed) step \(step): \(m)")
            }
        }
    }
}
