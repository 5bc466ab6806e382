import EddyProtocol
@testable import EddyRaft
import Foundation

/// One seed's schedule of the quorum simulation (see `RaftSimulationTests`).
struct RaftScenario: CustomStringConvertible {
    let seed: UInt64
    let steps: Int
    let voters: [Int32]
    let observers: [Int32]
    /// Chance that an append is flushed at once (else it waits for a flush step, or is lost).
    let flushAtOnce: Double

    init(seed: UInt64, steps: Int) {
        self.seed = seed
        self.steps = steps
        var random = SplitMix64(seed: seed)
        let voterCount = [1, 3, 3, 3, 5, 5][Int.random(in: 0 ..< 6, using: &random)]
        voters = (0 ..< Int32(voterCount)).map { $0 }
        observers = (0 ..< Int32.random(in: 0 ... 2, using: &random)).map { 100 + $0 }
        flushAtOnce = [0.3, 0.7, 1.0][Int.random(in: 0 ..< 3, using: &random)]
    }

    var description: String {
        "voters=\(voters) observers=\(observers) flushAtOnce=\(flushAtOnce) steps=\(steps)"
    }
}

/// A seeded run of `RaftNode`s over a simulated network and disks: messages are delayed,
/// reordered and dropped, links are cut and healed, nodes are killed (losing what they had not
/// flushed) and restarted, the clock jumps, snapshots are taken and fetched. Safety invariants
/// are checked after every step; liveness once the faults stop.
final class RaftSimulation {
    struct Message {
        var deliverAt: Int64
        var sequence: Int
        var from: Int32
        var to: Int32
        var message: RaftMessage
    }

    /// What a node keeps on its disk, which survives a kill.
    struct Disk {
        var election = ElectionState.initial
        var log = SimulatedLog()
        /// The newest snapshot: its id and the chain hash of the state it holds.
        var snapshot: (id: OffsetAndEpoch, chain: UInt64)?
        /// A snapshot being fetched (lost on a kill).
        var incoming: (id: OffsetAndEpoch, bytes: [UInt8])?
    }

    struct Node {
        var raft: RaftNode?
        var disk = Disk()
        /// The applied state: records below `appliedOffset`, as a chain hash.
        var appliedOffset: Int64 = 0
        var appliedChain: UInt64 = emptyChain
        var highWatermark: Int64 = -1
    }

    let scenario: RaftScenario
    var random: SplitMix64
    var now: Int64 = 0
    var nodes: [Int32: Node] = [:]
    var ids: [Int32]
    var network: [Message] = []
    var sequence = 0
    var cutLinks: Set<[Int32]> = []
    var dropRate = 0.0
    var faultsOn = true

    /// Every record known committed, by offset; `committedChains[o]` is the chain hash below o.
    var committed: [SimulatedEntry] = []
    var committedChains: [UInt64] = [emptyChain]
    /// The leader of each epoch that had one.
    var leaders: [Int32: Int32] = [:]
    var failures: [String] = []
    var trace: [String] = []
    var step = 0
    var proposalCounter = 0

    /// Events kept for a failure report: the last 60, or all with EDDY_SIM_TRACE set.
    static let traceLength = ProcessInfo.processInfo.environment["EDDY_SIM_TRACE"] == nil ? 60 : Int.max

    // Statistics for `scripts/simulate`.
    var stats: [String: Int] = [:]

    init(_ scenario: RaftScenario) {
        self.scenario = scenario
        random = SplitMix64(seed: scenario.seed &* 0x2545_F491_4F6C_DD1D)
        ids = scenario.voters + scenario.observers
        for id in ids {
            nodes[id] = Node()
            start(id)
        }
    }

    var config: (Int32) -> RaftNode.Config {
        { [voters = scenario.voters] id in
            var c = RaftNode.Config(nodeId: id, voters: voters)
            c.electionTimeoutMs = 1000
            c.fetchTimeoutMs = 2000
            c.electionBackoffMaxMs = 1000
            c.requestTimeoutMs = 2000
            return c
        }
    }

