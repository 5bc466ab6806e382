import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation

// A seeded simulation of replication (FoundationDB / TigerBeetle style): one seed draws a whole
// schedule of client produces, replication, message delivery, clock moves and faults against a
// real 3-broker `Cluster` over a `SimulatedTransport`, and `SimulationChecker` checks the safety
// invariants after every step and liveness at the end. See `SimulationTests` for the fault model.

/// One seeded run against a real cluster in a fresh directory.
final class ReplicationSimulation {
    enum Action: CustomStringConvertible {
        case produce(TopicPartition, acks: Int16, count: Int, timeoutMs: Int32)
        case replicationRound
        case deliver(Int)
        case advanceClock(Int64)
        case clockJump(Int64)
        case tick
        case kill(Int32)
        case stop(Int32)
        case restart(Int32)
        case cut(Int32, Int32)
        case isolate(Int32)
        case heal(SimulatedTransport.Link)
        case healAll
        case setLoss(Double)
        /// The whole process stops (cleanly, or as a crash: every broker loses its unflushed
        /// data, the metadata log whatever it had not synced) and the data directory is opened
        /// again.
        case reopen(crash: Bool)
        /// DeleteRecords on the leader, up to a point drawn below its high watermark.
        case deleteRecords(TopicPartition, fraction: Double)
        /// A consumer fetch from the leader.
        case consume(TopicPartition, fraction: Double)
        /// A transactional producer instance's next request (`TransactionSimulation`).
        case transact(String, instance: Int)
        /// A transactional producer application restarts: a new instance, the old one a zombie.
        case restartProducer(String)
        /// A read_committed consumer's next fetch.
        case readCommitted(TopicPartition)

        var description: String {
            switch self {
            case let .produce(tp, acks, count, timeout): "produce \(tp) acks=\(acks) ×\(count) timeout=\(timeout)"
            case .replicationRound: "replication round"
            case let .deliver(n): "deliver ≤\(n)"
            case let .advanceClock(ms): "clock +\(ms)ms"
            case let .clockJump(ms): "CLOCK JUMP +\(ms)ms"
            case .tick: "tick"
            case let .kill(id): "KILL broker \(id)"
            case let .stop(id): "STOP broker \(id)"
            case let .restart(id): "RESTART broker \(id)"
            case let .cut(a, b): "CUT \(SimulatedTransport.name(a))|\(SimulatedTransport.name(b))"
            case let .isolate(id): "ISOLATE broker \(id)"
            case let .heal(link): "heal \(link)"
            case .healAll: "heal all"
            case let .setLoss(p): "message loss \(p)"
            case let .reopen(crash): crash ? "PROCESS CRASH and reopen" : "PROCESS RESTART (clean)"
            case let .deleteRecords(tp, fraction): "delete records of \(tp) (\(Int(fraction * 100))% of the way to the HW)"
            case let .consume(tp, fraction): "consume \(tp) (from \(Int(fraction * 100))% of the way to the HW)"
            case let .transact(name, instance): "transactional producer \(name)\(instance)"
            case let .restartProducer(name): "RESTART producer application \(name)"
            case let .readCommitted(tp): "read_committed \(tp)"
            }
        }
    }

    static let brokers: [Int32] = [0, 1, 2]
    static let topic = "sim"
    static let historyLimit = 120
    /// EDDY_SIM_TRACE set: print every event as it happens (for replaying one seed).
    static let trace = ProcessInfo.processInfo.environment["EDDY_SIM_TRACE"] != nil

