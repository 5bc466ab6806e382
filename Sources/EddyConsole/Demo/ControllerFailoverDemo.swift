import EddyClient
import EddyProtocol
import Foundation
import Synchronization

/// One step of the controller quorum as the process running it saw it (`ClusterInsight.quorumEvents`):
/// a node took a role in an epoch.
public struct QuorumEventInsight: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        case unattached, candidate, leader, follower, resigned
        /// Granted its vote to this candidate.
        case voted(Int32)
    }

    public var timeMs: Int64
    public var nodeId: Int32
    public var epoch: Int32
    public var role: Role

    public init(timeMs: Int64, nodeId: Int32, epoch: Int32, role: Role) {
        self.timeMs = timeMs
        self.nodeId = nodeId
        self.epoch = epoch
        self.role = role
    }
}

/// `eddy demo --scenario controller-failover`, as a pure state machine: the caption names the
/// active controller; after `killDelayMs` the scenario kills it (its node: in combined mode
/// the broker with it); while no controller is active the caption says the others wait for
/// controller.quorum.fetch.timeout.ms and then vote; once one is elected it names it, its epoch,
/// how long the election took and who voted for it, and creates a topic under it (a metadata
/// change only an active controller can make); then it starts the killed node again, which
/// catches up as a follower.
///
/// `observe` takes the quorum (DescribeQuorum), the role changes seen so far and the time, and
/// returns what to do; `created` and `started` report those actions back.
public struct ControllerFailoverScenario: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for an active controller to kill (since `sinceMs`).
        case watching(sinceMs: Int64?)
        /// `node` (active in `epoch`) was killed at `atMs`.
        case electing(node: Int32, epoch: Int32, atMs: Int64)
        /// `leader` won `epoch` `tookMs` after the kill, with `votes`; the topic is being created.
        case elected(Election)
        /// The topic was created (or not: `error`) under the new controller; starting the old one.
        case restarting(Election, error: String?)
        /// The killed node runs again and catches up.
        case catchingUp(Election, error: String?)
        case done(Election, error: String?)
    }

    public struct Election: Sendable, Equatable {
        public var killed: Int32
        public var oldEpoch: Int32
        public var leader: Int32
        public var epoch: Int32
        public var tookMs: Int64
        /// The nodes whose votes elected the leader (itself included), ascending.
        public var votes: [Int32]
        public var voters: Int
    }

    public enum Action: Sendable, Equatable {
        case kill(Int32)
        case createTopic(String)
        case start(Int32)
    }

    /// How long the caption shows the active controller before the kill.
    public let killDelayMs: Int64
    /// The topic created under the new controller.
    public let topic: String
    public private(set) var phase: Phase = .watching(sinceMs: nil)
    private var lastQuorum: DescribeQuorumResponse.Quorum?
    private var lastNowMs: Int64 = 0

    public init(killDelayMs: Int64 = 6000, topic: String) {
        self.killDelayMs = killDelayMs
        self.topic = topic
    }

    /// Takes what the quorum looks like at `nowMs`; returns what to do.
    public mutating func observe(_ quorum: DescribeQuorumResponse.Quorum?, events: [QuorumEventInsight], nowMs: Int64) -> [Action] {
        lastQuorum = quorum
        lastNowMs = nowMs
        let leader = quorum.flatMap { $0.leaderId >= 0 ? $0.leaderId : nil }
        switch phase {
        case let .watching(since):
            guard let leader, let q = quorum else { return [] }
            guard let since else {
                phase = .watching(sinceMs: nowMs)
                return []
            }
            guard nowMs - since >= killDelayMs else { return [] }
            phase = .electing(node: leader, epoch: q.leaderEpoch, atMs: nowMs)
            return [.kill(leader)]
        case let .electing(node, epoch, atMs):
            guard let leader, let q = quorum, q.leaderEpoch > epoch else { return [] }
            let votes = Set(events.filter { $0.epoch == q.leaderEpoch && $0.role == .voted(leader) }.map(\.nodeId)).union([leader])
            phase = .elected(Election(killed: node, oldEpoch: epoch, leader: leader, epoch: q.leaderEpoch, tookMs: nowMs - atMs,
                                      votes: votes.sorted(), voters: q.voters.count))
            return [.createTopic(topic)]
        case let .catchingUp(election, error):
            guard let q = quorum, q.leaderId >= 0, let v = q.voters.first(where: { $0.replicaId == election.killed }), q.lag(v) == 0 else { return [] }
            phase = .done(election, error: error)
            return []
        case .elected, .restarting, .done:
            return []
        }
    }

    /// The topic's creation under the new controller finished (`error` nil: it was created).
    public mutating func created(error: String?) -> [Action] {
        guard case let .elected(election) = phase else { return [] }
        phase = .restarting(election, error: error)
        return [.start(election.killed)]
    }

    /// The killed node was started again (or could not be: `error`).
    public mutating func started(error: String?) {
        guard case let .restarting(election, createError) = phase else { return }
        phase = error == nil ? .catchingUp(election, error: createError) : .done(election, error: createError ?? error)
    }

    public var caption: String {
        let head = "[controller-failover] "
        switch phase {
        case let .watching(since):
            guard let q = lastQuorum, q.leaderId >= 0 else { return head + "waiting for the controller quorum to elect an active controller" }
            let left = since.map { max(0, killDelayMs - (lastNowMs - $0)) } ?? killDelayMs
            return head + "the active controller is node \(q.leaderId) (epoch \(q.leaderEpoch)), leading voters "
                + q.voters.map { String($0.replicaId) }.joined(separator: ",") + "; it will be killed in \((left + 999) / 1000) s"
        case let .electing(node, epoch, _):
            return head + "node \(node), active controller in epoch \(epoch), was killed: no metadata can change until the other voters, "
                + "after controller.quorum.fetch.timeout.ms without it, stand for epoch \(epoch + 1) and vote"
        case let .elected(e):
            return head + electionText(e) + "; creating topic \(topic) under it"
        case let .restarting(e, error):
            return head + electionText(e) + "; " + createdText(error) + "; starting node \(e.killed) again"
        case let .catchingUp(e, error):
            let lag = lastQuorum.flatMap { q in q.voters.first { $0.replicaId == e.killed }.flatMap { q.lag($0) } }
            return head + electionText(e) + "; " + createdText(error) + "; node \(e.killed) is back as a follower, "
                + (lag.map { "\($0) records behind" } ?? "catching up")
        case let .done(e, error):
            return head + "done: node \(e.leader) took over in epoch \(e.epoch) after \(Self.seconds(e.tookMs)); " + createdText(error)
                + "; node \(e.killed) rejoined as a follower and caught up. Nothing committed before the kill was lost."
        }
    }

    func electionText(_ e: Election) -> String {
        "node \(e.leader) won epoch \(e.epoch) \(Self.seconds(e.tookMs)) after the kill, with the votes of "
            + e.votes.map(String.init).joined(separator: ",") + " (a majority of \(e.voters))"
    }

    func createdText(_ error: String?) -> String {
        error.map { "creating \(topic) failed: \($0)" } ?? "topic \(topic) was created under it"
    }

    static func seconds(_ ms: Int64) -> String {
        String(format: "%.1f s", Double(ms) / 1000)
    }
}

