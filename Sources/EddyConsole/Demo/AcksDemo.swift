import EddyClient
import EddyProtocol
import Foundation

/// `eddy demo --scenario acks`: three producers write 1, 2, 3, ... to the topics acks-0, acks-1
/// and acks-all (one partition each, 3 replicas, min.insync.replicas=2, all led by the same
/// broker), with acks=0, acks=1 and acks=all. The followers of those topics fetch only every
/// `followerIntervalMs`, so they lag behind the leader. After `killAfterMs` the leader is killed
/// (a power cut, noticed at once): a follower takes over without what it had not fetched. The
/// producers go on for `afterKillMs` against the new leader, then everything is read back. What
/// a producer was told was written (a completed send: for acks=0, sent; for acks=1, in the
/// leader's log; for acks=all, in every in-sync replica's) and is not there was lost: some for
/// acks=0 and acks=1, none for acks=all.
public final class AcksDemo: ScenarioDriver, @unchecked Sendable {
    public static let topics = ["acks-0", "acks-1", "acks-all"]
    static let acks: [ProducerAcks] = [.none, .leader, .all]

    /// What the demo does to the cluster it runs on.
    public struct Hooks: Sendable {
        /// Makes the followers of the topics fetch at most every so many ms (nil: as usual).
        public var setFollowerInterval: @Sendable (Int64?, Set<String>) -> Void
        /// Kills a broker as a power cut would, noticed by the controller at once.
        public var kill: @Sendable (Int32) async throws(ClientError) -> String
        public var start: @Sendable (Int32) async throws(ClientError) -> String

        public init(setFollowerInterval: @escaping @Sendable (Int64?, Set<String>) -> Void,
                    kill: @escaping @Sendable (Int32) async throws(ClientError) -> String,
                    start: @escaping @Sendable (Int32) async throws(ClientError) -> String) {
            self.setFollowerInterval = setFollowerInterval
            self.kill = kill
            self.start = start
        }
    }

    /// Where the demo is.
    public enum Phase: Sendable, Equatable {
        case settingUp
        /// Writing; the leader dies at `killAtMs` (monotonic).
        case writing(killAtMs: Int64)
        case killed
        case checking
        case done
        case failed(String)
    }

    /// Per producer (acks=0, acks=1, acks=all): the values it was told were written, and once
    /// read back, those that were not there.
    public struct Counts: Sendable, Equatable {
        public var told = [0, 0, 0]
        public var lost: [Int]?

        public init(told: [Int] = [0, 0, 0], lost: [Int]? = nil) {
            self.told = told
            self.lost = lost
        }
    }

    let transport: any Transport
    let bootstrapNodes: [Int32]
    let hooks: Hooks
    let leader: Int32
    let followerIntervalMs: Int64
    let killAfterMs: Int64
    let afterKillMs: Int64
    let intervalMs: Int64
    private let lock = NSLock()
    private var phase = Phase.settingUp
    private var acked: [Set<Int>] = [[], [], []]
    private var lost: [Int]?
    private var nowMs: Int64 = 0
    private let background = BackgroundRun()

