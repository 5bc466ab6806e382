import EddyProtocol
import Foundation

/// A guided training scenario (`eddy demo --scenario NAME`): a caption line that says what to
/// press and what to watch, advancing when the observed state shows the step happened. A pure
/// state machine: `observe` takes what the cluster and the workload look like now (sampled by
/// `DemoScenarioRunner`) and moves to the next step when its condition holds; `caption` is the
/// line to show.
///
/// - `failover`: stop the broker leading `orders-0`; its leadership moves, the ISR shrinks and
///   the high watermark keeps advancing; start it again and it rejoins the ISR.
/// - `rebalance`: add a member to `shipping`, watch partitions move; remove one.
/// - `replay`: reset `audit` to the earliest offsets (the console pauses its consumers, resets,
///   resumes them) and watch it re-consume and drain the lag.
/// - `lag`: speed up `orders-producer` beyond what the slow `audit` can process, watch the lag
///   grow, add a member to `audit` and watch it drain.
public struct DemoScenario: Sendable, Equatable {
    public enum Name: String, Sendable, CaseIterable {
        case failover, rebalance, replay, lag
    }

    /// What a scenario looks at, sampled about once a second.
    public struct Observation: Sendable, Equatable {
        /// Every registered broker's state.
        public var brokers: [Int32: BrokerInsight.State]
        /// Partitions of the scenario's topic: leader (-1 for none), replicas and ISR.
        public var partitions: [Int32: PartitionState]
        /// The scenario's group, if it has one.
        public var group: GroupState?
        /// Producer rates (records/s) by worker name.
        public var producerRates: [String: Double]
        /// How many of the demo workload's consumers are members of the scenario's group (nil
        /// when no workload runs here).
        public var workloadMembers: Int?

        public init(brokers: [Int32: BrokerInsight.State] = [:], partitions: [Int32: PartitionState] = [:],
                    group: GroupState? = nil, producerRates: [String: Double] = [:], workloadMembers: Int? = nil) {
            self.brokers = brokers
            self.partitions = partitions
            self.group = group
            self.producerRates = producerRates
            self.workloadMembers = workloadMembers
        }
    }

    public struct PartitionState: Sendable, Equatable {
        public var leader: Int32
        public var replicas: [Int32]
        public var isr: [Int32]

        public init(leader: Int32, replicas: [Int32], isr: [Int32]) {
            self.leader = leader
            self.replicas = replicas
            self.isr = isr
        }
    }

    public struct GroupState: Sendable, Equatable {
        /// Kafka's group state name (`Stable`, `PreparingRebalance`, `Empty`, ...).
        public var state: String
        /// Partitions owned per member (client id), members with none included.
        public var partitionsPerMember: [String: Int]
        /// Sum of the committed offsets over the group's partitions.
        public var committedTotal: Int64
        /// Sum of the lags (high watermark - committed) over the group's partitions.
        public var lag: Int64
        /// Records per second one member processes at most; nil when unlimited or unknown.
        public var capacityPerMember: Double?

        public init(state: String, partitionsPerMember: [String: Int], committedTotal: Int64, lag: Int64,
                    capacityPerMember: Double? = nil) {
            self.state = state
            self.partitionsPerMember = partitionsPerMember
            self.committedTotal = committedTotal
            self.lag = lag
            self.capacityPerMember = capacityPerMember
        }

        public var memberCount: Int { partitionsPerMember.count }
        public var isStable: Bool { state == "Stable" }
        /// `2,2,1,1`: partitions per member, most first.
        var spread: String { partitionsPerMember.values.sorted(by: >).map(String.init).joined(separator: ",") }
    }

    /// How the console is driven: the key sequences captions tell the user to press.
    /// `{broker}` and `{group}` stand for the broker and group the step is about.
    public struct Keys: Sendable, Equatable {
        public var stopBroker: String
        public var startBroker: String
        public var addMember: String
        public var removeMember: String
        public var resetOffsets: String
        public var setRate: String
        public var groups: String
        public var topics: String

        public init(stopBroker: String, startBroker: String, addMember: String, removeMember: String, resetOffsets: String,
                    setRate: String, groups: String, topics: String) {
            self.stopBroker = stopBroker
            self.startBroker = startBroker
            self.addMember = addMember
            self.removeMember = removeMember
            self.resetOffsets = resetOffsets
            self.setRate = setRate
            self.groups = groups
            self.topics = topics
        }