    // MARK: - Running

    /// Runs the seed: returns a failure report, or nil.
    func run() -> String? {
        for s in 0 ..< scenario.steps {
            step = s
            randomStep()
            checkSafety()
            if !failures.isEmpty { return report() }
        }
        checkLiveness()
        return failures.isEmpty ? nil : report()
    }

    func chance(_ p: Double) -> Bool { Double.random(in: 0 ..< 1, using: &random) < p }

    func randomStep() {
        let roll = Int.random(in: 0 ..< 100, using: &random)
        switch roll {
        case 0 ..< 35: advance(by: Int64.random(in: 1 ... 200, using: &random))
        case 35 ..< 60: deliverSome(Int.random(in: 1 ... 8, using: &random))
        case 60 ..< 76: propose()
        case 76 ..< 82: flushOne()
        case 82 ..< 84: if faultsOn { kill() }
        case 84 ..< 88: restartOne()
        case 88 ..< 90: if faultsOn { cutLink() }
        case 90 ..< 93: healLinks()
        case 93: if faultsOn { advance(by: Int64.random(in: 1500 ... 5000, using: &random)) }  // a clock jump
        case 94 ..< 97: takeSnapshot()
        case 97 ..< 99: dropRate = [0, 0, 0.05, 0.2][Int.random(in: 0 ..< 4, using: &random)]
        default: if faultsOn { isolate() }
        }
    }

    func note(_ line: @autoclosure () -> String) {
        trace.append("t=\(now) \(line())")
        if trace.count > Self.traceLength { trace.removeFirst(trace.count - Self.traceLength) }
    }

    func count(_ key: String, _ n: Int = 1) { stats[key, default: 0] += n }

    // MARK: - Nodes

    func start(_ id: Int32) {
        guard var node = nodes[id], node.raft == nil else { return }
        node.disk.incoming = nil
        if let snapshot = node.disk.snapshot, snapshot.id.offset > node.disk.log.endOffset {
            node.disk.log.reset(at: snapshot.id.offset, epoch: snapshot.id.epoch, chain: snapshot.chain)
        }
        // The applied state restarts from the snapshot; the log is applied again once the
        // high watermark is known.
        node.appliedOffset = node.disk.snapshot?.id.offset ?? 0
        node.appliedChain = node.disk.snapshot?.chain ?? emptyChain
        node.highWatermark = -1
        let seed = random.next()
        node.raft = RaftNode(config: config(id), election: node.disk.election, log: node.disk.log.state(snapshot: node.disk.snapshot?.id),
                             nowMs: now, seed: seed)
        nodes[id] = node
        note("start \(id) as \(node.raft!.role) epoch \(node.raft!.epoch)")
    }

    func kill() {
        let live = ids.filter { nodes[$0]?.raft != nil }
        guard let id = live.randomElement(using: &random) else { return }
        nodes[id]!.raft = nil
        nodes[id]!.disk.log.loseUnflushed()
        nodes[id]!.disk.incoming = nil
        network.removeAll { $0.to == id }
        count("kills")
        note("kill \(id)")
    }

    func restartOne() {
        let dead = ids.filter { nodes[$0]?.raft == nil }
        guard let id = dead.randomElement(using: &random) else { return }
        start(id)
        count("restarts")
    }

    /// Runs an event on a live node and carries out its actions.
    func drive(_ id: Int32, _ event: (inout RaftNode) -> [RaftAction]) {
        guard var raft = nodes[id]?.raft else { return }
        let actions = event(&raft)
        nodes[id]!.raft = raft
        perform(actions, on: id)
    }

