import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation

// Transactions in the seeded simulation (issue 11 §5). A transactional seed runs everything a
// replication seed does (`ReplicationSimulation`) and, beside it, two transactional producer
// applications and read_committed consumers:
//
// - Each producer application is one `SimulatedTransactionalProducer` instance at a time. Its
//   steps send one request at a time, as Kafka's producer does for a transaction: InitProducerId
//   at the coordinator (the leader of its `__transaction_state` partition, from the metadata),
//   AddPartitionsToTxn for the partitions it will write, one to three transactional Produce
//   requests to the partitions' leaders, then EndTxn, commit (mostly) or abort. A failed Produce
//   makes the transaction abort, and the producer initialises again after it (its sequences are
//   unknown); a fatal error (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, a timed-out transaction)
//   makes it initialise again; retriable ones (NOT_COORDINATOR, CONCURRENT_TRANSACTIONS, a lost
//   answer, ...) make it send the same request again.
// - An application restart starts a new instance while the old one lives on as a zombie: it goes
//   on as before (its transaction, and new ones) until an error that is fatal for it (PRODUCER_FENCED
//   or INVALID_PRODUCER_EPOCH from the coordinator, or any other non-retriable one); a Produce
//   refused makes it abort first, as any producer does.
// - Coordinators are killed on purpose (besides the kills any seed draws), and partition leaders
//   die with the brokers the seed kills.
//
// Invariants, after every step (`TransactionChecker`), reading the leaders' logs below their
// high watermarks (what is committed never changes, so each is scanned once):
// 1. Atomicity: a transaction's markers agree on every partition (COMMIT everywhere or ABORT
//    everywhere); a COMMIT marker needs an EndTxn(commit) that its producer sent while not fenced;
//    a transaction whose EndTxn(commit) was answered with success never gets an ABORT marker.
//    No record of a transaction follows its marker on a partition.
// 2. The last stable offset of every leader is at or below the first offset of every open
//    transaction, and at or below the high watermark.
// 3. read_committed: a consumer's Fetch returns records below the last stable offset only,
//    once each and in order (each producer's transactions and records in the order it wrote
//    them), and never a record of an aborted transaction (its marker, once scanned, is COMMIT).
// 4. Zombies are fenced: once a newer instance's InitProducerId was answered, none of an older
//    instance's requests (AddPartitionsToTxn, Produce, EndTxn) succeeds; no transactional batch
//    has a producer epoch below that of an earlier marker of its producer on its partition, and no
//    marker an epoch below its transaction's records. An EndTxn answered with success agrees
//    with the markers.
// At the end, after the liveness phase (every transaction ended, by its producer or by
// transaction.timeout.ms), a read_committed consumer reads every partition from the start:
// each transaction shows all of its records or none, everything read_committed returned during
// the run is still there, and a transaction is visible exactly where its markers say COMMIT
// (with every record it wrote there), never where they say ABORT, and never without a marker.

/// One instance of a transactional producer application.
final class SimulatedTransactionalProducer {
    enum Request: CustomStringConvertible {
        case initProducerId
        case addPartitions([TopicPartition])
        case produce(TopicPartition, values: [String])
        case endTxn(commit: Bool)

        var description: String {
            switch self {
            case .initProducerId: "InitProducerId"
            case let .addPartitions(tps): "AddPartitionsToTxn \(tps)"
            case let .produce(tp, values): "Produce \(values) to \(tp)"
            case let .endTxn(commit): "EndTxn(\(commit ? "commit" : "abort"))"
            }
        }
    }

    struct Transaction {
        /// "t-<name>-<instance>-<n>": every value it writes is the key followed by "-<k>".
        let key: String
        let partitions: [TopicPartition]
        /// The Produce calls still to make, in order.
        var writes: [TopicPartition]
        var added = false
        /// A Produce failed: the transaction must abort.
        var failed = false
        /// Commit or abort, once decided (retries send the same).
        var decision: Bool?
        var written = 0
    }

    let name: String
    let transactionalId: String
    let instance: Int
    let timeoutMs: Int32
    var producerId: Int64 = -1
    var epoch: Int16 = -1
    var initialised = false
    var sequences: [TopicPartition: Int32] = [:]
    var transaction: Transaction?
    var transactionCount = 0
    var inFlight: Request?
    /// The request in flight was sent after a newer instance had been initialised.
    var inFlightFenced = false
    /// A zombie that hit a fatal error stops.
    var dead = false
    /// Initialise again once the transaction ends (a Produce failed; its sequences are unknown).
    var reinitAfterEnd = false

