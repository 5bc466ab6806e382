import EddyClient
import EddyProtocol
import Foundation

/// The demo's traffic, through the real clients: creates the demo topics (when missing), runs
/// the producers and the consumer groups of `DemoSettings`, and lets the console change them
/// while they run: pause or resume a worker, change a rate, add or remove a group member, and
/// take a group's members out while its offsets are reset (replay).
///
/// Workers are named: producers by their spec (`orders-producer`, ...), consumers
/// `<group>-<n>` (`shipping-1`, ...), which is also their client.id, so the group views show
/// the same names. Each worker has its own request layer over the shared transport.
///
/// Thread-safe. Call `stop()` before shutting the cluster down.
public final class DemoWorkload: @unchecked Sendable {
    public let settings: DemoSettings
    let transport: any Transport
    let bootstrapNodes: [Int32]
    let registry: LiveConsumers
    /// The workload's own admin (topic creation, group states for replays).
    let admin: Admin
    private let adminClient: KafkaClient

    let lock = NSLock()
    /// Guarded by `lock`.
    var producers: [DemoProducerWorker] = []
    var consumers: [DemoConsumerWorker] = []
    /// Groups whose members are out for a reset (`withGroupPaused`).
    var heldGroups: Set<String> = []
    /// Per group: whether its members are paused, and their capacity (records/s).
    var groupPaused: [String: Bool] = [:]
    var groupCapacity: [String: Double?] = [:]
    var started = false
    var stopped = false