    func perform(_ actions: [RaftAction], on id: Int32) {
        for action in actions {
            guard nodes[id]?.raft != nil else { return }
            switch action {
            case let .persist(state):
                nodes[id]!.disk.election = state
            case let .send(to, message):
                send(message, from: id, to: to)
            case let .sendFetchResponse(to, response, from):
                var response = response
                if let from { response.batches = nodes[id]!.disk.log.batches(from: from, maxRecords: Int.random(in: 1 ... 12, using: &random)) }
                send(.fetchResponse(response), from: id, to: to)
            case let .sendSnapshotChunk(to, response):
                send(.fetchSnapshotResponse(snapshotChunk(response, on: id)), from: id, to: to)
            case let .append(batches):
                for batch in batches { nodes[id]!.disk.log.append(batch) }
                if chance(scenario.flushAtOnce) { flush(id) }
            case let .truncate(offset):
                precondition(offset >= nodes[id]!.disk.log.startOffset)
                if offset < nodes[id]!.appliedOffset {
                    fail("node \(id) truncated to \(offset) below its applied offset \(nodes[id]!.appliedOffset)")
                }
                nodes[id]!.disk.log.truncate(to: offset)
                note("node \(id) truncated to \(offset)")
                count("truncations")
            case let .writeSnapshotChunk(snapshotId, position, bytes):
                var incoming = nodes[id]!.disk.incoming ?? (snapshotId, [])
                if incoming.id != snapshotId || Int64(incoming.bytes.count) != position {
                    if position == 0 { incoming = (snapshotId, []) } else { fail("node \(id) got snapshot chunk at \(position), has \(incoming.bytes.count)"); return }
                }
                incoming.bytes += bytes
                nodes[id]!.disk.incoming = incoming
            case let .installSnapshot(snapshotId):
                install(snapshotId, on: id)
            case let .highWatermark(hw):
                note("node \(id) high watermark \(hw)")
                applyCommitted(upTo: hw, on: id)
            case let .roleChanged(role, epoch):
                note("node \(id) -> \(role) epoch \(epoch)")
                if role == .leader { becameLeader(id, epoch: epoch) }
            }
        }
    }

    func flush(_ id: Int32) {
        guard nodes[id]?.raft != nil else { return }
        nodes[id]!.disk.log.flush()
        let end = nodes[id]!.disk.log.endOffset
        drive(id) { $0.flushed(upTo: end, nowMs: now) }
    }

    func flushOne() {
        let live = ids.filter { nodes[$0]?.raft != nil }
        guard let id = live.randomElement(using: &random) else { return }
        flush(id)
    }

    // MARK: - Network

    func send(_ message: RaftMessage, from: Int32, to: Int32) {
        count("messages")
        if faultsOn, cutLinks.contains([min(from, to), max(from, to)]) || chance(dropRate) {
            count("dropped")
            return
        }
        let delay = faultsOn && chance(0.05) ? Int64.random(in: 100 ... 3000, using: &random) : Int64.random(in: 1 ... 30, using: &random)
        sequence += 1
        network.append(Message(deliverAt: now + delay, sequence: sequence, from: from, to: to, message: message))
    }

    /// Delivers up to `n` messages that are due, earliest first.
    func deliverSome(_ n: Int) {
        for _ in 0 ..< n {
            guard let index = network.indices.filter({ network[$0].deliverAt <= now })
                .min(by: { (network[$0].deliverAt, network[$0].sequence) < (network[$1].deliverAt, network[$1].sequence) }) else { return }
            let m = network.remove(at: index)
            guard nodes[m.to]?.raft != nil else { continue }
            drive(m.to) { $0.receive(m.message, from: m.from, nowMs: now) }
        }
    }

    func advance(by ms: Int64) {
        now += ms
        for id in ids { drive(id) { $0.tick(nowMs: now) } }
    }

    func cutLink() {
        guard ids.count > 1 else { return }
        let a = ids.randomElement(using: &random)!, b = ids.filter { $0 != a }.randomElement(using: &random)!
        cutLinks.insert([min(a, b), max(a, b)])
        note("cut \(a)-\(b)")
    }