    init(name: String, transactionalId: String, instance: Int, timeoutMs: Int32) {
        self.name = name
        self.transactionalId = transactionalId
        self.instance = instance
        self.timeoutMs = timeoutMs
    }

    static let retriable: Set<ErrorCode> = [.notCoordinator, .coordinatorLoadInProgress, .coordinatorNotAvailable, .concurrentTransactions,
                                            .requestTimedOut, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .networkException,
                                            .notLeaderOrFollower, .unknownTopicOrPartition]
}

/// What the producers did, transaction by transaction, as the checks need it.
struct TransactionLedger {
    struct Entry {
        /// Values sent, and values acknowledged, per partition.
        var sent: [TopicPartition: [String]] = [:]
        var acknowledged: [TopicPartition: [String]] = [:]
        var commitSent = false
        /// An EndTxn(commit) was sent while its producer was not fenced.
        var commitSentUnfenced = false
        var commitAcknowledged = false
        var abortAcknowledged = false
    }

    var entries: [String: Entry] = [:]
    /// Per producer application: epochs below this are fenced (a newer InitProducerId was answered).
    var fencedBelow: [String: Int16] = [:]

    func isFenced(_ p: SimulatedTransactionalProducer) -> Bool { p.initialised && p.epoch < fencedBelow[p.name, default: -1] }
}

/// A transactional value "t-<name>-<instance>-<txn>-<k>": its transaction's key and its order.
struct TransactionalValue {
    let key: String
    let name: String
    let order: [Int]

    init?(_ value: String) {
        let parts = value.split(separator: "-").map(String.init)
        guard parts.count == 5, parts[0] == "t", let i = Int(parts[2]), let n = Int(parts[3]), let k = Int(parts[4]) else { return nil }
        key = parts[0 ... 3].joined(separator: "-")
        name = parts[1]
        order = [i, n, k]
    }
}

/// A read_committed consumer of one partition: its position, and what it was given.
struct ReadCommittedConsumer {
    var position: Int64 = 0
    var fetching = false
    private var lastOffset: Int64 = -1
    private var lastOrder: [String: [Int]] = [:]
    /// Every record returned to the application, in order.
    private(set) var returned: [(offset: Int64, value: String)] = []

    /// Takes one Fetch answer for a fetch from `from`: filters it as a read_committed client does
    /// (`AbortedTransactionFilter`), checks what it returns, and moves the position past every
    /// batch. Returns the records returned to the application and the violations.
    mutating func absorb(_ p: FetchResponse.PartitionData, from: Int64, tp: TopicPartition) -> (records: [(Int64, String)], violations: [String], batches: Int) {
        var out: [(Int64, String)] = []
        var violations: [String] = []
        if p.lastStableOffset > p.highWatermark {
            violations.append("\(tp) read_committed Fetch answered LSO \(p.lastStableOffset) above the high watermark \(p.highWatermark)")
        }
        let locations: [MemoryRecords.BatchLocation]
        do { locations = try MemoryRecords.batches(in: p.records) } catch {
            return ([], ["\(tp) read_committed got unreadable records from \(from): \(error)"], 0)
        }
        var filter = AbortedTransactionFilter(p.abortedTransactions ?? [])
        for location in locations {
            let bytes = Array(p.records[location.range])
            position = max(position, location.header.nextOffset)
            let skipped = bytes.withUnsafeBytes { filter.skips(location.header, batch: $0) }
            guard !skipped else { continue }
            let records: [Record]
            do { records = try MemoryRecords.records(in: bytes) } catch {
                violations.append("\(tp) read_committed got an unreadable batch at \(location.header.baseOffset): \(error)")
                continue
            }
            for r in records where r.offset >= from {
                let value = String(decoding: r.value ?? [], as: UTF8.self)
                if r.offset >= p.lastStableOffset {
                    violations.append("\(tp) read_committed returned \(value)@\(r.offset) at or above the LSO \(p.lastStableOffset)")
                }
                if r.offset <= lastOffset {
                    violations.append("\(tp) read_committed returned offset \(r.offset) after \(lastOffset)")
                }
                lastOffset = max(lastOffset, r.offset)
                if let t = TransactionalValue(value) {
                    if let previous = lastOrder[t.name], !previous.lexicographicallyPrecedes(t.order) {
                        violations.append("\(tp) read_committed returned \(value)@\(r.offset) after producer \(t.name)'s later record \(previous)")
                    }
                    lastOrder[t.name] = t.order
                }
                out.append((r.offset, value))
            }
        }
        returned += out
        return (out, violations, locations.count)
    }
}