        /// The console's `:` commands (see `ConsoleHelp`), which work from every view.
        public static let console = Keys(
            stopBroker: ":stop {broker}", startBroker: ":start {broker}", addMember: ":add-member {group}",
            removeMember: ":remove-member {group}", resetOffsets: ":reset {group}, Enter, y",
            setRate: ":rate orders-producer 300", groups: ":group {group}", topics: ":topic orders")

        func text(_ template: String, broker: Int32? = nil, group: String? = nil) -> String {
            template.replacingOccurrences(of: "{broker}", with: broker.map(String.init) ?? "ID")
                .replacingOccurrences(of: "{group}", with: group ?? "GROUP")
        }
    }

    public let name: Name
    public let keys: Keys
    /// The current step, from 0; `stepCount` when finished.
    public private(set) var step = 0
    /// What the scenario remembered from earlier steps.
    private var broker: Int32?
    private var baseline: Int64 = 0
    private var memberCount = 0
    private var peakLag: Int64 = 0
    private var last = Observation()

    public init(_ name: Name, keys: Keys) {
        self.name = name
        self.keys = keys
    }

    /// The topic whose partitions the scenario needs in its observations.
    public var topic: String { "orders" }
    /// The group the scenario needs in its observations.
    public var group: String? {
        switch name {
        case .failover: nil
        case .rebalance: "shipping"
        case .replay, .lag: "audit"
        }
    }

    public static let producer = "orders-producer"

    public var stepCount: Int {
        switch name {
        case .failover, .rebalance, .replay: 3
        case .lag: 4
        }
    }

    public var isFinished: Bool { step >= stepCount - 1 }

    // MARK: Advancing

    /// Takes a new observation and advances as far as it allows (at most one step: each step's
    /// caption is shown at least one sample).
    public mutating func observe(_ o: Observation) {
        last = o
        switch name {
        case .failover: observeFailover(o)
        case .rebalance: observeRebalance(o)
        case .replay: observeReplay(o)
        case .lag: observeLag(o)
        }
    }

    private mutating func observeFailover(_ o: Observation) {
        switch step {
        case 0:
            // The caption names orders-0's leader, but any broker going down shows the
            // lesson: the scenario follows the one that did.
            if let down = o.brokers.filter({ $0.value != .running }).keys.sorted().first {
                broker = down
                step = 1
            } else if let leader = o.partitions[0]?.leader, leader >= 0 {
                broker = leader
            }
        case 1:
            guard let b = broker, o.brokers[b] == .running else { return }
            let inIsr = o.partitions.values.filter { $0.replicas.contains(b) }.allSatisfy { $0.isr.contains(b) }
            if inIsr { step = 2 }
        default: break
        }
    }

    private mutating func observeRebalance(_ o: Observation) {
        guard let g = o.group else { return }
        switch step {
        case 0:
            // The baseline is a stable group holding every member the workload runs, so the
            // demo's own members joining one by one at start-up are not taken for an added one;
            // a member added through the workload raises its count before the group grows.
            let settled = g.isStable && g.memberCount >= (o.workloadMembers ?? 0)
            if memberCount > 0, g.isStable, g.memberCount > memberCount {
                memberCount = g.memberCount
                step = 1
            } else if settled {
                memberCount = g.memberCount
            }
        case 1:
            if g.memberCount < memberCount, g.isStable {
                memberCount = g.memberCount
                step = 2
            }
        default: break
        }
    }

    private mutating func observeReplay(_ o: Observation) {
        guard let g = o.group else { return }
        switch step {
        case 0:
            // A reset to earliest sends the committed offsets back towards the log start.
            if baseline > 0, g.committedTotal < baseline / 2 {
                peakLag = g.lag
                step = 1
            } else {
                baseline = max(baseline, g.committedTotal)
            }
        case 1:
            peakLag = max(peakLag, g.lag)
            if g.lag <= Self.drainedLag(peak: peakLag) { step = 2 }
        default: break
        }
    }

    private mutating func observeLag(_ o: Observation) {
        guard let g = o.group else { return }
        let rate = o.producerRates[Self.producer] ?? 0
        let capacity = g.capacityPerMember.map { $0 * Double(max(1, g.memberCount)) }
        switch step {
        case 0:
            memberCount = g.memberCount
            if let capacity, rate > capacity { step = 1 }
        case 1:
            if g.memberCount > memberCount || (capacity.map { rate <= $0 } ?? false) {
                memberCount = g.memberCount
                peakLag = g.lag
                step = 2
            }
        case 2:
            peakLag = max(peakLag, g.lag)
            if g.lag <= Self.drainedLag(peak: peakLag) { step = 3 }
        default: break
        }
    }