    func isolate() {
        guard let a = ids.randomElement(using: &random) else { return }
        for b in ids where b != a { cutLinks.insert([min(a, b), max(a, b)]) }
        note("isolate \(a)")
    }

    func healLinks() {
        if !cutLinks.isEmpty { note("heal") }
        cutLinks = []
    }

    // MARK: - Proposals and snapshots

    /// A client proposes records: mostly to a node that believes it leads (as a client that
    /// found the leader does), else to any node (which refuses unless it leads).
    func propose() {
        let live = ids.filter { nodes[$0]?.raft != nil }
        let leaders = live.filter { nodes[$0]!.raft!.isLeader }
        guard let id = (chance(0.8) && !leaders.isEmpty ? leaders : live).randomElement(using: &random) else { return }
        let records: [[UInt8]] = (0 ..< Int.random(in: 1 ... 3, using: &random)).map { _ in
            proposalCounter += 1
            return Array("r\(proposalCounter)".utf8)
        }
        guard var raft = nodes[id]!.raft else { return }
        switch raft.propose(records, nowMs: now) {
        case let .success((offset, actions)):
            nodes[id]!.raft = raft
            count("proposed", records.count)
            note("propose \(records.count) at \(id) offset \(offset)")
            perform(actions, on: id)
        case .failure:
            break
        }
    }

    func takeSnapshot() {
        let candidates = ids.filter { id in
            guard let n = nodes[id], let raft = n.raft else { return false }
            return n.appliedOffset > max(n.disk.snapshot?.id.offset ?? 0, raft.log.startOffset) && n.appliedOffset <= raft.log.endOffset
        }
        guard let id = candidates.randomElement(using: &random) else { return }
        let node = nodes[id]!
        let offset = node.appliedOffset
        guard let epoch = node.disk.log.entry(at: offset - 1)?.epoch else { return }
        let snapshotId = OffsetAndEpoch(offset: offset, epoch: epoch)
        let deletePrefix = chance(0.5)
        nodes[id]!.disk.snapshot = (snapshotId, node.appliedChain)
        if deletePrefix { nodes[id]!.disk.log.deletePrefix(below: offset, epoch: epoch, chain: node.appliedChain) }
        count("snapshots")
        note("snapshot \(snapshotId) at \(id)\(deletePrefix ? ", log prefix deleted" : "")")
        drive(id) { $0.snapshotTaken(snapshotId, deletePrefix: deletePrefix) }
    }