/// The transactional invariants (see the top of this file), checked against the leaders' logs.
struct TransactionChecker {
    /// Per partition: how far the committed prefix was scanned, the transactions open at that
    /// point (producer id → first offset, highest producer epoch of their records, and keys),
    /// and each producer's epoch in its last marker.
    private var scannedTo: [TopicPartition: Int64] = [:]
    private var open: [TopicPartition: [Int64: (first: Int64, epoch: Int16, keys: Set<String>)]] = [:]
    private var markerEpochs: [TopicPartition: [Int64: Int16]] = [:]
    /// Transaction key → partition → committed (true) or aborted, from its markers.
    private(set) var outcomes: [String: [TopicPartition: Bool]] = [:]
    /// A transaction on one partition.
    struct TransactionPart: Hashable, Comparable, CustomStringConvertible {
        let key: String
        let tp: TopicPartition
        static func < (a: Self, b: Self) -> Bool { (a.key, a.tp) < (b.key, b.tp) }
        var description: String { "\(key) on \(tp)" }
    }

    /// The transactions, per partition, that read_committed returned records of.
    var returnedToReadCommitted: Set<TransactionPart> = []

    mutating func check(_ cluster: Cluster, partitions: [TopicPartition], ledger: TransactionLedger) -> [String] {
        var out: [String] = []
        let image = cluster.metadataImage
        for tp in partitions {
            guard let reg = image.partition(tp), reg.hasLeader else { continue }
            let found: (PartitionLog, [SimulationChecker.Batch])? = cluster.lock.withLock {
                guard let replica = cluster.nodes[reg.leader]?.replicas[tp], replica.isLeader else { return nil }
                let log = replica.log
                let from = scannedTo[tp] ?? log.logStartOffset
                do {
                    return (log, try SimulationChecker.batches(log, from: from, below: log.highWatermark).filter { $0.last < log.highWatermark })
                } catch {
                    out.append("\(tp) could not read leader \(reg.leader)'s log from \(from): \(error)")
                    return nil
                }
            }
            guard let (log, batches) = found else { continue }
            for batch in batches { out += scan(batch, tp, ledger: ledger) }
            // 2. The LSO.
            let lso = log.lastStableOffset
            if lso > log.highWatermark { out.append("\(tp) LSO \(lso) is above the high watermark \(log.highWatermark)") }
            if let first = open[tp]?.values.map(\.first).min(), lso > first {
                let keys = open[tp]!.values.filter { $0.first == first }.flatMap(\.keys).sorted()
                out.append("\(tp) LSO \(lso) passed the open transaction \(keys) starting at \(first) (leader \(reg.leader))")
            }
        }
        // 3. What read_committed returned belongs to committed transactions.
        for part in returnedToReadCommitted.sorted() where outcomes[part.key]?[part.tp] == false {
            out.append("read_committed returned records of \(part.key) from \(part.tp), which aborted there")
        }
        return out
    }

    private mutating func scan(_ batch: SimulationChecker.Batch, _ tp: TopicPartition, ledger: TransactionLedger) -> [String] {
        var out: [String] = []
        scannedTo[tp] = batch.last + 1
        let header: RecordBatchHeader
        let records: [Record]
        do {
            guard let h = try MemoryRecords.batches(in: batch.bytes).first?.header else { return ["\(tp) no batch at \(batch.base)"] }
            header = h
            records = try MemoryRecords.records(in: batch.bytes)
        } catch {
            return ["\(tp) unreadable batch at \(batch.base): \(error)"]
        }
        guard header.attributes.isTransactional else { return out }
        let pid = header.producerId
        let epoch = header.producerEpoch
        if header.attributes.isControl {
            guard let marker = try? EndTransactionMarker.parse(RecordBatch(bytes: batch.bytes)) else {
                return ["\(tp) unreadable control batch at \(batch.base)"]
            }
            let ended = open[tp]?.removeValue(forKey: pid)
            if let ended, epoch < ended.epoch {
                out.append("\(tp) marker at \(batch.base) has producer epoch \(epoch), older than its transaction's records (\(ended.epoch))")
            }
            markerEpochs[tp, default: [:]][pid] = max(markerEpochs[tp]?[pid] ?? epoch, epoch)
            for key in (ended?.keys ?? []).sorted() {
                outcomes[key, default: [:]][tp] = marker.committed
                out += checkOutcome(key, tp, committed: marker.committed, ledger: ledger)
            }
            return out
        }
        // 4. A fenced producer's write: older than a marker the coordinator wrote with a newer epoch.
        if let fence = markerEpochs[tp]?[pid], epoch < fence {
            out.append("\(tp) transactional batch at \(batch.base) has producer epoch \(epoch), below the epoch \(fence) of an earlier marker")
        }
        for r in records {
            guard let t = TransactionalValue(String(decoding: r.value ?? [], as: UTF8.self)) else { continue }
            if outcomes[t.key]?[tp] != nil {
                out.append("\(tp) has a record of \(t.key) at \(r.offset), after that transaction's marker")
            }
            open[tp, default: [:]][pid, default: (first: batch.base, epoch: epoch, keys: [])].keys.insert(t.key)
            open[tp]![pid]!.epoch = max(open[tp]![pid]!.epoch, epoch)
        }
        return out
    }