    /// - Parameters:
    ///   - leader: the broker that leads the three topics, and is killed.
    ///   - followerIntervalMs: how often the followers fetch.
    ///   - intervalMs: the pause between two records of one producer.
    public init(transport: any Transport, bootstrapNodes: [Int32], hooks: Hooks, leader: Int32 = 1, followerIntervalMs: Int64 = 2_000,
                killAfterMs: Int64 = 8_000, afterKillMs: Int64 = 3_000, intervalMs: Int64 = 20) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.hooks = hooks
        self.leader = leader
        self.followerIntervalMs = followerIntervalMs
        self.killAfterMs = killAfterMs
        self.afterKillMs = afterKillMs
        self.intervalMs = max(1, intervalMs)
    }

    public var counts: Counts {
        lock.withLock { () -> Counts in Counts(told: self.acked.map { $0.count }, lost: self.lost) }
    }
    public var currentPhase: Phase { lock.withLock { self.phase } }

    public var caption: String {
        let current: Phase = lock.withLock { self.phase }
        let now: Int64 = lock.withLock { self.nowMs }
        return Self.caption(current, counts, leader: leader, followerIntervalMs: followerIntervalMs, nowMs: now)
    }

    static func caption(_ phase: Phase, _ counts: Counts, leader: Int32, followerIntervalMs: Int64, nowMs: Int64) -> String {
        let told = "told written: acks=0 \(counts.told[0]) │ acks=1 \(counts.told[1]) │ acks=all \(counts.told[2])"
        switch phase {
        case .settingUp:
            return "[acks] creating acks-0, acks-1 and acks-all (3 replicas, min.insync.replicas=2), all led by broker \(leader)"
        case let .writing(killAt):
            let left = max(0, (killAt - nowMs + 999) / 1000)
            return "[acks] followers fetch every \(followerIntervalMs / 1000) s, so they lag behind broker \(leader) │ \(told) │ "
                + "killing broker \(leader), the leader, in \(left) s"
        case .killed:
            return "[acks] broker \(leader) killed (a power cut) before its followers caught up: a follower leads │ \(told)"
        case .checking:
            return "[acks] reading back what survived │ \(told)"
        case .done:
            let lost = counts.lost ?? [0, 0, 0]
            return "[acks] broker \(leader) died before its followers caught up: acks=0 told \(counts.told[0]), lost \(lost[0]) │ "
                + "acks=1 told \(counts.told[1]), lost \(lost[1]) (only the leader had them) │ acks=all told \(counts.told[2]), "
                + "lost \(lost[2]) (every in-sync replica had them)"
        case let .failed(problem):
            return "[acks] \(problem)"
        }
    }

    public func start() { background.start { [self] in await run() } }

    public func stop() async { await background.stop() }

    private func set(_ phase: Phase) { lock.withLock { self.phase = phase } }

    private func tick() { lock.withLock { nowMs = ClientTime.monotonicMs() } }

    private func run() async {
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: "eddy-demo-acks")
        defer { client.close() }
        let admin = Admin(client: client)
        let topics = Set(Self.topics)
        var producers: [BytesProducer] = []
        do throws(ClientError) {
            let brokers = try await client.refreshMetadata(topics: []).brokers.keys.sorted()
            guard brokers.count >= 3, brokers.contains(leader) else {
                throw .illegalState("the acks lesson needs 3 running brokers, broker \(leader) among them")
            }
            let followers = brokers.filter { $0 != leader }.prefix(2)
            try await DemoTopics.ensure(Self.topics.map {
                Admin.NewTopic(name: $0, replicasAssignments: [0: [leader] + followers], configs: ["min.insync.replicas": "2"])
            }, admin: admin)
            for (i, acks) in Self.acks.enumerated() {
                var config = ProducerConfig()
                config.clientId = "producer-\(Self.topics[i])"
                config.acks = acks
                config.enableIdempotence = false
                config.lingerMs = 0
                config.retryBackoffMs = 50
                producers.append(try BytesProducer(config: config, transport: transport, bootstrapNodes: bootstrapNodes))
            }
        } catch {
            set(.failed("could not start: \(ErrorAdvice.text(error))"))
            return
        }
        hooks.setFollowerInterval(followerIntervalMs, topics)
        let start = ClientTime.monotonicMs()
        set(.writing(killAtMs: start + killAfterMs))
        var n = 0
        var killed = false
        while !background.isStopping {
            let now = ClientTime.monotonicMs()
            tick()
            if !killed, now - start >= killAfterMs {
                killed = true
                _ = try? await hooks.kill(leader)
                set(.killed)
            }
            if killed, now - start >= killAfterMs + afterKillMs { break }
            n += 1
            for (i, producer) in producers.enumerated() {
                let value = n
                try? await producer.send(ProducerRecord(topic: Self.topics[i], partition: 0, value: Array(String(value).utf8))) { [self] result in
                    if case .success = result { lock.withLock { _ = acked[i].insert(value) } }
                }
            }
            await ClientTime.sleep(ms: intervalMs)
        }
        for p in producers { await p.close(timeoutMs: 10_000) }
        hooks.setFollowerInterval(nil, topics)
        guard !background.isStopping else { return }
        set(.checking)
        _ = try? await hooks.start(leader)
        var lost = [0, 0, 0]
        for (i, topic) in Self.topics.enumerated() {
            let present = await readAll(topic, client: client, admin: admin)
            let told = lock.withLock { acked[i] }
            lost[i] = told.subtracting(present).count
        }
        lock.withLock { self.lost = lost }
        set(.done)
    }

    /// Every value in partition 0 of `topic` below its high watermark.
    private func readAll(_ topic: String, client: KafkaClient, admin: Admin) async -> Set<Int> {
        let tp = TopicPartition(topic, 0)
        var values = Set<Int>()
        var config = ConsumerConfig(groupId: nil)
        config.clientId = "eddy-demo-acks-reader"
        config.fetchMaxWaitMs = 100
        config.registry = LiveConsumers()
        guard let consumer = try? Consumer(client: client, config: config) else { return values }
        defer { Task { await consumer.close(timeoutMs: 0) } }
        let deadline = ClientTime.monotonicMs() + 15_000
        do throws(ClientError) {
            try await consumer.assign([tp])
            try consumer.seekToBeginning()
            var position: Int64 = 0
            while ClientTime.monotonicMs() < deadline, !background.isStopping {
                let end = (try? await admin.logOffsets([tp])[tp]?.highWatermark) ?? -1
                if end >= 0, position >= end { break }
                for record in try await consumer.poll(timeoutMs: 200) {
                    if let v = Int(String(decoding: record.value ?? [], as: UTF8.self)) { values.insert(v) }
                    position = record.offset + 1
                }
            }
        } catch {
            return values
        }
        return values
    }
}