    let scenario: SimulationScenario
    var rng: SplitMix64
    let clock = ManualClock()
    let transport: SimulatedTransport
    let directory: String
    private(set) var cluster: Cluster
    let partitions: [TopicPartition]
    /// The transactional side, in transactional seeds.
    let transactions: TransactionSimulation?
    /// `partitions`, and in transactional seeds those of `__transaction_state`: the partitions
    /// whose replication is checked and which must be whole before an unflushed seed's next fault.
    var watchedPartitions: [TopicPartition] { partitions + (transactions?.statePartitions ?? []) }
    private(set) var step = 0
    private(set) var history: [String] = []
    let inbox = ClientInbox()
    /// Records the cluster declared committed: acknowledged with acks=all, or returned to a
    /// consumer (who reads below the high watermark). Partition → offset → value.
    private(set) var committed: [TopicPartition: [Int64: String]] = [:]
    /// The highest log start offset DeleteRecords set: records below it are gone legitimately
    /// (also those whose acknowledgement arrives later).
    private var deletedBefore: [TopicPartition: Int64] = [:]
    /// Brokers down and how ("killed" / "stopped").
    private(set) var down: [Int32: String] = [:]
    private var nextValue = 0
    var problems: [String] = []
    var checker = SimulationChecker()
    var statistics = SimulationStatistics()
    /// Every event appended to `history`, hashed: two runs of one seed must agree on it.
    private(set) var traceHash: UInt64 = 0xCBF2_9CE4_8422_2325

    let options: ClusterOptions

    init(_ scenario: SimulationScenario) throws {
        self.scenario = scenario
        rng = SplitMix64(seed: scenario.seed)
        transport = SimulatedTransport(seed: scenario.seed ^ 0x7A3D_11C5_9E01_44B7, clock: clock, faults: scenario.faults)
        directory = SimulationDirectory.make(label: "sim-\(scenario.seed)")
        var options = ClusterOptions()
        options.initialBrokerCount = Self.brokers.count
        options.replicaLagTimeMaxMs = scenario.replicaLagTimeMaxMs
        options.brokerSessionTimeoutMs = scenario.sessionTimeoutMs
        options.leaderImbalanceCheckIntervalMs = scenario.leaderImbalanceCheckMs
        options.metadata = smallMetadataSettings(records: 40)
        options.randomSeed = scenario.seed
        let transactions = scenario.transactionTimeoutMs.map { TransactionSimulation(statePartitionCount: 2, timeoutMs: $0) }
        if let transactions {
            options.transactionCoordinator.numPartitions = Int32(transactions.statePartitions.count)
            options.transactionCoordinator.abortTimedOutTransactionCleanupIntervalMs = 100
            options.logCleanerThreads = false
        }
        self.transactions = transactions
        self.options = options
        do {
            cluster = try Cluster.simulated(dataDirectory: directory, clock: clock, options: options, transport: transport,
                                            verbose: Self.trace)
            var configs = ["min.insync.replicas": "2", "unclean.leader.election.enable": "false",
                           "segment.bytes": "\(scenario.segmentBytes)"]
            if scenario.durable { configs["flush.messages"] = "1" }
            try cluster.createTopic(Self.topic, partitions: transactions == nil ? scenario.partitions : 2, replicationFactor: 3, configs: configs)
            if transactions != nil {
                // Created up front (a producer's FindCoordinator would), with the same durability.
                let cluster = cluster
                _ = try cluster.withLockThenCallbacks { () throws(BrokerError) in try cluster.ensureTransactionStateTopic() }
                try cluster.alterConfigs(topic: Cluster.transactionStateTopic,
                                         set: configs.filter { $0.key != "unclean.leader.election.enable" })
            }
        } catch {
            SimulationDirectory.remove(directory)
            throw error
        }
        partitions = (0 ..< (transactions == nil ? scenario.partitions : 2)).map { TopicPartition(Self.topic, $0) }
    }

    deinit {
        try? cluster.shutdown()
        SimulationDirectory.remove(directory)
    }

    // MARK: Running

    /// Runs every step, checking the invariants after each, then the liveness phase.
    func run() -> SimulationFailure? {
        if let failure = check() { return failure }
        while step < scenario.steps {
            step += 1
            perform(chooseAction())
            if transactions != nil { for action in idleProducerActions() { perform(action) } }
            if let failure = check() { return failure }
        }
        return settleAndCheckLiveness() ?? finalTransactionCheck()
    }

