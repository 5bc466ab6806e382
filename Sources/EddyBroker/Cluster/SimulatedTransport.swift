import EddyProtocol
import EddyStorage
import Foundation

/// A seeded, single-threaded network for deterministic simulations (in the style of
/// FoundationDB's and TigerBeetle's simulators). Nothing moves by itself: `send` only queues a
/// message, and the simulation delivers due messages one at a time with `deliverNext()`,
/// advancing its `ManualClock` to make delayed ones due. Every random choice (delay, loss,
/// which link goes next) comes from one `SplitMix64`, so a schedule replays from its seed.
///
/// Model:
/// - Nodes are broker IDs and `clientNode` (-1) for every non-broker sender. The sender of a
///   request is its Fetch `replicaId` when that is ≥ 0 (a follower), else the client.
/// - A request is a message from its sender to the addressed broker. When delivered, it runs
///   on the attached cluster (`Cluster.deliver`) or handler; the answer, whenever the broker gives it
///   (an acks=all produce answers later), is a message back, subject to the same faults.
/// - Each message is due at its send time plus a delay drawn from `faults`. Messages on one
///   directed link (sender → receiver) arrive in the order they were sent, as on a TCP
///   connection; among the links with a due message, the next one delivered is drawn at random.
/// - A message is lost when the draw at send time says so, when its link is cut (`cut`) at
///   delivery time, or when its sender or receiver crashed or restarted since it was sent
///   (`resetConnections(of:)`: the connection broke). The requester then learns
///   `TransportError.timedOut` after `faults.lossDetectionMs`, through a local notice that no
///   fault touches, so every `send` completes exactly once, as `Transport` requires.
/// - Limit: at most `maxInFlight` messages are queued; any more are lost.
/// - Followers keep one fetch in flight per leader, as Kafka's fetcher threads do (and as
///   `Cluster.replicationRound` assumes with a synchronous transport): a Fetch from a follower
///   to a leader it still awaits an answer from is not sent, and completes at once with
///   `.brokerUnavailable` (counted in `Statistics.fetchesNotSent`). Without this, every round
///   would pipeline another fetch from the same offset and the links would fill with stale
///   answers.
///
/// Thread-safety: an internal lock guards the queue, but the model is single-threaded: cluster
/// calls and completions run on the thread calling `deliverNext`, never concurrently.
public final class SimulatedTransport: Transport, @unchecked Sendable {
    /// The node ID of clients (every sender that is not a follower fetching).
    public static let clientNode: Int32 = -1

    /// What the network does to messages. Probabilities are in [0, 1].
    public struct Faults: Sendable, Hashable {
        /// A message's delay is drawn uniformly from 0...maxDelayMs...
        public var maxDelayMs: Int64 = 10
        /// ...or, with this probability, from 0...slowDelayMs (a stalled connection).
        public var slowProbability: Double = 0.02
        public var slowDelayMs: Int64 = 1_000
        /// Chance that a message is lost outright.
        public var lossProbability: Double = 0.01
        /// How long after a loss the requester gets `.timedOut` (its request timeout).
        public var lossDetectionMs: Int64 = 300

        public init() {}

        /// Instant, lossless delivery (for settling at the end of a simulation).
        public static let none: Faults = {
            var f = Faults()
            f.maxDelayMs = 0
            f.slowProbability = 0
            f.slowDelayMs = 0
            f.lossProbability = 0
            f.lossDetectionMs = 0
            return f
        }()
    }

    /// Counters of what happened to messages, for a simulation's summary.
    public struct Statistics: Sendable, Hashable {
        public var sent = 0
        public var delivered = 0
        /// Lost by the random draw at send time (or because the queue was full).
        public var lostAtRandom = 0
        /// Lost because their link was cut when they were due.
        public var lostToPartitions = 0
        /// Lost because the sender or receiver crashed or restarted while they were in flight.
        public var lostToCrashes = 0
        /// Follower fetches not sent because the previous one to the same leader is unanswered.
        public var fetchesNotSent = 0
    }

    /// An unordered pair of nodes whose link is cut in both directions.
    public struct Link: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let a: Int32
        public let b: Int32

        public init(_ x: Int32, _ y: Int32) {
            a = min(x, y)
            b = max(x, y)
        }