    /// An EndTxn answer against the markers scanned so far.
    func checkAnswer(_ key: String, committed: Bool) -> [String] {
        (outcomes[key] ?? [:]).sorted { $0.key < $1.key }.filter { $0.value != committed }.map {
            "\(key): EndTxn(\(committed ? "commit" : "abort")) succeeded, but its marker on \($0.key) is \($0.value ? "COMMIT" : "ABORT")"
        }
    }

    /// 1 and 4: a marker against the other partitions' markers and what the producer did.
    private func checkOutcome(_ key: String, _ tp: TopicPartition, committed: Bool, ledger: TransactionLedger) -> [String] {
        var out: [String] = []
        for (other, c) in outcomes[key] ?? [:] where c != committed {
            out.append("\(key) \(committed ? "committed" : "aborted") on \(tp) but \(c ? "committed" : "aborted") on \(other)")
        }
        let entry = ledger.entries[key] ?? .init()
        if committed && !entry.commitSentUnfenced {
            out.append("\(key) committed on \(tp) without an EndTxn(commit) from an unfenced producer (commit sent: \(entry.commitSent))")
        }
        if !committed && entry.commitAcknowledged { out.append("\(key) aborted on \(tp) after its commit was acknowledged") }
        if committed && entry.abortAcknowledged { out.append("\(key) committed on \(tp) after its abort was acknowledged") }
        return out
    }

    /// The end: every partition read with read_committed from the start (`final`).
    func finalCheck(_ final: [TopicPartition: ReadCommittedConsumer], ledger: TransactionLedger,
                    returnedDuringRun: [TopicPartition: ReadCommittedConsumer]) -> [String] {
        var out: [String] = []
        var visible: [String: [TopicPartition: [String]]] = [:]
        for (tp, consumer) in final {
            var seen = Set<String>()
            for (offset, value) in consumer.returned {
                if !seen.insert(value).inserted { out.append("\(tp) read_committed returns \(value) twice (again at \(offset))") }
                if let t = TransactionalValue(value) { visible[t.key, default: [:]][tp, default: []].append(value) }
            }
            let all = Set(consumer.returned.map(\.value))
            for (offset, value) in returnedDuringRun[tp]?.returned ?? [] where !all.contains(value) {
                out.append("\(tp) read_committed returned \(value)@\(offset) during the run, but it is not committed at the end")
            }
        }
        // What is visible is what the markers committed, whole.
        for (key, byPartition) in outcomes.sorted(by: { $0.key < $1.key }) {
            for (tp, committed) in byPartition.sorted(by: { $0.key < $1.key }) where final[tp] != nil {
                let shown = visible[key]?[tp] ?? []
                if !committed && !shown.isEmpty { out.append("\(key) aborted on \(tp), yet read_committed shows \(shown)") }
                let written = ledger.entries[key]?.acknowledged[tp] ?? []
                if committed && shown != written {
                    out.append("\(key) committed on \(tp), yet read_committed shows \(shown) of the \(written) it wrote there")
                }
            }
        }
        for (key, byPartition) in visible.sorted(by: { $0.key < $1.key }) {
            for tp in byPartition.keys.sorted() where outcomes[key]?[tp] == nil {
                out.append("\(key) is visible on \(tp) without a marker there")
            }
        }
        for key in Set(ledger.entries.keys).union(visible.keys).sorted() {
            let entry = ledger.entries[key] ?? .init()
            let shown = visible[key] ?? [:]
            if shown.isEmpty {
                if entry.commitAcknowledged { out.append("\(key) was acknowledged as committed but read_committed shows none of it") }
                continue
            }
            if !entry.commitSentUnfenced { out.append("\(key) is visible but no unfenced producer asked to commit it") }
            for tp in Set(entry.acknowledged.keys).union(shown.keys).sorted() {
                let expected = entry.acknowledged[tp] ?? []
                if shown[tp] ?? [] != expected {
                    out.append("\(key) on \(tp): read_committed shows \(shown[tp] ?? []), the producer wrote \(expected) (all or none)")
                }
            }
        }
        return out
    }
}