    /// The committed total of the scenario group in the latest observation (0 without one).
    public var observedCommitted: Int64 { last.group?.committedTotal ?? 0 }

    /// Test hook: jumps to `step` as if the earlier ones happened, with `o` the latest observation.
    mutating func forceStep(_ step: Int, observing o: Observation) {
        self.step = step
        last = o
        if broker == nil { broker = o.brokers.filter { $0.value != .running }.keys.min() ?? o.partitions[0]?.leader }
    }

    /// The lag counted as drained after a peak: a tenth of it, and at most a few hundred records
    /// (what a steady consumer trails by between commits).
    static func drainedLag(peak: Int64) -> Int64 { min(500, max(100, peak / 10)) }

    // MARK: Caption

    /// The line to show now: `[name n/N] what to do. What to watch.`
    public var caption: String {
        let prefix = "[\(name.rawValue) \(min(step + 1, stepCount))/\(stepCount)] "
        return prefix + text
    }

    private var text: String {
        let b = broker.map(String.init) ?? "?"
        let g = last.group
        func keys(_ template: KeyPath<Keys, String>) -> String { self.keys.text(self.keys[keyPath: template], broker: broker, group: group) }
        switch (name, step) {
        case (.failover, 0):
            return "orders-0 is led by broker \(b), ISR \(Self.list(last.partitions[0]?.isr)). Stop it: type \(keys(\.stopBroker)). "
                + "Watch \(keys(\.topics))."
        case (.failover, 1):
            let leader = last.partitions[0].map { $0.leader >= 0 ? String($0.leader) : "none" } ?? "?"
            return "Broker \(b) is down: orders-0 led by \(leader), ISR \(Self.list(last.partitions[0]?.isr)), HW still moving. "
                + "Start it: type \(keys(\.startBroker))."
        case (.failover, _):
            return "Broker \(b) caught up and is back in the ISR (orders-0: \(Self.list(last.partitions[0]?.isr))); "
                + "preferred leaders return soon. Done."
        case (.rebalance, 0):
            return "shipping: \(g?.memberCount ?? 0) members own \(g?.spread ?? "-") partitions. "
                + "Add one: type \(keys(\.addMember)), watch \(keys(\.groups))."
        case (.rebalance, 1):
            return "shipping rebalanced: \(g?.memberCount ?? 0) members own \(g?.spread ?? "-") partitions. "
                + "Remove one: type \(keys(\.removeMember))."
        case (.rebalance, _):
            return "shipping is back to \(g?.memberCount ?? 0) members (\(g?.spread ?? "-")): each partition has one owner. Done."
        case (.replay, 0):
            return "audit consumed \(g?.committedTotal ?? 0) records of orders. Replay them: type \(keys(\.resetOffsets)), "
                + "watch \(keys(\.groups))."
        case (.replay, 1):
            return "audit's commits went back to the log start (lag \(g?.lag ?? 0)): watch it re-read orders and the lag drain."
        case (.replay, _):
            return "audit caught up again (lag \(g?.lag ?? 0)): a replay re-reads history; the log is untouched. Done."
        case (.lag, 0):
            let cap = g?.capacityPerMember.map { Self.rate($0) } ?? "?"
            return "audit processes \(cap) records/s per member; orders gets \(rate)/s. Speed it up: type \(keys(\.setRate))."
        case (.lag, 1):
            return "orders gets \(rate)/s, more than audit can take: lag \(g?.lag ?? 0), growing. "
                + "Add a member: type \(keys(\.addMember))."
        case (.lag, 2):
            return "audit has \(g?.memberCount ?? 0) members sharing the work: watch the lag drain (now \(g?.lag ?? 0))."
        case (.lag, _):
            return "audit keeps up again (lag \(g?.lag ?? 0)): scale out up to one member per partition. Done."
        }
    }

    private var rate: String { Self.rate(last.producerRates[Self.producer] ?? 0) }

    static func list(_ ids: [Int32]?) -> String {
        guard let ids else { return "?" }
        return "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    static func rate(_ r: Double) -> String { DemoWorkload.formatRate(r) }
}