        public static func < (l: Link, r: Link) -> Bool { (l.a, l.b) < (r.a, r.b) }
        public var description: String { "\(a)|\(b)" }
    }

    public typealias Completion = @Sendable (Result<KafkaResponse, TransportError>) -> Void
    /// Runs a delivered request on broker `node` and answers through the completion, now or later.
    public typealias Handler = @Sendable (_ request: KafkaRequest, _ node: Int32, _ context: RequestContext,
                                          _ completion: @escaping Completion) -> Void

    /// A message's content, as `observer` sees it.
    public enum Envelope: Sendable {
        case request(KafkaRequest)
        case response(Result<KafkaResponse, TransportError>)
    }

    private enum Payload {
        case request(KafkaRequest, RequestContext, Completion)
        case response(Result<KafkaResponse, TransportError>, Completion)
        /// A local loss notice to the requester: immune to faults.
        case lost(TransportError, Completion)
    }

    private struct Message {
        let sequence: Int
        let from: Int32
        let to: Int32
        let dueMs: Int64
        /// Connection generations of both ends when the message was sent.
        let fromGeneration: Int
        let toGeneration: Int
        let payload: Payload
        let summary: String
    }

    private struct FetchKey: Hashable {
        let follower: Int32
        let generation: Int
        let leader: Int32
    }

    /// A directed link; loss notices get their own lane per message.
    private struct Lane: Hashable {
        let from: Int32
        let to: Int32
        let notice: Int
    }

    /// Upper bound on queued messages; beyond it, sends are lost.
    public let maxInFlight: Int
    private let lock = NSLock()
    private let clock: ManualClock
    private var rng: SplitMix64
    private var _faults: Faults
    private var queue: [Message] = []
    private var nextSequence = 0
    private var lastDueOnLane: [Lane: Int64] = [:]
    private var cutLinks: Set<Link> = []
    private var generations: [Int32: Int] = [:]
    /// Unanswered follower fetches: (follower, its generation, leader).
    private var fetchesInFlight: Set<FetchKey> = []
    private var _statistics = Statistics()
    private var handler: Handler?
    private var _observer: (@Sendable (_ from: Int32, _ to: Int32, _ envelope: Envelope) -> Void)?

    public init(seed: UInt64, clock: ManualClock, faults: Faults = Faults(), maxInFlight: Int = 10_000) {
        rng = SplitMix64(seed: seed)
        self.clock = clock
        _faults = faults
        self.maxInFlight = maxInFlight
    }

    /// Delivers requests to `cluster` (held weakly: the cluster holds this transport).
    public func attach(_ cluster: Cluster) {
        attach { [weak cluster] request, node, context, completion in
            guard let cluster else { return completion(.failure(.brokerUnavailable(node))) }
            cluster.deliver(request, to: node, context: context, completion: completion)
        }
    }

    /// Delivers requests to `handler` (for tests of the transport itself).
    public func attach(handler: @escaping Handler) { lock.withLock { self.handler = handler } }

    public var faults: Faults {
        get { lock.withLock { _faults } }
        set { lock.withLock { _faults = newValue } }
    }

    public var statistics: Statistics { lock.withLock { _statistics } }

    /// Called with each request and response as it is delivered, before it takes effect (for
    /// traces and demos). Loss notices and lost messages are not shown.
    public var observer: (@Sendable (_ from: Int32, _ to: Int32, _ envelope: Envelope) -> Void)? {
        get { lock.withLock { _observer } }
        set { lock.withLock { _observer = newValue } }
    }

    /// Messages queued, due or not.
    public var inFlightCount: Int { lock.withLock { queue.count } }

    /// Messages deliverable now (the heads of their links with a due time ≤ now).
    public var dueCount: Int { lock.withLock { dueHeadIndices(now: clock.nowMs()).count } }

    /// When the next queued message becomes due, nil if none is queued.
    public var nextDueMs: Int64? { lock.withLock { queue.map(\.dueMs).min() } }

    // MARK: Faults

    /// Cuts the link between `x` and `y` in both directions (messages on it are lost when due).
    public func cut(_ x: Int32, _ y: Int32) {
        guard x != y else { return }
        lock.withLock { _ = cutLinks.insert(Link(x, y)) }
    }

    /// Restores the link between `x` and `y`.
    public func heal(_ x: Int32, _ y: Int32) { lock.withLock { _ = cutLinks.remove(Link(x, y)) } }

    /// Restores every link.
    public func healAll() { lock.withLock { cutLinks.removeAll() } }

    /// The links cut now, sorted.
    public var cutLinkList: [Link] { lock.withLock { cutLinks.sorted() } }

    /// The node's process stopped or started: its connections break, and every message from or
    /// to its earlier run still in flight is lost.
    public func resetConnections(of node: Int32) { lock.withLock { generations[node, default: 0] += 1 } }

    // MARK: Transport

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext, completion: @escaping Completion) {
        let from: Int32
        if case let .fetch(f) = request, f.replicaId >= 0 { from = f.replicaId } else { from = Self.clientNode }
        let sent: Bool = lock.withLock {
            let generation = generations[from, default: 0]
            var completion = completion
            if from != Self.clientNode {
                let key = FetchKey(follower: from, generation: generation, leader: node)
                guard fetchesInFlight.insert(key).inserted else {
                    _statistics.fetchesNotSent += 1
                    return false
                }
                let inner = completion
                completion = { [self] result in
                    _ = lock.withLock { fetchesInFlight.remove(key) }
                    inner(result)
                }
            }
            enqueueLocked(from: from, to: node, fromGeneration: generation,
                          payload: .request(request, context, completion), summary: "\(Self.name(request)) \(Self.name(from))→\(node)")
            return true
        }
        if !sent { completion(.failure(.brokerUnavailable(node))) }
    }

    // MARK: Delivery

    /// Delivers one due message, drawn at random among the links that have one: a request runs
    /// on the cluster, a response or loss notice completes its request. Returns a description
    /// of what happened, nil when nothing is due.
    @discardableResult
    public func deliverNext() -> String? {
        let picked: (Message, lost: String?, Handler?, observer: (@Sendable (Int32, Int32, Envelope) -> Void)?)? = lock.withLock {
            let heads = dueHeadIndices(now: clock.nowMs())
            guard !heads.isEmpty else { return nil }
            let index = heads[Int(rng.next() % UInt64(heads.count))]
            let m = queue.remove(at: index)
            var lost: String?
            if case .lost = m.payload {
                lost = nil
            } else if m.from != m.to, cutLinks.contains(Link(m.from, m.to)) {
                lost = "partition"
                _statistics.lostToPartitions += 1
            } else if generations[m.from, default: 0] != m.fromGeneration || generations[m.to, default: 0] != m.toGeneration {
                lost = "connection reset"
                _statistics.lostToCrashes += 1
            } else {
                _statistics.delivered += 1
            }
            if let lost, let completion = Self.completion(of: m.payload) {
                noticeLossLocked(m, completion: completion, reason: lost)
            }
            return (m, lost, handler, _observer)
        }
        guard let (m, lost, handler, observer) = picked else { return nil }
        if let lost { return "lost (\(lost)): \(m.summary)" }
        switch m.payload {
        case let .request(r, _, _): observer?(m.from, m.to, .request(r))
        case let .response(r, _): observer?(m.from, m.to, .response(r))
        case .lost: break
        }
        switch m.payload {
        case let .request(request, context, completion):
            guard let handler else {
                completion(.failure(.brokerUnavailable(m.to)))
                return "undeliverable (nothing attached): \(m.summary)"
            }
            let (requester, responder, requesterGeneration) = (m.from, m.to, m.fromGeneration)
            handler(request, responder, context) { [self] result in
                lock.withLock {
                    enqueueLocked(from: responder, to: requester, fromGeneration: generations[responder, default: 0],
                                  toGeneration: requesterGeneration, payload: .response(result, completion),
                                  summary: "\(Self.name(result)) \(responder)→\(Self.name(requester))")
                }
            }
        case let .response(result, completion):
            completion(result)
        case let .lost(error, completion):
            completion(.failure(error))
        }
        return "delivered: \(m.summary)"
    }

    /// Delivers due messages until none is due or `limit` were delivered (responses produced
    /// on the way with no delay count too); returns how many.
    @discardableResult
    public func deliverDue(limit: Int = .max) -> Int {
        var count = 0
        while count < limit, deliverNext() != nil { count += 1 }
        return count
    }

    // MARK: Internals (lock held)

    private func enqueueLocked(from: Int32, to: Int32, fromGeneration: Int, toGeneration: Int? = nil,
                               payload: Payload, summary: String) {
        _statistics.sent += 1
        let toGen = toGeneration ?? generations[to, default: 0]
        let lossDraw = Double(rng.next() >> 11) / Double(1 << 53)
        if lossDraw < _faults.lossProbability || queue.count >= maxInFlight {
            _statistics.lostAtRandom += 1
            if let completion = Self.completion(of: payload) {
                let m = Message(sequence: 0, from: from, to: to, dueMs: 0, fromGeneration: fromGeneration,
                                toGeneration: toGen, payload: payload, summary: summary)
                noticeLossLocked(m, completion: completion, reason: "lost")
            }
            return
        }
        let slow = Double(rng.next() >> 11) / Double(1 << 53) < _faults.slowProbability
        let maxDelay = max(0, slow ? _faults.slowDelayMs : _faults.maxDelayMs)
        let delay = Int64(rng.next() % UInt64(maxDelay + 1))
        let lane = Lane(from: from, to: to, notice: -1)
        // FIFO per link: never due before the message sent ahead of it on the same link.
        let due = max(clock.nowMs() + delay, lastDueOnLane[lane] ?? .min)
        lastDueOnLane[lane] = due
        queue.append(Message(sequence: nextSequence, from: from, to: to, dueMs: due, fromGeneration: fromGeneration,
                             toGeneration: toGen, payload: payload, summary: summary))
        nextSequence += 1
    }

    /// Queues the loss notice of `m` for its requester: `m`'s sender for a request, its
    /// receiver for a response.
    private func noticeLossLocked(_ m: Message, completion: @escaping Completion, reason: String) {
        let (requester, peer): (Int32, Int32) = if case .request = m.payload { (m.from, m.to) } else { (m.to, m.from) }
        queue.append(Message(sequence: nextSequence, from: requester, to: requester, dueMs: clock.nowMs() + max(0, _faults.lossDetectionMs),
                             fromGeneration: 0, toGeneration: 0, payload: .lost(.timedOut(peer), completion),
                             summary: "timeout notice to \(Self.name(requester)) (\(reason): \(m.summary))"))
        nextSequence += 1
    }

    /// Indices in `queue` of the due heads of every lane, in queue order.
    private func dueHeadIndices(now: Int64) -> [Int] {
        var seen = Set<Lane>()
        var out: [Int] = []
        for (i, m) in queue.enumerated() {
            let lane: Lane = if case .lost = m.payload { Lane(from: m.from, to: m.to, notice: m.sequence) }
                else { Lane(from: m.from, to: m.to, notice: -1) }
            guard seen.insert(lane).inserted else { continue }
            if m.dueMs <= now { out.append(i) }
        }
        return out
    }

    private static func completion(of payload: Payload) -> Completion? {
        switch payload {
        case let .request(_, _, c), let .response(_, c): c
        case .lost: nil
        }
    }

    static func name(_ node: Int32) -> String { node == clientNode ? "client" : "\(node)" }

    static func name(_ request: KafkaRequest) -> String {
        switch request {
        case let .produce(p): "produce(acks=\(p.acks) \(p.topicPartitions.map(\.description).joined(separator: ",")))"
        case let .fetch(f):
            "fetch(" + f.topics.flatMap { t in t.partitions.map { "\(t.topic)-\($0.partition)@\($0.fetchOffset)" } }.joined(separator: ",") + ")"
        default: request.apiKey.name
        }
    }

    static func name(_ result: Result<KafkaResponse, TransportError>) -> String {
        switch result {
        case let .failure(e): "failure(\(e))"
        case let .success(.produce(p)):
            "produce-response(" + p.responses.flatMap { t in
                t.partitionResponses.map { "\(t.name)-\($0.index):\($0.errorCode)@\($0.baseOffset)" }
            }.joined(separator: ",") + ")"
        case let .success(.fetch(f)):
            "fetch-response(" + f.responses.flatMap { t in
                t.partitions.map { "\(t.topic)-\($0.partitionIndex):\($0.errorCode) hw=\($0.highWatermark) \($0.records.count)B" }
            }.joined(separator: ",") + ")"
        case let .success(r): "\(r.apiKey.name)-response"
        }
    }
}