    /// - Parameters:
    ///   - bootstrapNodes: brokers the clients ask first (the running ones).
    ///   - registry: where the consumers register, so the console sees their positions.
    public init(transport: any Transport, bootstrapNodes: [Int32], settings: DemoSettings = .standard,
                registry: LiveConsumers = .shared) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.settings = settings
        self.registry = registry
        adminClient = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: "eddy-demo-admin",
                                  requestTimeoutMs: settings.requestTimeoutMs)
        admin = Admin(client: adminClient, config: AdminConfig(defaultApiTimeoutMs: 30_000))
        for g in settings.groups {
            groupPaused[g.group] = false
            groupCapacity[g.group] = g.capacityPerMember
        }
    }

    /// A request layer for one worker, named after it.
    func makeClient(_ clientId: String) -> KafkaClient {
        KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: clientId,
                    requestTimeoutMs: settings.requestTimeoutMs)
    }

    // MARK: Starting and stopping

    /// Creates the demo topics that do not exist yet (an existing topic is used as it is) and
    /// starts every producer and group member. Call once.
    public func start() async throws(ClientError) {
        guard lock.withLock({ () -> Bool in
            defer { started = true }
            return !started && !stopped
        }) else { throw .illegalState("the demo workload was already started") }
        try await createTopics()
        let seed = settings.seed
        var newProducers: [DemoProducerWorker] = []
        var newConsumers: [DemoConsumerWorker] = []
        do throws(ClientError) {
            for (i, spec) in settings.producers.enumerated() {
                newProducers.append(try DemoProducerWorker(spec: spec, client: makeClient(spec.name), tickMs: settings.producerTickMs,
                                                           seed: seed &+ UInt64(i) &* 0x9E37_79B9))
            }
            for spec in settings.groups {
                for n in 1 ... max(1, spec.members) where spec.members > 0 {
                    newConsumers.append(try makeConsumer(name: "\(spec.group)-\(n)", spec: spec))
                }
            }
        } catch {
            // A bad setting: close what was made (producers run a sender task each).
            for p in newProducers { await p.stop(timeoutMs: 0) }
            for c in newConsumers { await c.stop(timeoutMs: 0) }
            throw error
        }
        let abandoned: Bool = lock.withLock {
            guard !stopped else { return true }
            producers = newProducers
            consumers = newConsumers
            return false
        }
        guard !abandoned else {
            for p in newProducers { await p.stop(timeoutMs: 0) }
            for c in newConsumers { await c.stop(timeoutMs: 0) }
            throw .closed("the demo workload was stopped while starting")
        }
        for c in newConsumers { c.start() }
        for p in newProducers { p.start() }
    }

    /// Creates the missing demo topics and waits until each has a leader for every partition.
    func createTopics() async throws(ClientError) {
        try await DemoTopics.ensure(settings.topics.map {
            Admin.NewTopic(name: $0.name, numPartitions: $0.partitions, replicationFactor: $0.replicationFactor, configs: $0.configs)
        }, admin: admin)
    }

    func makeConsumer(name: String, spec: DemoSettings.GroupSpec) throws(ClientError) -> DemoConsumerWorker {
        let (paused, capacity) = lock.withLock { (groupPaused[spec.group] ?? false, groupCapacity[spec.group] ?? spec.capacityPerMember) }
        return try DemoConsumerWorker(name: name, spec: spec, settings: settings, client: makeClient(name), registry: registry,
                                      paused: paused, capacity: capacity)
    }

    /// Stops every worker: producers send what they queued (at most `timeoutMs`), consumers
    /// commit and leave their groups. Idempotent.
    public func stop(timeoutMs: Int64 = 5_000) async {
        let (ps, cs): ([DemoProducerWorker], [DemoConsumerWorker]) = lock.withLock {
            stopped = true
            defer { producers = []; consumers = [] }
            return (producers, consumers)
        }
        await withTaskGroup(of: Void.self) { group in
            for p in ps { group.addTask { await p.stop(timeoutMs: timeoutMs) } }
            for c in cs { group.addTask { await c.stop(timeoutMs: timeoutMs) } }
        }
        adminClient.close()
    }

    // MARK: Status

    /// Every worker: producers first (in settings order), then consumers by group and number.
    public func status() -> [DemoWorkerStatus] {
        let (ps, cs) = lock.withLock { (producers, consumers) }
        let producerRows = ps.map {
            DemoWorkerStatus(name: $0.name, kind: .producer, group: nil, topic: $0.topic, paused: $0.isPaused,
                             recordsPerSecond: $0.recordsPerSecond)
        }
        let consumerRows = cs.sorted(by: Self.memberOrder).map {
            DemoWorkerStatus(name: $0.name, kind: .consumer, group: $0.group, topic: $0.topics.joined(separator: ","),
                             paused: $0.isPaused, recordsPerSecond: $0.capacityPerSecond)
        }
        return producerRows + consumerRows
    }

    /// The names of `group`'s running members, in number order.
    public func members(of group: String) -> [String] {
        lock.withLock { consumers.filter { $0.group == group } }.sorted(by: Self.memberOrder).map(\.name)
    }

    /// Partitions currently assigned to each running member of `group`, by member name.
    public func assignments(of group: String) -> [String: Set<TopicPartition>] {
        let members = lock.withLock { consumers.filter { $0.group == group } }
        return Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0.assignment) })
    }

    /// Records acknowledged by each producer and polled by each consumer so far, by worker name.
    public func recordCounts() -> [String: Int64] {
        let (ps, cs) = lock.withLock { (producers, consumers) }
        var out: [String: Int64] = [:]
        for p in ps { out[p.name] = p.acknowledgedCount }
        for c in cs { out[c.name] = c.consumedCount }
        return out
    }

    /// `shipping-2` before `shipping-10`: by group, then member number.
    static func memberOrder(_ a: DemoConsumerWorker, _ b: DemoConsumerWorker) -> Bool {
        if a.group != b.group { return a.group < b.group }
        return (memberNumber(a.name) ?? 0, a.name) < (memberNumber(b.name) ?? 0, b.name)
    }

    static func memberNumber(_ name: String) -> Int? {
        name.split(separator: "-").last.flatMap { Int($0) }
    }

    // MARK: Controls

    /// Pauses or resumes a producer (it stops sending), a consumer (it stays in its group but
    /// stops consuming, so its lag grows), or every member of a group named by the group.
    public func setPaused(_ worker: String, _ paused: Bool) throws(ClientError) -> String {
        let verb = paused ? "paused" : "resumed"
        let (producer, members, isGroup) = workers(named: worker) { groupPaused[worker] = paused }
        if let producer {
            producer.isPaused = paused
            return paused ? "\(worker) paused: no more records to \(producer.topic)" : "\(worker) resumed: writing \(producer.topic) again"
        }
        if isGroup {
            for m in members { m.isPaused = paused }
            return "group \(worker) \(verb) (\(members.count) member\(members.count == 1 ? "" : "s"))"
                + (paused ? ": its lag grows" : ": it consumes again")
        }
        guard let member = members.first else { throw unknownWorker(worker) }
        member.isPaused = paused
        return "\(worker) \(verb)" + (paused ? ": it keeps its partitions in \(member.group) but consumes nothing" : ": consuming again")
    }

    /// Changes a producer's rate (records/s), or the processing capacity (records/s per member)
    /// of a consumer or of a whole group.
    public func setRate(_ worker: String, recordsPerSecond: Double) throws(ClientError) -> String {
        guard recordsPerSecond.isFinite, recordsPerSecond >= 0, recordsPerSecond <= 100_000 else {
            throw .invalidConfig(key: "records/s", value: "\(recordsPerSecond)", reason: "must be between 0 and 100000")
        }
        let (producer, members, isGroup) = workers(named: worker) { groupCapacity[worker] = recordsPerSecond }
        let rate = Self.formatRate(recordsPerSecond)
        if let producer {
            producer.recordsPerSecond = recordsPerSecond
            return "\(worker) now writes \(rate) records/s to \(producer.topic)"
        }
        guard isGroup || !members.isEmpty else { throw unknownWorker(worker) }
        for m in members { m.capacityPerSecond = recordsPerSecond }
        return "\(isGroup ? "each member of group " : "")\(worker) now processes at most \(rate) records/s"
    }

    /// What a control names: the producer or consumer called `worker`, else the members of the
    /// demo group so called (`isGroup`), with `updateGroup` run under the lock to change the
    /// group's setting for members yet to come; nothing matching: nil, [], false.
    private func workers(named worker: String, updateGroup: () -> Void)
        -> (producer: DemoProducerWorker?, members: [DemoConsumerWorker], isGroup: Bool) {
        lock.withLock {
            if let p = producers.first(where: { $0.name == worker }) { return (p, [], false) }
            if let c = consumers.first(where: { $0.name == worker }) { return (nil, [c], false) }
            guard groupPaused[worker] != nil else { return (nil, [], false) }
            updateGroup()
            return (nil, consumers.filter { $0.group == worker }, true)
        }
    }

    /// `120`, `7.5`: a rate as the status line shows it.
    static func formatRate(_ r: Double) -> String {
        r == r.rounded() && r < 1e15 ? String(Int64(r)) : String(format: "%.1f", r)
    }

    func unknownWorker(_ name: String) -> ClientError {
        let known = status().map(\.name) + settings.groups.map(\.group)
        return .illegalState("no demo producer, consumer or group named \(name); known: \(known.joined(separator: ", "))")
    }
}
