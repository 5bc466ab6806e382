import EddyClient
import EddyProtocol
import Foundation

/// `eddy demo --scenario exactly-once`: a feeder writes 1, 2, 3, ... to `eos-input`; two
/// consume-transform-produce pipelines copy it, and both crash every `crashEvery`-th batch
/// after writing the batch's outputs and before recording its input offsets.
///
/// - At least once (`alo-pipeline` to `alo-output`): outputs are sent, then the offsets
///   committed. A crash between the two leaves the offsets behind: the restarted member reads
///   the batch again and sends its outputs a second time, duplicates downstream.
/// - Exactly once (`eos-pipeline` to `eos-output`, transactional.id `eos-pipeline`, KIP-447's
///   loop): outputs and input offsets go in one transaction. The crashed instance leaves its
///   transaction open for `zombieMs` (a read_committed reader of `eos-output` waits at the last
///   stable offset meanwhile); its replacement's initTransactions fences it and aborts that
///   transaction, and reads the batch again from the last committed offsets. Its outputs are
///   in the log twice, once aborted, but a read_committed reader sees each once.
///
/// The caption counts what the readers of both outputs see.
public final class ExactlyOnceDemo: ScenarioDriver, @unchecked Sendable {
    public static let inputTopic = "eos-input"
    public static let atLeastOnceTopic = "alo-output"
    public static let exactlyOnceTopic = "eos-output"
    public static let atLeastOnceGroup = "alo-pipeline"
    public static let exactlyOnceGroup = "eos-pipeline"
    public static let transactionalId = "eos-pipeline"
    static let partitions: Int32 = 3

    let transport: any Transport
    let bootstrapNodes: [Int32]
    let inputIntervalMs: Int64
    let crashEvery: Int
    let zombieMs: Int64
    private let lock = NSLock()
    private var state = Counts()
    private var readers: [TallyReader] = []
    private var problem: String?
    /// A crashed instance's transaction is open and no replacement runs yet.
    private var zombieOpen = false
    private let background = BackgroundRun()

    /// What the caption shows.
    public struct Counts: Sendable, Equatable {
        public var inputs = 0
        public var atLeastOnceCrashes = 0
        public var exactlyOnceCrashes = 0
        public var atLeastOnce = ValueTally()
        public var exactlyOnce = ValueTally()
        /// Records of `eos-output` above its last stable offset (an open transaction's).
        public var held: Int64 = 0
        /// Samples that found `held` > 0 while a crashed instance's transaction was open.
        public var heldByZombie = 0
    }

