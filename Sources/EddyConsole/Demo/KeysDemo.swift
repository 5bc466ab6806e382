import EddyClient
import EddyProtocol
import Foundation

/// `eddy demo --scenario keys`: a producer writes records keyed by customer id (customer-1 to
/// customer-12) to the 6-partition topic `customer-events`. The default partitioner puts a key on
/// murmur2(key) mod 6 (Kafka's), so all of one customer's records land on one partition, in the
/// order they were written. customer-7 is hot: it writes `hotFactor` times as often as any
/// other customer, so its partition takes a large share of the records. The group
/// `customer-service` reads the topic with three members, each processing at most
/// `memberCapacity` records/s: the member that owns customer-7's partition falls behind while
/// the others keep up. The caption shows where keys land, that every key was read in order
/// (a record after another of its key in the partition but with a lower sequence number counts
/// as out of order), the hot partition's share and the lag of the member that owns it against
/// the others'.
public final class KeysDemo: ScenarioDriver, @unchecked Sendable {
    public static let topic = "customer-events"
    public static let partitions: Int32 = 6
    public static let group = "customer-service"
    public static let customers = (1 ... 12).map { "customer-\($0)" }
    public static let hotCustomer = "customer-7"
    public static let members = 3

    /// Where Kafka's default partitioner puts `key`'s records in `customer-events`.
    public static func partition(of key: String) -> Int32 {
        Int32(Murmur2.partition(forKey: Array(key.utf8), partitions: Int(partitions)))
    }

    let transport: any Transport
    let bootstrapNodes: [Int32]
    let hotFactor: Int
    let memberCapacity: Double
    let intervalMs: Int64
    /// Values carry it, so records left by an earlier run are not counted.
    let run = String(UInt32.random(in: 0 ... .max), radix: 36)
    private let lock = NSLock()
    private var state = Counts()
    /// Per key, the offset and sequence number of the furthest record read.
    private var furthest: [String: (offset: Int64, seq: Int)] = [:]
    private var problem: String?
    private let background = BackgroundRun()