    /// Heals the network, restarts every broker and drives the cluster until it is quiet;
    /// then every partition must have a leader, a full ISR, and replicas identical to the
    /// leader up to its log end, holding every acknowledged record.
    func settleAndCheckLiveness(maxRounds: Int = 3_000) -> SimulationFailure? {
        record("--- liveness: heal, restart everything, settle")
        transport.faults = .none
        transport.healAll()
        for id in down.keys.sorted() { perform(.restart(id)) }
        if let failure = check() { return failure }
        var quietRounds = 0
        for round in 1 ... maxRounds {
            step += 1
            statistics.livenessRounds = round
            // With transactions, an abandoned one ends only after transaction.timeout.ms (up to 60 s).
            clock.advance(ms: transactions == nil ? 10 : 50)
            cluster.tick()
            cluster.replicationRound()
            while transport.deliverNext() != nil {}
            if let failure = check() { return failure }
            let converged = convergenceProblems().isEmpty && transactionConvergenceProblems().isEmpty && transport.inFlightCount == 0
            quietRounds = converged ? quietRounds + 1 : 0
            if quietRounds >= 3 { break }
        }
        var final = convergenceProblems() + transactionConvergenceProblems()
        if transport.inFlightCount > 0 { final.append("\(transport.inFlightCount) messages still in flight") }
        if !cluster.uncleanElectionLosses.isEmpty { final.append("unclean election losses \(cluster.uncleanElectionLosses)") }
        statistics.transport = transport.statistics
        statistics.leaderEpochs = checker.leaderEpochCount
        statistics.truncations = checker.truncations
        guard final.isEmpty else { return failure(final.map { "liveness: \($0)" }) }
        return nil
    }

    /// Why the cluster is not settled yet; empty when it is.
    func convergenceProblems() -> [String] {
        var out: [String] = []
        let image = cluster.metadataImage
        cluster.lock.withLock {
            for tp in watchedPartitions {
                guard let reg = image.partition(tp) else { out.append("\(tp) missing from metadata"); continue }
                guard reg.hasLeader, let leader = cluster.nodes[reg.leader]?.replicas[tp] else {
                    out.append("\(tp) has no running leader (leader \(reg.leader))"); continue
                }
                if Set(reg.isr) != Set(reg.replicas) { out.append("\(tp) ISR \(reg.isr) is not the replicas \(reg.replicas)") }
                let leo = leader.log.logEndOffset
                if leader.log.highWatermark != leo { out.append("\(tp) leader HW \(leader.log.highWatermark) below LEO \(leo)") }
                for id in reg.replicas where id != reg.leader {
                    guard let r = cluster.nodes[id]?.replicas[tp] else { out.append("\(tp) replica on \(id) not running"); continue }
                    // Log start offsets may differ (a replica that missed a DeleteRecords
                    // learns it only while its high watermark covers it, as in Kafka): compare
                    // from the higher one.
                    let start = max(r.log.logStartOffset, leader.log.logStartOffset)
                    let theirs = try? SimulationChecker.batches(leader.log, below: leo).filter { $0.last >= start }
                    if r.log.logEndOffset != leo || r.log.highWatermark != leo {
                        out.append("\(tp) replica \(id) LEO \(r.log.logEndOffset) HW \(r.log.highWatermark), leader LEO \(leo)")
                    } else if (try? SimulationChecker.batches(r.log, below: leo).filter { $0.last >= start }) != theirs {
                        out.append("\(tp) replica \(id) differs from leader \(reg.leader) below \(leo)")
                    }
                }
                for (offset, _) in committed[tp] ?? [:] where offset >= leo {
                    out.append("\(tp) committed offset \(offset) beyond the leader's log end \(leo)")
                }
            }
        }
        return out
    }

    // MARK: Choosing

    /// Whether another fault may start now. Unflushed seeds allow one fault at a time, and only
    /// once the previous one has fully healed (every broker up, no cut link, every ISR full).
    func faultAllowed(addingDown: Bool) -> Bool {
        if scenario.durable {
            return addingDown ? down.count < scenario.maxDown : transport.cutLinkList.count < scenario.maxCuts
        }
        guard down.isEmpty, transport.cutLinkList.isEmpty else { return false }
        let image = cluster.metadataImage
        return watchedPartitions.allSatisfy { tp in image.partition(tp).map { Set($0.isr) == Set($0.replicas) } ?? false }
    }