/// The transactional side of one seed: the producer applications, the read_committed consumers,
/// the ledger and the checker.
final class TransactionSimulation {
    static let names = ["a", "b"]
    /// Instances per application, oldest first; the last is current, the others are zombies.
    var producers: [String: [SimulatedTransactionalProducer]] = [:]
    var consumers: [TopicPartition: ReadCommittedConsumer] = [:]
    var ledger = TransactionLedger()
    var checker = TransactionChecker()
    let transactionalIds: [String: String]
    let statePartitions: [TopicPartition]
    let timeoutMs: Int32

    init(statePartitionCount: Int32, timeoutMs: Int32) {
        self.timeoutMs = timeoutMs
        // Transactional ids on different `__transaction_state` partitions, so that the two
        // applications have different coordinators when the leaders differ.
        var ids: [String: String] = [:]
        var n = 0
        while ids.count < Self.names.count {
            let id = "sim-tx-\(Self.names[ids.count])-\(n)"
            let taken = Set(ids.values.map { OffsetsTopic.partitionFor(groupId: $0, partitionCount: statePartitionCount) })
            if ids.isEmpty || !taken.contains(OffsetsTopic.partitionFor(groupId: id, partitionCount: statePartitionCount)) {
                ids[Self.names[ids.count]] = id
            }
            n += 1
        }
        transactionalIds = ids
        statePartitions = (0 ..< statePartitionCount).map { TopicPartition(Cluster.transactionStateTopic, $0) }
        for name in Self.names {
            producers[name] = [SimulatedTransactionalProducer(name: name, transactionalId: ids[name]!, instance: 0, timeoutMs: timeoutMs)]
        }
    }

    func producer(_ name: String, instance: Int) -> SimulatedTransactionalProducer? {
        producers[name]?.first { $0.instance == instance }
    }

    func isCurrent(_ p: SimulatedTransactionalProducer) -> Bool { producers[p.name]?.last === p }

    func zombies(of name: String) -> [SimulatedTransactionalProducer] { (producers[name] ?? []).dropLast().filter { !$0.dead } }
}

extension ReplicationSimulation {
    /// The coordinator of `transactionalId` as the metadata names it: the leader of its
    /// `__transaction_state` partition.
    func transactionCoordinator(of transactionalId: String) -> Int32? {
        guard let txns = transactions else { return nil }
        let p = OffsetsTopic.partitionFor(groupId: transactionalId, partitionCount: Int32(txns.statePartitions.count))
        guard let reg = cluster.metadataImage.partition(TopicPartition(Cluster.transactionStateTopic, p)), reg.hasLeader else { return nil }
        return reg.leader
    }

    /// Besides the step drawn, each producer instance waiting for nothing takes its next step
    /// with probability 1/2 (a transaction needs several acks=all round trips; drawn as steps
    /// of their own, they would crowd out the faults).
    func idleProducerActions() -> [Action] {
        guard let txns = transactions else { return [] }
        return TransactionSimulation.names.flatMap { txns.producers[$0] ?? [] }
            .filter { !$0.dead && $0.inFlight == nil && rng.chance(0.5) }
            .map { .transact($0.name, instance: $0.instance) }
    }

    /// One step of a producer instance: its next request, if none is in flight.
    func transact(_ name: String, instance: Int) {
        guard let txns = transactions, let p = txns.producer(name, instance: instance), !p.dead else { return record("  gone") }
        guard p.inFlight == nil else { return record("  waiting for \(p.inFlight!)") }
        if !p.initialised {
            // A zombie never initialises again: that would be a new instance.
            guard txns.isCurrent(p) else {
                p.dead = true
                return record("  zombie \(name)\(instance) stops")
            }
            return sendToCoordinator(p, .initProducerId(InitProducerIdRequest(transactionalId: p.transactionalId, transactionTimeoutMs: p.timeoutMs)),
                                     as: .initProducerId)
        }
        if p.transaction == nil {
            p.transactionCount += 1
            let chosen = partitions.filter { _ in rng.chance(0.6) }
            let tps = chosen.isEmpty ? [partitions[rng.below(partitions.count)]] : chosen
            let writes = (0 ... rng.below(3)).map { _ in tps[rng.below(tps.count)] }
            p.transaction = .init(key: "t-\(name)-\(instance)-\(p.transactionCount)", partitions: tps, writes: writes)
            record("  begin \(p.transaction!.key) on \(tps), writes \(writes)")
        }
        guard var t = p.transaction else { return }
        if !t.added {
            return sendToCoordinator(p, .addPartitionsToTxn(AddPartitionsToTxnRequest(transactionalId: p.transactionalId, producerId: p.producerId,
                                                                                     producerEpoch: p.epoch, partitions: t.partitions)),
                                     as: .addPartitions(t.partitions))
        }
        if !t.failed, let tp = t.writes.first {
            guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader else { return record("  no leader for \(tp)") }
            let values = (0 ... rng.below(3)).map { i in "\(t.key)-\(t.written + i)" }
            t.written += values.count
            p.transaction = t
            var builder = RecordBatchBuilder(attributes: RecordBatchAttributes(isTransactional: true), producerId: p.producerId,
                                             producerEpoch: p.epoch, baseSequence: p.sequences[tp] ?? 0)
            for v in values { builder.append(timestamp: clock.nowMs(), key: nil, value: Array(v.utf8)) }
            transactions!.ledger.entries[t.key, default: .init()].sent[tp, default: []] += values
            let request = ProduceRequest(topic: tp.topic, partition: tp.partition, records: builder.build().bytes, acks: -1, timeoutMs: 30_000,
                                         transactionalId: p.transactionalId)
            return send(p, .produce(request), as: .produce(tp, values: values), to: reg.leader)
        }
        let commit = t.decision ?? (!t.failed && rng.chance(0.85))
        t.decision = commit
        p.transaction = t
        sendToCoordinator(p, .endTxn(EndTxnRequest(transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.epoch,
                                                   committed: commit)), as: .endTxn(commit: commit))
    }