    /// The snapshot's bytes are its chain hash followed by its end offset, in small chunks.
    func snapshotChunk(_ response: FetchSnapshotResponse, on id: Int32) -> FetchSnapshotResponse {
        var response = response
        guard let snapshot = nodes[id]!.disk.snapshot, snapshot.id == response.snapshotId else {
            response.error = .snapshotNotFound
            return response
        }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: snapshot.chain.bigEndian) { bytes += $0 }
        withUnsafeBytes(of: snapshot.id.offset.bigEndian) { bytes += $0 }
        response.size = Int64(bytes.count)
        guard response.position <= response.size else {
            response.error = .positionOutOfRange
            return response
        }
        let chunk = Int.random(in: 3 ... 16, using: &random)
        let start = Int(response.position)
        response.bytes = Array(bytes[start ..< min(bytes.count, start + chunk)])
        return response
    }

    func install(_ snapshotId: OffsetAndEpoch, on id: Int32) {
        guard let incoming = nodes[id]!.disk.incoming, incoming.id == snapshotId, incoming.bytes.count == 16 else {
            fail("node \(id) installs snapshot \(snapshotId) without its bytes")
            return
        }
        let chain = incoming.bytes[0 ..< 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        nodes[id]!.disk.snapshot = (snapshotId, chain)
        nodes[id]!.disk.incoming = nil
        nodes[id]!.disk.log.reset(at: snapshotId.offset, epoch: snapshotId.epoch, chain: chain)
        nodes[id]!.appliedOffset = snapshotId.offset
        nodes[id]!.appliedChain = chain
        count("snapshotsFetched")
        note("node \(id) installed snapshot \(snapshotId)")
        checkCommittedChain(chain, below: snapshotId.offset, what: "snapshot \(snapshotId) installed on \(id)")
    }

    // MARK: - Invariants

    func fail(_ message: String) {
        failures.append(message)
    }

    func checkCommittedChain(_ chain: UInt64, below offset: Int64, what: String) {
        if offset < Int64(committedChains.count), committedChains[Int(offset)] != chain {
            fail("\(what): state below \(offset) differs from the committed records")
        }
    }

    /// A node's high watermark moved: its records below it are committed. They must agree with
    /// everything committed before (committed records never change), extend it without a gap,
    /// and the node applies them in order.
    func applyCommitted(upTo hw: Int64, on id: Int32) {
        var node = nodes[id]!
        if hw < node.highWatermark { fail("node \(id): high watermark went back from \(node.highWatermark) to \(hw)") }
        node.highWatermark = hw
        let log = node.disk.log
        for offset in max(log.startOffset, 0) ..< min(hw, log.endOffset) {
            let entry = log.entry(at: offset)!
            if offset < Int64(committed.count) {
                if committed[Int(offset)] != entry {
                    fail("node \(id): committed record at \(offset) is \(committed[Int(offset)].label), its log has \(entry.label)")
                    return
                }
            } else if offset == Int64(committed.count) {
                committed.append(entry)
                committedChains.append(entry.chain)
            } else {
                fail("node \(id): commits \(offset) with records up to \(committed.count) known committed")
                return
            }
        }
        if hw > log.endOffset { fail("node \(id): high watermark \(hw) past its log end \(log.endOffset)") }
        // Apply.
        if node.appliedOffset < log.startOffset, hw > node.appliedOffset {
            fail("node \(id): applied \(node.appliedOffset) but its log starts at \(log.startOffset)")
            return
        }
        while node.appliedOffset < min(hw, log.endOffset) {
            node.appliedChain = log.entry(at: node.appliedOffset)!.chain
            node.appliedOffset += 1
        }
        nodes[id] = node
        checkCommittedChain(node.appliedChain, below: node.appliedOffset, what: "applied state of \(id)")
    }

    /// At most one leader per epoch; a new leader holds every committed record.
    func becameLeader(_ id: Int32, epoch: Int32) {
        if let other = leaders[epoch], other != id { fail("two leaders in epoch \(epoch): \(other) and \(id)") }
        leaders[epoch] = id
        count("elections")
        let log = nodes[id]!.disk.log
        if log.endOffset < Int64(committed.count) {
            fail("leader \(id) of epoch \(epoch) ends at \(log.endOffset), \(committed.count) records are committed")
            return
        }
        if log.startOffset > 0 { checkCommittedChain(log.baseChain, below: log.startOffset, what: "leader \(id)'s snapshot") }
        for offset in log.startOffset ..< Int64(committed.count) where log.entry(at: offset) != committed[Int(offset)] {
            fail("leader \(id) of epoch \(epoch) lacks committed record \(offset)")
            return
        }
    }

    func checkSafety() {
        let live = ids.filter { nodes[$0]?.raft != nil }
        for id in live {
            for v in nodes[id]!.raft!.invariantViolations { fail("node \(id): \(v)") }
            // The node's view of its log is exactly what its disk holds (epochs, start epoch,
            // snapshot), and it never counts as flushed what is not durable.
            let raft = nodes[id]!.raft!, disk = nodes[id]!.disk
            let onDisk = disk.log.state(snapshot: disk.snapshot?.id)
            if raft.log != onDisk { fail("node \(id): raft log \(raft.log), disk \(onDisk)") }
            if raft.flushedOffset > disk.log.durableEndOffset, raft.flushedOffset > disk.log.startOffset {
                fail("node \(id): flushed offset \(raft.flushedOffset) beyond the durable end \(disk.log.durableEndOffset)")
            }
        }
        // Log matching: two logs with a record of the same epoch at the same offset hold the
        // same records up to it (compared through the chain hashes).
        let logs = ids.map { nodes[$0]!.disk.log }
        for i in logs.indices {
            for j in logs.indices where j > i {
                let a = logs[i], b = logs[j]
                var offset = min(a.endOffset, b.endOffset) - 1
                let floor = max(a.startOffset, b.startOffset)
                while offset >= floor {
                    if let x = a.entry(at: offset), let y = b.entry(at: offset), x.epoch == y.epoch {
                        if x.chain != y.chain { fail("logs of \(ids[i]) and \(ids[j]) agree on the epoch at \(offset) but differ below it") }
                        break
                    }
                    offset -= 1
                }
            }
        }
        // Every committed record stays on a majority of the voters' disks (or in their snapshots).
        if !committed.isEmpty {
            let last = committed.count - 1
            let holding = scenario.voters.filter { v in
                let d = nodes[v]!.disk
                if let e = d.log.entry(at: Int64(last)), d.log.durableCount > last - Int(d.log.startOffset) { return e == committed[last] }
                return (d.snapshot?.id.offset ?? 0) > Int64(last)
            }
            if holding.count < scenario.voters.count / 2 + 1 {
                fail("committed record \(last) is durable on only \(holding) of \(scenario.voters)")
            }
        }
    }

    /// Once faults stop (every node up, every link healed, nothing dropped, appends flushed),
    /// a leader is elected and a new record commits on every node within a bounded time.
    func checkLiveness() {
        faultsOn = false
        dropRate = 0
        cutLinks = []
        for id in ids where nodes[id]?.raft == nil { start(id) }
        for id in ids { flush(id) }
        let deadline = now + 30_000
        var marker: Int64?
        while now < deadline {
            advance(by: 10)
            deliverSome(network.count)
            for id in ids where nodes[id]!.disk.log.durableCount < nodes[id]!.disk.log.entries.count { flush(id) }
            checkSafety()
            if !failures.isEmpty { return }
            if marker == nil, let leader = ids.first(where: { nodes[$0]?.raft?.isLeader == true }) {
                guard var raft = nodes[leader]!.raft else { continue }
                if case let .success((offset, actions)) = raft.propose([Array("final".utf8)], nowMs: now) {
                    nodes[leader]!.raft = raft
                    perform(actions, on: leader)
                    marker = offset
                }
            }
            if let marker, ids.allSatisfy({ nodes[$0]!.highWatermark > marker }) {
                stats["livenessMs"] = Int(now - (deadline - 30_000))
                return
            }
            // A marker proposed to a leader that lost its epoch may never commit: propose again.
            if let m = marker, !ids.contains(where: { nodes[$0]?.raft?.isLeader == true && nodes[$0]!.disk.log.endOffset > m }) {
                marker = nil
            }
        }
        let roles = ids.map { "\($0): \(nodes[$0]!.raft.map { "\($0.role) epoch \($0.epoch) hw \(String(describing: $0.highWatermark)) log \($0.log.startOffset)..<\($0.log.endOffset)" } ?? "down")" }
        fail("no record committed on every node within 30 s after the faults stopped; \(roles.joined(separator: "; "))")
    }

    func report() -> String {
        "seed=\(scenario.seed) step=\(step): \(failures.joined(separator: "; "))\nscenario: \(scenario)\nlast events:\n" + trace.joined(separator: "\n")
    }

    var statistics: String {
        stats.keys.sorted().map { "\($0)=\(stats[$0]!)" }.joined(separator: " ") + " committed=\(committed.count) epochs=\(leaders.keys.max() ?? 0)"
    }
}