    func chooseAction() -> Action {
        let up = Self.brokers.filter { down[$0] == nil }
        let mayDown = faultAllowed(addingDown: true) && !up.isEmpty
        let mayCut = faultAllowed(addingDown: false)
        let cuts = transport.cutLinkList
        // Transactional seeds run calmer: the ordinary steps weigh more, so that transactions
        // (several acks=all round trips each) complete between faults.
        let calm = transactions == nil ? 1 : 5
        var choices: [(weight: Int, make: () -> Action)] = [
            (150, { [self] in
                .produce(partitions[rng.below(partitions.count)], acks: rng.chance(0.8) ? -1 : 1, count: rng.below(3) + 1,
                         timeoutMs: Int32([200, 1_000, 5_000][rng.below(3)]))
            }),
            (200 * calm, { .replicationRound }),
            (250 * calm, { [self] in .deliver(rng.below(8) + 1) }),
            (150 * calm, { [self] in .advanceClock(Int64(rng.below(30) + 1)) }),
            (6, { [self] in .clockJump(Int64(rng.below(Int(2 * max(scenario.sessionTimeoutMs, scenario.replicaLagTimeMaxMs)))) + 1) }),
            (120 * calm, { .tick }),
            (8, { [self] in .setLoss([0, scenario.faults.lossProbability, transactions == nil ? 0.2 : 0.05][rng.below(3)]) }),
            (3, { .reopen(crash: false) }),
            // Not with transactions: DeleteRecords would take committed transactions' records away
            // from the final read.
            (transactions == nil ? 4 : 0, { [self] in .deleteRecords(partitions[rng.below(partitions.count)], fraction: [0.5, 1][rng.below(2)]) }),
            (40, { [self] in .consume(partitions[rng.below(partitions.count)], fraction: Double(rng.below(5)) / 4) }),
        ]
        if let txns = transactions {
            choices += [
                (20, { [self] in
                    let name = TransactionSimulation.names[rng.below(TransactionSimulation.names.count)]
                    return .transact(name, instance: txns.producers[name]!.last!.instance)
                }),
                (40, { [self] in .readCommitted(partitions[rng.below(partitions.count)]) }),
            ]
            let zombies = TransactionSimulation.names.flatMap { txns.zombies(of: $0) }
            if !zombies.isEmpty {
                choices.append((40, { [self] in let z = zombies[rng.below(zombies.count)]; return .transact(z.name, instance: z.instance) }))
            }
            let restartable = TransactionSimulation.names.filter { txns.zombies(of: $0).isEmpty }
            if !restartable.isEmpty {
                choices.append((3, { [self] in .restartProducer(restartable[rng.below(restartable.count)]) }))
            }
            let coordinators = txns.transactionalIds.values.sorted().compactMap { transactionCoordinator(of: $0) }.filter { down[$0] == nil }
            if mayDown && !coordinators.isEmpty {
                choices.append((10, { [self] in .kill(coordinators[rng.below(coordinators.count)]) }))
            }
        }
        if scenario.durable { choices.append((3, { .reopen(crash: true) })) }
        if mayDown {
            choices.append((12, { [self] in .kill(up[rng.below(up.count)]) }))
            choices.append((6, { [self] in .stop(up[rng.below(up.count)]) }))
        }
        if !down.isEmpty {
            let ids = down.keys.sorted()
            choices.append((25, { [self] in .restart(ids[rng.below(ids.count)]) }))
        }
        if mayCut {
            let nodes = Self.brokers + [SimulatedTransport.clientNode]
            choices.append((10, { [self] in
                let a = nodes[rng.below(nodes.count)]
                let others = nodes.filter { $0 != a }
                return .cut(a, others[rng.below(others.count)])
            }))
            choices.append((4, { [self] in .isolate(Self.brokers[rng.below(Self.brokers.count)]) }))
        }
        if !cuts.isEmpty {
            choices.append((20, { [self] in .heal(cuts[rng.below(cuts.count)]) }))
            choices.append((10, { .healAll }))
        }
        let total = choices.reduce(0) { $0 + $1.weight }
        var pick = rng.below(total)
        for choice in choices {
            if pick < choice.weight { return choice.make() }
            pick -= choice.weight
        }
        return .tick
    }

    // MARK: Acting