    /// The application restarts: a new instance, and the old one goes on as a zombie.
    func restartProducer(_ name: String) {
        guard let txns = transactions, let current = txns.producers[name]?.last else { return }
        let next = SimulatedTransactionalProducer(name: name, transactionalId: current.transactionalId, instance: current.instance + 1,
                                                  timeoutMs: current.timeoutMs)
        txns.producers[name]!.append(next)
        statistics.producerRestarts += 1
        record("  \(name)\(current.instance) becomes a zombie (epoch \(current.epoch)); \(name)\(next.instance) starts")
    }

    private func sendToCoordinator(_ p: SimulatedTransactionalProducer, _ request: KafkaRequest, as kind: SimulatedTransactionalProducer.Request) {
        guard let coordinator = transactionCoordinator(of: p.transactionalId) else { return record("  no coordinator for \(p.transactionalId)") }
        send(p, request, as: kind, to: coordinator)
    }

    private func send(_ p: SimulatedTransactionalProducer, _ request: KafkaRequest, as kind: SimulatedTransactionalProducer.Request, to node: Int32) {
        p.inFlight = kind
        p.inFlightFenced = transactions!.ledger.isFenced(p)
        if case .endTxn(commit: true) = kind, let key = p.transaction?.key {
            transactions!.ledger.entries[key, default: .init()].commitSent = true
            if !p.inFlightFenced { transactions!.ledger.entries[key, default: .init()].commitSentUnfenced = true }
        }
        record("  \(p.name)\(p.instance) (pid \(p.producerId) epoch \(p.epoch)\(p.inFlightFenced ? ", fenced" : "")): \(kind) → broker \(node)")
        let inbox = inbox
        let (name, instance) = (p.name, p.instance)
        transport.send(request, to: node, context: RequestContext(clientId: "sim-\(name)\(instance)")) {
            inbox.add(.init(tp: TopicPartition(Cluster.transactionStateTopic, 0), request: .transactional(name: name, instance: instance), result: $0))
        }
    }

