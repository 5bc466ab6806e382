import EddyClient
import EddyProtocol
import Foundation

/// Runs a `DemoScenario` live: every `intervalMs` it samples what the scenario looks at
/// (broker states from the cluster insight, the scenario topic's partitions and the scenario
/// group's positions through the admin client, producer rates and member capacities from the
/// workload) and feeds it to the scenario. `caption` is the scenario's current line.
///
/// Thread-safe. A failed sample (a broker down, a request timing out) is skipped.
public final class DemoScenarioRunner: @unchecked Sendable {
    private let admin: Admin
    private let workload: DemoWorkload?
    private let brokers: @Sendable () -> [BrokerInsight]
    private let intervalMs: Int64
    private let lock = NSLock()
    private var scenario: DemoScenario
    private var task: Task<Void, Never>?
    private var stopping = false

    public init(scenario: DemoScenario, admin: Admin, workload: DemoWorkload?, brokers: @escaping @Sendable () -> [BrokerInsight],
                intervalMs: Int64 = 1_000) {
        self.scenario = scenario
        self.admin = admin
        self.workload = workload
        self.brokers = brokers
        self.intervalMs = max(10, intervalMs)
    }

    public var caption: String { lock.withLock { scenario.caption } }
    public var current: DemoScenario { lock.withLock { scenario } }

    public func start() {
        lock.withLock {
            guard task == nil, !stopping else { return }
            task = Task.detached { [self] in
                while !lock.withLock({ stopping }) {
                    await sampleOnce()
                    await ClientTime.sleep(ms: intervalMs)
                }
            }
        }
    }

    public func stop() async {
        let t: Task<Void, Never>? = lock.withLock {
            stopping = true
            return task
        }
        t?.cancel()
        await t?.value
    }

    /// Takes one observation and feeds it to the scenario.
    public func sampleOnce() async {
        guard let observation = await observe() else { return }
        lock.withLock { scenario.observe(observation) }
    }

    func observe() async -> DemoScenario.Observation? {
        let (topic, groupId) = lock.withLock { (scenario.topic, scenario.group) }
        var o = DemoScenario.Observation()
        for b in brokers() { o.brokers[b.id] = b.state }
        guard let description = try? await admin.describeTopic(topic) else { return nil }
        for p in description.partitions {
            o.partitions[p.partition] = .init(leader: p.leader ?? -1, replicas: p.replicas, isr: p.isr)
        }
        let status = workload?.status() ?? []
        for w in status where w.kind == .producer { o.producerRates[w.name] = w.recordsPerSecond ?? 0 }
        if let groupId {
            if workload != nil { o.workloadMembers = status.filter { $0.kind == .consumer && $0.group == groupId }.count }
            guard let positions = try? await admin.groupPositions(groupId) else { return nil }
            var perMember: [String: Int] = [:]
            for m in positions.members { perMember[m.clientId, default: 0] += m.assignment.count }
            let capacity = status.first { $0.kind == .consumer && $0.group == groupId }?.recordsPerSecond
            o.group = .init(state: positions.state.name, partitionsPerMember: perMember,
                            committedTotal: positions.rows.reduce(0) { $0 + max(0, $1.committedOffset ?? 0) },
                            lag: positions.rows.reduce(0) { $0 + max(0, $1.lag ?? 0) }, capacityPerMember: capacity)
        }
        return o
    }
}