    func perform(_ action: Action) {
        record("\(action)")
        switch action {
        case let .produce(tp, acks, count, timeoutMs):
            statistics.produced += 1
            produce(tp, acks: acks, count: count, timeoutMs: timeoutMs)
        case .replicationRound:
            cluster.replicationRound()
        case let .deliver(n):
            for _ in 0 ..< n {
                guard let event = transport.deliverNext() else { break }
                record("  \(event)")
            }
        case let .advanceClock(ms):
            clock.advance(ms: ms)
        case let .clockJump(ms):
            statistics.clockJumps += 1
            clock.advance(ms: ms)
        case .tick:
            cluster.tick()
        case let .kill(id):
            statistics.kills += 1
            if transactions?.transactionalIds.values.contains(where: { transactionCoordinator(of: $0) == id }) == true {
                statistics.coordinatorKills += 1
            }
            attempt("kill \(id)") { try cluster.killBroker(id) }
            transport.resetConnections(of: id)
            down[id] = "killed"
        case let .stop(id):
            statistics.stops += 1
            attempt("stop \(id)") { try cluster.stopBroker(id) }
            transport.resetConnections(of: id)
            down[id] = "stopped"
        case let .restart(id):
            statistics.restarts += 1
            attempt("restart \(id)") { try cluster.startBroker(id) }
            transport.resetConnections(of: id)
            down[id] = nil
        case let .cut(a, b):
            statistics.cuts += 1
            transport.cut(a, b)
        case let .isolate(id):
            statistics.cuts += 1
            for other in Self.brokers + [SimulatedTransport.clientNode] where other != id { transport.cut(id, other) }
        case let .heal(link):
            transport.heal(link.a, link.b)
        case .healAll:
            transport.healAll()
        case let .setLoss(p):
            var f = transport.faults
            f.lossProbability = p
            transport.faults = f
        case let .reopen(crash):
            statistics.reopens += 1
            reopen(crash: crash)
        case let .deleteRecords(tp, fraction):
            deleteRecords(tp, fraction: fraction)
        case let .consume(tp, fraction):
            consume(tp, fraction: fraction)
        case let .transact(name, instance):
            transact(name, instance: instance)
        case let .restartProducer(name):
            restartProducer(name)
        case let .readCommitted(tp):
            readCommitted(tp)
        }
        absorbOutcomes()
    }

    /// Stops the process and opens the data directory again with the same options; brokers
    /// not fenced come back (the cluster decides how), fenced ones stay down.
    private func reopen(crash: Bool) {
        if crash {
            cluster.simulateCrash()
        } else {
            attempt("shutdown") { try cluster.shutdown() }
        }
        for id in Self.brokers { transport.resetConnections(of: id) }
        absorbOutcomes()
        do {
            cluster = try Cluster.simulated(dataDirectory: directory, clock: clock, options: options, transport: transport,
                                            verbose: Self.trace)
        } catch {
            problems.append("reopening the data directory failed: \(error)")
            return
        }
        checker.processRestarted(crashed: crash)
        let running = Set(cluster.runningBrokers)
        for id in Self.brokers {
            if running.contains(id) {
                down[id] = nil
            } else if down[id] == nil {
                down[id] = "stopped"
            }
        }
        record("  running after reopen: \(running.sorted())")
    }

    /// DeleteRecords (an admin call, not through the network): acknowledged records below the
    /// new log start offset are gone legitimately and leave the model.
    private func deleteRecords(_ tp: TopicPartition, fraction: Double) {
        guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader,
              let offsets = cluster.replicaOffsets(tp)[reg.leader] else {
            record("  no running leader for \(tp)")
            return
        }
        let start = cluster.lock.withLock { cluster.nodes[reg.leader]?.replicas[tp]?.log.logStartOffset } ?? 0
        let target = start + Int64(Double(max(0, offsets.highWatermark - start)) * fraction)
        do {
            let newStart = try cluster.deleteRecords(tp, before: target)
            statistics.deletions += 1
            record("  log start offset of \(tp) now \(newStart)")
            deletedBefore[tp] = max(deletedBefore[tp] ?? 0, newStart)
            committed[tp] = committed[tp]?.filter { $0.key >= newStart }
        } catch {
            record("  delete records of \(tp) before \(target) failed: \(error)")
        }
    }

    private func attempt(_ what: String, _ body: () throws -> Void) {
        do { try body() } catch { problems.append("\(what) threw \(error)") }
    }

