import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation

// What `ReplicationSimulation` is made of besides the run itself: the scenario a seed draws,
// the failure report, the statistics, the client's inbox and the data directory.

/// Everything a seed decides before the first step.
struct SimulationScenario: CustomStringConvertible {
    let seed: UInt64
    let steps: Int
    /// flush.messages=1 on the topic: every append is fsynced, so a kill (power loss) loses
    /// nothing and the fault budget may be wide. Otherwise unflushed data dies with a killed
    /// broker and faults come one at a time (see `SimulationTests`). Even seeds are durable.
    let durable: Bool
    let partitions: Int32
    let replicaLagTimeMaxMs: Int64
    let sessionTimeoutMs: Int64
    let leaderImbalanceCheckMs: Int64
    /// Small, so segments roll every few batches.
    let segmentBytes: Int
    let faults: SimulatedTransport.Faults
    /// Most brokers down (killed or stopped) at once.
    let maxDown: Int
    /// Most links cut at once.
    let maxCuts: Int
    /// Transactional producers and read_committed consumers run beside the plain ones
    /// (`TransactionSimulation`); nil for a replication-only seed. The value is the producers'
    /// transaction.timeout.ms.
    let transactionTimeoutMs: Int32?

    init(seed: UInt64, steps: Int, transactions: Bool = false) {
        self.seed = seed
        self.steps = steps
        var r = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D)
        durable = seed % 2 == 0
        partitions = Int32(r.below(2) + 1)
        replicaLagTimeMaxMs = [300, 1_000, 2_500][r.below(3)]
        sessionTimeoutMs = [500, 1_500, 4_000][r.below(3)]
        leaderImbalanceCheckMs = [1_000, 5_000, 60_000][r.below(3)]
        segmentBytes = [200, 500, 2_000][r.below(3)]
        var f = SimulatedTransport.Faults()
        f.maxDelayMs = [0, 5, 30][r.below(3)]
        f.slowProbability = [0, 0.002, 0.01][r.below(3)]
        f.slowDelayMs = [100, 500, 2_000][r.below(3)]
        f.lossProbability = [0, 0.005, 0.03][r.below(3)]
        f.lossDetectionMs = [100, 1_000][r.below(2)]
        if transactions {
            // A transactional producer waits for each answer: a lost one would stall it for the
            // loss detection time, and a slow one for its delay, while the clock moves a few
            // milliseconds a step.
            f.lossDetectionMs = 100
            f.slowDelayMs = min(f.slowDelayMs, 500)
        }
        faults = f
        maxDown = durable ? 2 : 1
        maxCuts = durable ? 3 : 1
        // Drawn last, so that a replication seed draws what it always drew.
        transactionTimeoutMs = transactions ? [1_000, 10_000, 60_000][r.below(3)] : nil
    }

    var description: String {
        "seed=\(seed) durable=\(durable) partitions=\(transactionTimeoutMs == nil ? partitions : 2) replica.lag.time.max.ms=\(replicaLagTimeMaxMs) "
            + "broker.session.timeout.ms=\(sessionTimeoutMs) imbalance.check=\(leaderImbalanceCheckMs) segment.bytes=\(segmentBytes) "
            + "delay≤\(faults.maxDelayMs)/\(faults.slowDelayMs)@\(faults.slowProbability) loss=\(faults.lossProbability)"
            + (transactionTimeoutMs.map { " transactions (transaction.timeout.ms=\($0))" } ?? "")
    }
}

/// A failed run: the seed and step that reproduce it, what broke, and the recent history.
struct SimulationFailure: Error, CustomStringConvertible {
    let scenario: SimulationScenario
    let step: Int
    let violations: [String]
    let history: [String]
    let state: String

    var description: String {
        """
        seed=\(scenario.seed) step=\(step): \(violations.joined(separator: "; "))
        replay: scripts/simulate \(scenario.transactionTimeoutMs == nil ? "" : "--transactions ")1 \(scenario.seed) \(scenario.steps)  (add EDDY_SIM_TRACE=1 to watch every step)
        scenario: \(scenario)
        state:
        \(state)
        last \(history.count) events:
        \(history.joined(separator: "\n"))
        """
    }
}

/// What one run did, for `scripts/simulate`'s summary.
struct SimulationStatistics: CustomStringConvertible {
    var produced = 0
    var acked = 0
    var consumed = 0
    var kills = 0
    var stops = 0
    var restarts = 0
    var cuts = 0
    var clockJumps = 0
    var reopens = 0
    var deletions = 0
    var leaderEpochs = 0
    var truncations = 0
    var livenessRounds = 0
    var transactionsCommitted = 0
    var transactionsAborted = 0
    var producerRestarts = 0
    /// Requests of zombie producers refused with PRODUCER_FENCED or INVALID_PRODUCER_EPOCH.
    var fencedRequests = 0
    var coordinatorKills = 0
    var readCommitted = 0
    /// Produce failures by error (Kafka error name or transport error).
    var produceErrors: [String: Int] = [:]
    var transport = SimulatedTransport.Statistics()

    var description: String {
        "produced=\(produced) acked=\(acked) consumed=\(consumed) kills=\(kills) stops=\(stops) restarts=\(restarts) cuts=\(cuts) "
            + "clock_jumps=\(clockJumps) reopens=\(reopens) deletions=\(deletions) leader_epochs=\(leaderEpochs) truncations=\(truncations) liveness_rounds=\(livenessRounds) "
            + "messages=\(transport.sent) delivered=\(transport.delivered) lost_random=\(transport.lostAtRandom) "
            + "lost_partition=\(transport.lostToPartitions) lost_crash=\(transport.lostToCrashes) fetches_not_sent=\(transport.fetchesNotSent) "
            + "txn_committed=\(transactionsCommitted) txn_aborted=\(transactionsAborted) producer_restarts=\(producerRestarts) "
            + "fenced_requests=\(fencedRequests) coordinator_kills=\(coordinatorKills) read_committed=\(readCommitted) "
            + "produce_errors=\(produceErrors.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ","))"
    }
}

/// Answers to the client's requests, collected by transport completions and drained by the
/// simulation after each step (completions are `@Sendable`; everything runs on the
/// simulation's thread).
final class ClientInbox: @unchecked Sendable {
    enum Request {
        case produce(acks: Int16, values: [String])
        case consume(fromOffset: Int64)
        case readCommitted(fromOffset: Int64)
        /// A transactional producer instance's request (`SimulatedTransactionalProducer.inFlight`).
        case transactional(name: String, instance: Int)
    }

    struct Outcome {
        let tp: TopicPartition
        let request: Request
        let result: Result<KafkaResponse, TransportError>
    }

    private let lock = NSLock()
    private var items: [Outcome] = []

    func add(_ o: Outcome) { lock.withLock { items.append(o) } }
    func drain() -> [Outcome] { lock.withLock { defer { items.removeAll() } ; return items } }
}

/// Where simulations keep their data directories: tmpfs (/dev/shm) when there is one, as
/// fsync there costs nothing and thousands of runs stay fast (power loss is simulated by the
/// log itself, from its recovery point, so the file system's durability does not matter).
enum SimulationDirectory {
    static func make(label: String) -> String {
        let shm = "/dev/shm"
        let base = FileManager.default.isWritableFile(atPath: shm) ? shm + "/" : NSTemporaryDirectory()
        let path = base + "eddy-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
}

extension SplitMix64 {
    /// A number in 0..<n (n > 0), by modulo (bias is irrelevant here, stability is not).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}