/// Runs `ControllerFailoverScenario` over the demo cluster: samples the quorum four times a
/// second, kills and starts nodes through the broker controls, creates the topic with `admin`.
public final class ControllerFailoverDemo: ScenarioDriver {
    public struct Hooks: Sendable {
        public var quorum: @Sendable () -> DescribeQuorumResponse.Quorum?
        public var events: @Sendable () -> [QuorumEventInsight]
        public var kill: @Sendable (Int32) async throws(ClientError) -> String
        public var start: @Sendable (Int32) async throws(ClientError) -> String
        public var nowMs: @Sendable () -> Int64

        public init(quorum: @escaping @Sendable () -> DescribeQuorumResponse.Quorum?, events: @escaping @Sendable () -> [QuorumEventInsight],
                    kill: @escaping @Sendable (Int32) async throws(ClientError) -> String,
                    start: @escaping @Sendable (Int32) async throws(ClientError) -> String,
                    nowMs: @escaping @Sendable () -> Int64 = { ClientTime.monotonicMs() }) {
            self.quorum = quorum
            self.events = events
            self.kill = kill
            self.start = start
            self.nowMs = nowMs
        }
    }

    let hooks: Hooks
    let admin: Admin
    let scenario: Mutex<ControllerFailoverScenario>
    let task = Mutex<Task<Void, Never>?>(nil)

    public init(hooks: Hooks, admin: Admin, killDelayMs: Int64 = 6000) {
        self.hooks = hooks
        self.admin = admin
        let run = String(UInt32.random(in: 0 ... .max), radix: 36)
        scenario = Mutex(ControllerFailoverScenario(killDelayMs: killDelayMs, topic: "after-failover-\(run)"))
    }

    public var caption: String { scenario.withLock { $0.caption } }
    public var phase: ControllerFailoverScenario.Phase { scenario.withLock { $0.phase } }

    public func start() {
        task.withLock { task in
            guard task == nil else { return }
            task = Task.detached { [self] in await run() }
        }
    }

    public func stop() async {
        let t = task.withLock { $0 }
        t?.cancel()
        await t?.value
    }

    func run() async {
        while !Task.isCancelled {
            let actions = scenario.withLock { $0.observe(hooks.quorum(), events: hooks.events(), nowMs: hooks.nowMs()) }
            for action in actions { await perform(action) }
            if case .done = phase { return }
            try? await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    func perform(_ action: ControllerFailoverScenario.Action) async {
        switch action {
        case let .kill(node):
            _ = try? await hooks.kill(node)
        case let .createTopic(name):
            var error: String?
            do throws(ClientError) {
                _ = try await admin.createTopic(Admin.NewTopic(name: name, numPartitions: 1, replicationFactor: 1))
            } catch let e {
                error = "\(e)"
            }
            let next = scenario.withLock { $0.created(error: error) }
            for a in next { await perform(a) }
        case let .start(node):
            var error: String?
            do throws(ClientError) { _ = try await hooks.start(node) } catch let e { error = "\(e)" }
            scenario.withLock { $0.started(error: error) }
        }
    }
}