    /// Sends one produce of `count` fresh values to the partition's leader as the metadata
    /// shows it (a client with up-to-date metadata).
    private func produce(_ tp: TopicPartition, acks: Int16, count: Int, timeoutMs: Int32) {
        guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader else {
            record("  no leader for \(tp)")
            return
        }
        let values = (0 ..< count).map { i in "v\(nextValue + i)" }
        nextValue += count
        var builder = RecordBatchBuilder()
        for v in values { builder.append(timestamp: clock.nowMs(), key: nil, value: Array(v.utf8)) }
        let request = ProduceRequest(topic: tp.topic, partition: tp.partition, records: builder.build().bytes, acks: acks,
                                     timeoutMs: timeoutMs)
        record("  \(values) → broker \(reg.leader) (epoch \(reg.leaderEpoch))")
        let inbox = inbox
        transport.send(.produce(request), to: reg.leader, context: RequestContext(clientId: "sim-client", correlationId: Int32(nextValue))) {
            inbox.add(.init(tp: tp, request: .produce(acks: acks, values: values), result: $0))
        }
    }

    /// Fetches as a consumer from the partition's leader, from an offset drawn between its log
    /// start offset and its high watermark.
    private func consume(_ tp: TopicPartition, fraction: Double) {
        guard let reg = cluster.metadataImage.partition(tp), reg.hasLeader,
              let offsets = cluster.replicaOffsets(tp)[reg.leader] else {
            record("  no running leader for \(tp)")
            return
        }
        let start = cluster.lock.withLock { cluster.nodes[reg.leader]?.replicas[tp]?.log.logStartOffset } ?? 0
        let from = start + Int64(Double(max(0, offsets.highWatermark - start)) * fraction)
        let request = FetchRequest(topic: tp.topic, partition: tp.partition, fetchOffset: from, partitionMaxBytes: 512)
        record("  from \(from) ← broker \(reg.leader)")
        let inbox = inbox
        transport.send(.fetch(request), to: reg.leader, context: RequestContext(clientId: "sim-consumer")) {
            inbox.add(.init(tp: tp, request: .consume(fromOffset: from), result: $0))
        }
    }

    /// Applies the answers that reached the client to the model of committed records.
    private func absorbOutcomes() {
        for o in inbox.drain() {
            switch o.request {
            case let .produce(acks, values): absorbProduce(o.tp, acks: acks, values: values, o.result)
            case let .consume(from): absorbConsume(o.tp, from: from, o.result)
            case let .readCommitted(from): absorbReadCommitted(o.tp, from: from, o.result)
            case let .transactional(name, instance): absorbTransactional(name, instance: instance, o.result)
            }
        }
    }

    private func absorbProduce(_ tp: TopicPartition, acks: Int16, values: [String], _ result: Result<KafkaResponse, TransportError>) {
        guard case let .success(.produce(response)) = result, let p = response.partition(topic: tp.topic, partition: tp.partition) else {
            record("  client: \(values) failed: \(result)")
            let key = if case let .failure(e) = result { "\(e)".components(separatedBy: " ").first ?? "transport" } else { "bad-response" }
            statistics.produceErrors["transport-" + key, default: 0] += 1
            return
        }
        guard p.errorCode == .none else {
            record("  client: \(values) failed: \(p.errorCode)")
            statistics.produceErrors[p.errorCode.name, default: 0] += 1
            return
        }
        record("  client: \(values) acks=\(acks) at \(tp)@\(p.baseOffset)")
        guard acks == -1 else { return }
        statistics.acked += values.count
        for (i, v) in values.enumerated() { noteCommitted(tp, offset: p.baseOffset + Int64(i), value: v, how: "acknowledged") }
    }

    private func absorbConsume(_ tp: TopicPartition, from: Int64, _ result: Result<KafkaResponse, TransportError>) {
        guard case let .success(.fetch(response)) = result, let p = response.partition(topic: tp.topic, partition: tp.partition),
              p.errorCode == .none else {
            record("  consumer: fetch from \(from) failed")
            return
        }
        let records: [Record]
        do { records = try MemoryRecords.records(in: p.records) } catch {
            problems.append("\(tp) a consumer got unreadable records from \(from): \(error)")
            return
        }
        let seen = records.filter { $0.offset >= from }
        record("  consumer: \(seen.count) records from \(tp)@\(from), high watermark \(p.highWatermark)")
        statistics.consumed += seen.count
        for r in seen {
            if r.offset >= p.highWatermark {
                problems.append("\(tp) a consumer got offset \(r.offset) at or above the high watermark \(p.highWatermark)")
            }
            noteCommitted(tp, offset: r.offset, value: String(decoding: r.value ?? [], as: UTF8.self), how: "consumed")
        }
    }