    /// - Parameters:
    ///   - inputIntervalMs: the pause between two input records.
    ///   - crashEvery: each pipeline crashes on every this-many-th batch.
    ///   - zombieMs: how long a crashed exactly-once instance's transaction stays open before
    ///     its replacement starts.
    public init(transport: any Transport, bootstrapNodes: [Int32], inputIntervalMs: Int64 = 50, crashEvery: Int = 8,
                zombieMs: Int64 = 3_000) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.inputIntervalMs = max(1, inputIntervalMs)
        self.crashEvery = max(2, crashEvery)
        self.zombieMs = max(0, zombieMs)
    }

    public var counts: Counts {
        lock.withLock {
            var c = state
            if readers.count == 2 {
                c.atLeastOnce = readers[0].counted
                c.exactlyOnce = readers[1].counted
            }
            return c
        }
    }

    public var caption: String {
        if let problem = lock.withLock({ problem }) { return "[exactly-once] \(problem)" }
        return Self.caption(counts)
    }

    static func caption(_ c: Counts) -> String {
        func dups(_ t: ValueTally) -> String { "\(t.duplicates) duplicate\(t.duplicates == 1 ? "" : "s")" }
        func crashes(_ n: Int) -> String { "\(n) crash\(n == 1 ? "" : "es")" }
        var text = "[exactly-once] crash mid-batch: at-least-once → \(atLeastOnceTopic) \(dups(c.atLeastOnce)) of \(c.atLeastOnce.records) "
            + "(\(crashes(c.atLeastOnceCrashes))) │ transactional → \(exactlyOnceTopic) \(dups(c.exactlyOnce)) of \(c.exactlyOnce.records) "
            + "read_committed (\(crashes(c.exactlyOnceCrashes))\(c.exactlyOnceCrashes > 0 ? ", zombies fenced" : "")) │ \(c.inputs) inputs"
        if c.held > 0 { text += " │ open transaction: \(c.held) records above the LSO" }
        return text
    }

    public func start() { background.start { [self] in await run() } }

    public func stop() async { await background.stop() }

    private var isStopping: Bool { background.isStopping }

    private func run() async {
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: "eddy-demo-exactly-once")
        defer { client.close() }
        var readers: [TallyReader] = []
        do throws(ClientError) {
            try await DemoTopics.ensure([Self.inputTopic, Self.atLeastOnceTopic, Self.exactlyOnceTopic], partitions: Self.partitions,
                                        admin: Admin(client: client))
            readers = [try TallyReader(topic: Self.atLeastOnceTopic, isolationLevel: .readUncommitted, client: client),
                       try TallyReader(topic: Self.exactlyOnceTopic, isolationLevel: .readCommitted, client: client)]
        } catch {
            lock.withLock { problem = "could not start: \(ErrorAdvice.text(error))" }
            return
        }
        lock.withLock { self.readers = readers }
        for r in readers { r.start(partitions: Self.partitions) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in await feed() }
            group.addTask { [self] in await atLeastOnce(client) }
            group.addTask { [self] in await exactlyOnce(client) }
            group.addTask { [self] in await watchStableOffsets(client) }
        }
        for r in readers { await r.stop() }
    }

    private func producer(_ clientId: String, transactionalId: String? = nil) throws(ClientError) -> BytesProducer {
        var config = ProducerConfig()
        config.clientId = clientId
        config.transactionalId = transactionalId
        config.lingerMs = 0
        config.maxBlockMs = 5_000
        return try BytesProducer(config: config, transport: transport, bootstrapNodes: bootstrapNodes)
    }

    private func consumer(group: String, isolation: IsolationLevel, client: KafkaClient) async throws(ClientError) -> Consumer {
        var config = ConsumerConfig(groupId: group)
        config.clientId = group
        config.enableAutoCommit = false
        config.autoOffsetReset = .earliest
        config.isolationLevel = isolation
        config.maxPollRecords = 20
        config.fetchMaxWaitMs = 200
        config.sessionTimeoutMs = 6_000
        config.heartbeatIntervalMs = 1_000
        config.registry = LiveConsumers()
        let consumer = try Consumer(client: client, config: config)
        try await consumer.subscribe(topics: [Self.inputTopic])
        return consumer
    }

    /// A crashed member: it stops without committing and leaves the group, so its partitions
    /// go to the replacement at once rather than after the session timeout.
    private func crash(_ consumer: Consumer) async {
        await consumer.close(timeoutMs: 2_000)
    }

    private func feed() async {
        guard let producer = try? producer("eos-feeder") else { return }
        var n = 0
        while !isStopping {
            n += 1
            let value = Array(String(n).utf8)
            if (try? await producer.send(ProducerRecord(topic: Self.inputTopic, key: value, value: value))) != nil {
                lock.withLock { state.inputs += 1 }
            }
            await ClientTime.sleep(ms: inputIntervalMs)
        }
        await producer.close(timeoutMs: 1_000)
    }

    /// Send the outputs, then commit the offsets: a crash between the two repeats the batch.
    private func atLeastOnce(_ client: KafkaClient) async {
        guard let producer = try? producer("alo-pipeline") else { return }
        var consumer: Consumer?
        var batches = 0
        while !isStopping {
            do throws(ClientError) {
                let c: Consumer
                if let consumer { c = consumer } else { c = try await self.consumer(group: Self.atLeastOnceGroup, isolation: .readUncommitted, client: client) }
                consumer = c
                let records = try await c.poll(timeoutMs: 250)
                guard !records.isEmpty else { continue }
                for r in records {
                    _ = try await producer.send(ProducerRecord(topic: Self.atLeastOnceTopic, key: r.key, value: r.value))
                }
                batches += 1
                if batches % crashEvery == 0 {
                    lock.withLock { state.atLeastOnceCrashes += 1 }
                    await crash(c)
                    consumer = nil
                    continue
                }
                try await c.commitSync()
            } catch {
                if let c = consumer { await crash(c) }
                consumer = nil
                await ClientTime.sleep(ms: 250)
            }
        }
        if let consumer { await consumer.close(timeoutMs: 1_000) }
        await producer.close(timeoutMs: 1_000)
    }

    /// KIP-447's loop: outputs and input offsets in one transaction. A crash leaves the
    /// transaction open (the instance is kept as a zombie) until the replacement fences it.
    private func exactlyOnce(_ client: KafkaClient) async {
        var producer: BytesProducer?
        var consumer: Consumer?
        var zombies: [BytesProducer] = []
        var batches = 0
        while !isStopping {
            do throws(ClientError) {
                let p: BytesProducer
                if let producer { p = producer } else {
                    p = try self.producer("eos-pipeline", transactionalId: Self.transactionalId)
                    producer = p
                    // Fences any older instance and aborts the transaction it left open; the
                    // fenced ones can go.
                    try await p.initTransactions()
                    for z in zombies { await z.close(timeoutMs: 0) }
                    zombies = []
                }
                let c: Consumer
                if let consumer { c = consumer } else { c = try await self.consumer(group: Self.exactlyOnceGroup, isolation: .readCommitted, client: client) }
                consumer = c
                let records = try await c.poll(timeoutMs: 250)
                guard !records.isEmpty else { continue }
                try p.beginTransaction()
                var next: [TopicPartition: OffsetAndMetadata] = [:]
                for r in records {
                    _ = try await p.send(ProducerRecord(topic: Self.exactlyOnceTopic, key: r.key, value: r.value))
                    next[r.topicPartition] = OffsetAndMetadata(r.offset + 1)
                }
                batches += 1
                if batches % crashEvery == 0 {
                    lock.withLock { state.exactlyOnceCrashes += 1 }
                    zombies.append(p)
                    producer = nil
                    await crash(c)
                    consumer = nil
                    lock.withLock { zombieOpen = true }
                    await sleepUnlessStopping(zombieMs)
                    lock.withLock { zombieOpen = false }
                    continue
                }
                guard let metadata = c.groupMetadata() else { throw .illegalState("the pipeline's consumer is not in its group") }
                try await p.sendOffsetsToTransaction(next, groupMetadata: metadata)
                try await p.commitTransaction()
            } catch {
                // Whatever failed (a rebalance, a fenced instance): start over from the last
                // committed offsets with a new instance, which aborts what is open.
                if let p = producer { zombies.append(p) }
                producer = nil
                if let c = consumer { await crash(c) }
                consumer = nil
                await ClientTime.sleep(ms: 250)
            }
        }
        if let consumer { await consumer.close(timeoutMs: 1_000) }
        if let producer {
            try? await producer.abortTransaction()
            await producer.close(timeoutMs: 1_000)
        }
        for z in zombies { await z.close(timeoutMs: 0) }
    }

    private func sleepUnlessStopping(_ ms: Int64) async {
        let until = ClientTime.monotonicMs() + ms
        while !isStopping, ClientTime.monotonicMs() < until { await ClientTime.sleep(ms: min(100, until - ClientTime.monotonicMs())) }
    }

    /// How many records of `eos-output` wait above its last stable offset.
    private func watchStableOffsets(_ client: KafkaClient) async {
        let admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 2_000))
        let tps = (0..<Self.partitions).map { TopicPartition(Self.exactlyOnceTopic, $0) }
        while !isStopping {
            if let offsets = try? await admin.logOffsets(tps) {
                let held = offsets.values.reduce(Int64(0)) { $0 + max(0, $1.highWatermark - ($1.lastStableOffset ?? $1.highWatermark)) }
                lock.withLock {
                    state.held = held
                    if held > 0, zombieOpen { state.heldByZombie += 1 }
                }
            }
            await sleepUnlessStopping(500)
        }
    }
}