    /// - Parameters:
    ///   - hotFactor: how many times as often as any other customer customer-7 writes.
    ///   - memberCapacity: records per second one member of the group processes at most.
    ///   - intervalMs: the pause between two rounds of writes (one record per customer, and
    ///     `hotFactor` for customer-7).
    public init(transport: any Transport, bootstrapNodes: [Int32], hotFactor: Int = 8, memberCapacity: Double = 40, intervalMs: Int64 = 200) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.hotFactor = max(2, hotFactor)
        self.memberCapacity = max(1, memberCapacity)
        self.intervalMs = max(1, intervalMs)
    }

    /// What the demo counted so far.
    public struct Counts: Sendable, Equatable {
        /// Records acknowledged per partition, and per customer.
        public var sentPerPartition: [Int32: Int] = [:]
        public var sentPerCustomer: [String: Int] = [:]
        /// Records the group read (this run's), and those that came after a record of their key
        /// with a higher sequence number.
        public var read = 0
        public var outOfOrder = 0
        /// The group's lag (high watermark − committed) per member (client id), and the
        /// partitions each member owns, as last sampled.
        public var memberLag: [String: Int64] = [:]
        public var memberPartitions: [String: [Int32]] = [:]

        public init() {}

        public var sent: Int { sentPerPartition.values.reduce(0, +) }
    }

    public var counts: Counts { lock.withLock { state } }

    public var caption: String {
        if let problem = lock.withLock({ problem }) { return "[keys] \(problem)" }
        return Self.caption(counts, hotFactor: hotFactor)
    }

    /// The caption for `c` (pure).
    static func caption(_ c: Counts, hotFactor: Int) -> String {
        let hot = partition(of: hotCustomer)
        let shown = ["customer-1", "customer-2", "customer-3"].map { "\($0)→p\(partition(of: $0))" }.joined(separator: " ")
        var text = "[keys] murmur2: \(shown) \(hotCustomer)→p\(hot) │ \(c.read) read, \(c.outOfOrder) out of key order"
        let share = c.sent == 0 ? 0 : Int((Double(c.sentPerPartition[hot] ?? 0) / Double(c.sent) * 100).rounded())
        text += " │ \(hotCustomer) hot (\(hotFactor)×): p\(hot) \(share)% of \(c.sent)"
        if let owner = c.memberPartitions.first(where: { $0.value.contains(hot) })?.key {
            let others = c.memberLag.filter { $0.key != owner }.values.max() ?? 0
            text += " │ lag \(c.memberLag[owner] ?? 0) at \(owner) (p\(hot)), ≤ \(others) at the others"
        }
        return text
    }

    public func start() { background.start { [self] in await runAll() } }

    public func stop() async { await background.stop() }

    private func runAll() async {
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: "eddy-demo-keys")
        defer { client.close() }
        let producer: BytesProducer
        do throws(ClientError) {
            try await DemoTopics.ensure([Self.topic], partitions: Self.partitions, admin: Admin(client: client))
            var config = ProducerConfig()
            config.clientId = "customers-producer"
            config.lingerMs = 5
            config.maxBlockMs = 5_000
            producer = try BytesProducer(config: config, transport: transport, bootstrapNodes: bootstrapNodes)
        } catch {
            lock.withLock { problem = "could not start: \(ErrorAdvice.text(error))" }
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in await write(producer) }
            for n in 1 ... Self.members { group.addTask { [self] in await member(n) } }
            group.addTask { [self] in await sampleLag(Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 2_000))) }
        }
        await producer.close(timeoutMs: 1_000)
    }

    /// Rounds of writes: one record per customer, `hotFactor` for the hot one; each value is
    /// `customer-N#run#seq`, seq counting that customer's records from 1.
    private func write(_ producer: BytesProducer) async {
        var seq: [String: Int] = [:]
        let round = Self.customers.flatMap { $0 == Self.hotCustomer ? Array(repeating: $0, count: hotFactor) : [$0] }
        while !background.isStopping {
            for key in round {
                let n = seq[key, default: 0] + 1
                let record = ProducerRecord(topic: Self.topic, key: Array(key.utf8), value: Array("\(key)#\(run)#\(n)".utf8))
                // A send that fails may still have been written: its number is not used again.
                seq[key] = n
                // Queued without waiting, so the rate does not depend on the round trip.
                try? await producer.send(record) { [self] result in
                    guard case let .success(sent) = result else { return }
                    lock.withLock {
                        state.sentPerPartition[sent.topicPartition.partition, default: 0] += 1
                        state.sentPerCustomer[key, default: 0] += 1
                    }
                }
            }
            await ClientTime.sleep(ms: intervalMs)
        }
    }

    /// One member of the group: reads, checks each key's order, and takes as long as
    /// `memberCapacity` allows before it commits.
    private func member(_ n: Int) async {
        var config = ConsumerConfig(groupId: Self.group)
        config.clientId = "customer-service-\(n)"
        config.enableAutoCommit = false
        config.autoOffsetReset = .latest
        config.fetchMaxWaitMs = 200
        config.maxPollRecords = 50
        config.sessionTimeoutMs = 10_000
        config.heartbeatIntervalMs = 1_000
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: config.clientId)
        defer { client.close() }
        guard let consumer = try? Consumer(client: client, config: config) else { return }
        do { try await consumer.subscribe(topics: [Self.topic]) } catch { return }
        while !background.isStopping {
            guard let records = try? await consumer.poll(timeoutMs: 250) else {
                await ClientTime.sleep(ms: 250)
                continue
            }
            guard !records.isEmpty else { continue }
            lock.withLock { for r in records { note(String(decoding: r.value ?? [], as: UTF8.self), offset: r.offset) } }
            await ClientTime.sleep(ms: Int64(Double(records.count) / memberCapacity * 1000))
            try? await consumer.commitSync(timeoutMs: 2_000)
        }
        await consumer.close(timeoutMs: 1_000)
    }

    /// Counts one value read at `offset`; caller holds the lock. A key's records are on one
    /// partition, so a record further on in it with a lower sequence number than one read before
    /// is out of order; a record at or below the furthest offset read is a redelivery (after a
    /// rebalance), and a sequence number that skips ahead is a send that failed.
    private func note(_ value: String, offset: Int64) {
        let parts = value.split(separator: "#")
        guard parts.count == 3, parts[1] == run, let seq = Int(parts[2]) else { return }
        let key = String(parts[0])
        state.read += 1
        if let last = furthest[key] {
            guard offset > last.offset else { return }
            if seq < last.seq { state.outOfOrder += 1 }
        }
        furthest[key] = (offset, seq)
    }

    /// Samples the group's lag per member once a second.
    private func sampleLag(_ admin: Admin) async {
        while !background.isStopping {
            if let positions = try? await admin.groupPositions(Self.group, live: [:]) {
                var lag: [String: Int64] = [:], owned: [String: [Int32]] = [:]
                for row in positions.rows where row.topicPartition.topic == Self.topic {
                    guard let member = row.clientId else { continue }
                    lag[member, default: 0] += row.lag ?? 0
                    owned[member, default: []].append(row.topicPartition.partition)
                }
                lock.withLock {
                    state.memberLag = lag
                    state.memberPartitions = owned.mapValues { $0.sorted() }
                }
            }
            await ClientTime.sleep(ms: 1_000)
        }
    }
}