    func noteCommitted(_ tp: TopicPartition, offset: Int64, value: String, how: String) {
        guard offset >= deletedBefore[tp] ?? 0 else { return }
        if let previous = committed[tp]?[offset], previous != value {
            problems.append("\(tp)@\(offset) was committed as \(previous), then \(how) as \(value)")
        }
        committed[tp, default: [:]][offset] = value
    }

    // MARK: Checking

    private func check() -> SimulationFailure? {
        absorbOutcomes()
        if Self.trace { print("seed=\(scenario.seed)     state: \(compactState())") }
        problems += checker.check(cluster, partitions: watchedPartitions, committed: committed)
        problems += checkTransactions()
        guard !problems.isEmpty else { return nil }
        return failure(problems)
    }

    private func failure(_ violations: [String]) -> SimulationFailure {
        SimulationFailure(scenario: scenario, step: step, violations: violations, history: history, state: stateDump())
    }

    func record(_ event: String) {
        let line = "[\(step) t=\(clock.nowMs() - 1_700_000_000_000)] \(event)"
        for byte in line.utf8 { traceHash = (traceHash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        history.append(line)
        if Self.trace { print("seed=\(scenario.seed) \(line)") }
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
    }

    /// One line: per partition, leader/epoch, ISR, and each running replica's LEO/HW.
    func compactState() -> String {
        let image = cluster.metadataImage
        return cluster.lock.withLock {
            watchedPartitions.map { tp -> String in
                guard let reg = image.partition(tp) else { return "\(tp)?" }
                let replicas = Self.brokers.map { id -> String in
                    guard let r = cluster.nodes[id]?.replicas[tp] else { return "\(id):down" }
                    return "\(id):\(r.log.logEndOffset)/\(r.log.highWatermark)"
                }
                return "\(tp) L\(reg.leader)e\(reg.leaderEpoch) isr\(reg.isr) \(replicas.joined(separator: " "))"
            }.joined(separator: " | ")
        }
    }

    /// Metadata and every running replica's offsets, for failure reports.
    func stateDump() -> String {
        let image = cluster.metadataImage
        var lines = ["down: \(down.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }), cut: \(transport.cutLinkList), in flight: \(transport.inFlightCount)"]
        cluster.lock.withLock {
            for tp in watchedPartitions {
                guard let reg = image.partition(tp) else { continue }
                lines.append("\(tp): leader \(reg.leader) epoch \(reg.leaderEpoch) partition epoch \(reg.partitionEpoch) replicas \(reg.replicas) isr \(reg.isr)")
                for id in Self.brokers {
                    guard let node = cluster.nodes[id], let r = node.replicas[tp] else { continue }
                    let role = r.leaderState != nil ? "leader" : r.followedLeader.map { "follower of \($0)" } ?? "offline"
                    var line = "  broker \(id) (incarnation \(node.incarnation)) \(role) epoch \(r.leaderEpoch): LEO \(r.log.logEndOffset) HW \(r.log.highWatermark) "
                        + "recovery point \(r.log.recoveryPoint) epochs \(r.log.leaderEpochEntries.map { "\($0.epoch)@\($0.startOffset)" })"
                    if let s = r.leaderState {
                        line += " followers \(s.followers.values.sorted { $0.replicaId < $1.replicaId }.map { "\($0.replicaId):\($0.logEndOffset)" }) isr \(s.isr) pending \(s.pendingIsrChange.map { "\($0.isr)" } ?? "-")"
                    }
                    lines.append(line)
                }
                let committedOffsets = (committed[tp] ?? [:]).keys.sorted()
                lines.append("  committed offsets known: \(committedOffsets.count) (max \(committedOffsets.last ?? -1))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