    /// A producer instance's answer.
    func absorbTransactional(_ name: String, instance: Int, _ result: Result<KafkaResponse, TransportError>) {
        guard let txns = transactions, let p = txns.producer(name, instance: instance), let request = p.inFlight else { return }
        p.inFlight = nil
        let fenced = p.inFlightFenced
        let who = "\(name)\(instance)"
        func error(_ code: ErrorCode?) -> String { code.map { $0.name } ?? "\(result)" }
        /// A fatal error: a zombie stops, the current instance initialises again.
        let zombieRefused: (ErrorCode?) -> Bool = { code in
            !txns.isCurrent(p) && (code == .producerFenced || code == .invalidProducerEpoch)
        }
        func fatal(_ code: ErrorCode) {
            if zombieRefused(code) { statistics.fencedRequests += 1 }
            record("  \(who): \(request) failed fatally: \(code.name)")
            p.transaction = nil
            if txns.isCurrent(p) { p.initialised = false } else { p.dead = true }
        }
        switch request {
        case .initProducerId:
            guard case let .success(.initProducerId(r)) = result, r.errorCode == .none else {
                var code: ErrorCode?
                if case let .success(.initProducerId(r)) = result { code = r.errorCode }
                return record("  \(who): InitProducerId failed: \(error(code))")
            }
            p.producerId = r.producerId
            p.epoch = r.producerEpoch
            p.sequences = [:]
            p.initialised = true
            p.reinitAfterEnd = false
            txns.ledger.fencedBelow[name] = max(txns.ledger.fencedBelow[name, default: -1], r.producerEpoch)
            record("  \(who): producer id \(r.producerId) epoch \(r.producerEpoch)")
        case let .addPartitions(tps):
            guard case let .success(.addPartitionsToTxn(r)) = result else { return record("  \(who): AddPartitionsToTxn failed: \(result)") }
            let errors = r.errors
            if tps.allSatisfy({ errors[$0] == ErrorCode.none }) {
                if fenced { problems.append("\(who) (epoch \(p.epoch)) was fenced by a newer instance, yet AddPartitionsToTxn \(tps) succeeded") }
                p.transaction?.added = true
                return record("  \(who): added \(tps)")
            }
            let codes = tps.compactMap { errors[$0] }.filter { $0 != .none && $0 != .operationNotAttempted }
            if let bad = codes.first(where: { !SimulatedTransactionalProducer.retriable.contains($0) }) { return fatal(bad) }
            record("  \(who): AddPartitionsToTxn: \(errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.name)" })")
        case let .produce(tp, values):
            var code: ErrorCode?
            if case let .success(.produce(r)) = result { code = r.partition(topic: tp.topic, partition: tp.partition)?.errorCode }
            guard code == ErrorCode.none, var t = p.transaction else {
                record("  \(who): \(values) failed: \(error(code)); the transaction will abort")
                if zombieRefused(code) { statistics.fencedRequests += 1 }
                p.transaction?.failed = true
                p.reinitAfterEnd = true
                return
            }
            if fenced { problems.append("\(who) (epoch \(p.epoch)) was fenced by a newer instance, yet its Produce \(values) to \(tp) succeeded") }
            p.sequences[tp, default: 0] += Int32(values.count)
            t.writes.removeFirst()
            p.transaction = t
            txns.ledger.entries[t.key, default: .init()].acknowledged[tp, default: []] += values
            record("  \(who): \(values) acknowledged at \(tp)")
        case let .endTxn(commit):
            var code: ErrorCode?
            if case let .success(.endTxn(r)) = result { code = r.errorCode }
            guard let key = p.transaction?.key else { return }
            if code == ErrorCode.none {
                if fenced { problems.append("\(who) (epoch \(p.epoch)) was fenced by a newer instance, yet its EndTxn(\(commit ? "commit" : "abort")) of \(key) succeeded") }
                problems += txns.checker.checkAnswer(key, committed: commit)
                if commit {
                    txns.ledger.entries[key, default: .init()].commitAcknowledged = true
                    statistics.transactionsCommitted += 1
                } else {
                    txns.ledger.entries[key, default: .init()].abortAcknowledged = true
                    statistics.transactionsAborted += 1
                }
                record("  \(who): \(key) \(commit ? "committed" : "aborted")")
                p.transaction = nil
                if p.reinitAfterEnd { p.initialised = false }
                return
            }
            if let code, !SimulatedTransactionalProducer.retriable.contains(code) { return fatal(code) }
            record("  \(who): EndTxn failed: \(error(code)); retrying")
        }
    }

    /// A read_committed consumer's next Fetch of `tp`, from its position, to the leader.
    func readCommitted(_ tp: TopicPartition) {
        guard let txns = transactions, txns.consumers[tp]?.fetching != true else { return record("  a fetch is in flight") }
        guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader else { return record("  no leader for \(tp)") }
        let from = txns.consumers[tp, default: .init()].position
        txns.consumers[tp, default: .init()].fetching = true
        let request = FetchRequest(topic: tp.topic, partition: tp.partition, fetchOffset: from, partitionMaxBytes: 512, maxWaitMs: 0,
                                   isolationLevel: .readCommitted)
        record("  read_committed from \(from) ← broker \(reg.leader)")
        let inbox = inbox
        transport.send(.fetch(request), to: reg.leader, context: RequestContext(clientId: "sim-read-committed")) {
            inbox.add(.init(tp: tp, request: .readCommitted(fromOffset: from), result: $0))
        }
    }

    func absorbReadCommitted(_ tp: TopicPartition, from: Int64, _ result: Result<KafkaResponse, TransportError>) {
        guard let txns = transactions else { return }
        txns.consumers[tp]?.fetching = false
        guard case let .success(.fetch(response)) = result, let p = response.partition(topic: tp.topic, partition: tp.partition),
              p.errorCode == .none else { return record("  read_committed fetch from \(from) failed") }
        guard txns.consumers[tp]?.position == from else { return }
        let (records, violations, _) = txns.consumers[tp]!.absorb(p, from: from, tp: tp)
        problems += violations
        statistics.readCommitted += records.count
        record("  read_committed: \(records.count) records from \(tp)@\(from), LSO \(p.lastStableOffset), HW \(p.highWatermark)")
        for (offset, value) in records {
            noteCommitted(tp, offset: offset, value: value, how: "read committed")
            if let t = TransactionalValue(value) { txns.checker.returnedToReadCommitted.insert(.init(key: t.key, tp: tp)) }
        }
    }

    /// The transactional invariants after a step.
    func checkTransactions() -> [String] {
        guard let txns = transactions else { return [] }
        return txns.checker.check(cluster, partitions: partitions, ledger: txns.ledger)
    }

    /// Why the transactions have not settled: open transactions on a leader, coordinators still
    /// loading, writing markers, or holding unfinished transactions.
    func transactionConvergenceProblems() -> [String] {
        guard transactions != nil else { return [] }
        var out: [String] = []
        let image = cluster.metadataImage
        cluster.lock.withLock {
            for tp in partitions {
                guard let reg = image.partition(tp), let log = cluster.nodes[reg.leader]?.replicas[tp]?.log else { continue }
                if log.lastStableOffset != log.logEndOffset {
                    out.append("\(tp) LSO \(log.lastStableOffset) below the log end \(log.logEndOffset): open \(log.openTransactions)")
                }
            }
            for (id, node) in cluster.nodes.sorted(by: { $0.key < $1.key }) {
                let txns = node.transactions
                if txns.isLoading { out.append("coordinator \(id) still loading") }
                if !txns.markerJobs.isEmpty { out.append("coordinator \(id) still writing markers for \(txns.markerJobs.keys.sorted())") }
                for (tid, m) in txns.coordinator.transactions where ![.empty, .completeCommit, .completeAbort, .dead].contains(m.state) {
                    out.append("coordinator \(id): \(tid) is \(m.state)")
                }
            }
        }
        return out
    }

    /// After the liveness phase: every partition read with read_committed from the start,
    /// through the transport, and the final checks.
    func finalTransactionCheck() -> SimulationFailure? {
        guard let txns = transactions else { return nil }
        var final: [TopicPartition: ReadCommittedConsumer] = [:]
        var violations: [String] = []
        let box = ClientInbox()
        for tp in partitions {
            var consumer = ReadCommittedConsumer()
            let leader = cluster.metadataImage.partition(tp)?.leader ?? -1
            consumer.position = cluster.lock.withLock { cluster.nodes[leader]?.replicas[tp]?.log.logStartOffset } ?? 0
            for _ in 0 ..< 100_000 {
                guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader else {
                    violations.append("\(tp) has no leader at the end")
                    break
                }
                let from = consumer.position
                transport.send(.fetch(FetchRequest(topic: tp.topic, partition: tp.partition, fetchOffset: from, partitionMaxBytes: 4_096,
                                                   maxWaitMs: 0, isolationLevel: .readCommitted)),
                               to: reg.leader, context: RequestContext(clientId: "sim-final-read")) {
                    box.add(.init(tp: tp, request: .readCommitted(fromOffset: from), result: $0))
                }
                var answer = box.drain().first
                var waited = 0
                while answer == nil, waited < 10_000 {
                    if transport.deliverNext() == nil {
                        clock.advance(ms: 1)
                        waited += 1
                    }
                    answer = box.drain().first
                }
                guard let answer, case let .success(.fetch(response)) = answer.result,
                      let p = response.partition(topic: tp.topic, partition: tp.partition), p.errorCode == .none else {
                    violations.append("\(tp) final read_committed fetch from \(from) failed")
                    break
                }
                let (_, found, batches) = consumer.absorb(p, from: from, tp: tp)
                violations += found
                if batches == 0 { break }
            }
            final[tp] = consumer
        }
        violations += txns.checker.finalCheck(final, ledger: txns.ledger, returnedDuringRun: txns.consumers)
        let pending = txns.checker.returnedToReadCommitted.sorted().filter { txns.checker.outcomes[$0.key]?[$0.tp] != true }
        violations += pending.map { "read_committed returned records of \($0) but no COMMIT marker for them was found" }
        guard violations.isEmpty else {
            return SimulationFailure(scenario: scenario, step: step, violations: violations.map { "final: \($0)" }, history: history,
                                     state: stateDump())
        }
        return nil
    }
}
