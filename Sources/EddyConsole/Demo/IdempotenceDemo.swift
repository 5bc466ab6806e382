import EddyClient
import EddyProtocol
import Foundation

/// `eddy demo --scenario idempotence`: two producers write 1, 2, 3, ... to their own topic
/// through a connection that loses one Produce acknowledgement in `lossEvery` (the broker
/// wrote the batch, the producer never hears so and sends it again). One runs with
/// enable.idempotence=false: each retry stores the batch again, a duplicate downstream. The
/// other with enable.idempotence=true: the broker knows the batch by its producer id and
/// sequence number and answers the retry with the first write's offset, so nothing is stored
/// twice. The caption counts what each topic's reader sees.
public final class IdempotenceDemo: ScenarioDriver, @unchecked Sendable {
    public static let plainTopic = "retries-plain"
    public static let idempotentTopic = "retries-idempotent"

    let transport: any Transport
    let bootstrapNodes: [Int32]
    let lossEvery: Int
    let intervalMs: Int64
    private let lock = NSLock()
    private var sent = [0, 0]
    private var readers: [TallyReader] = []
    private var lossy: [LossyTransport] = []
    private var problem: String?
    private let background = BackgroundRun()

    /// - Parameters:
    ///   - lossEvery: one Produce acknowledgement in this many is lost.
    ///   - intervalMs: the pause between two records of a producer.
    public init(transport: any Transport, bootstrapNodes: [Int32], lossEvery: Int = 5, intervalMs: Int64 = 100) {
        self.transport = transport
        self.bootstrapNodes = bootstrapNodes
        self.lossEvery = max(2, lossEvery)
        self.intervalMs = max(1, intervalMs)
    }

    /// Per topic (plain, idempotent): records acknowledged to the producer, acknowledgements
    /// lost, and what the topic's reader has counted.
    public struct Counts: Sendable, Equatable {
        public var sent: Int
        public var lost: Int
        public var read: ValueTally
    }

    public var counts: [Counts] {
        lock.withLock {
            (0..<2).map { i in
                Counts(sent: sent[i], lost: i < lossy.count ? lossy[i].lost : 0, read: i < readers.count ? readers[i].counted : ValueTally())
            }
        }
    }

    public var caption: String {
        if let problem = lock.withLock({ problem }) { return "[idempotence] \(problem)" }
        let c = counts
        return Self.caption(plain: c[0], idempotent: c[1], lossEvery: lossEvery)
    }

    static func caption(plain: Counts, idempotent: Counts, lossEvery: Int) -> String {
        func part(_ c: Counts, _ topic: String) -> String {
            "\(topic) \(c.read.records) stored of \(c.sent) sent, \(c.read.duplicates) duplicate\(c.read.duplicates == 1 ? "" : "s")"
        }
        return "[idempotence] 1 ack in \(lossEvery) lost, then retried: enable.idempotence=false → \(part(plain, plainTopic)) │ "
            + "enable.idempotence=true → \(part(idempotent, idempotentTopic))"
    }

    public func start() { background.start { [self] in await run() } }

    public func stop() async { await background.stop() }

    private var isStopping: Bool { background.isStopping }

    private func run() async {
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: "eddy-demo-idempotence")
        defer { client.close() }
        var producers: [BytesProducer] = []
        var readers: [TallyReader] = []
        do throws(ClientError) {
            try await DemoTopics.ensure([Self.plainTopic, Self.idempotentTopic], partitions: 1, admin: Admin(client: client))
            for (i, topic) in [Self.plainTopic, Self.idempotentTopic].enumerated() {
                let lossy = LossyTransport(transport, losingEvery: lossEvery)
                var config = ProducerConfig()
                config.clientId = i == 0 ? "producer-idempotence-off" : "producer-idempotence-on"
                config.enableIdempotence = i == 1
                config.lingerMs = 0
                config.retryBackoffMs = 50
                config.maxBlockMs = 5_000
                producers.append(try BytesProducer(config: config, transport: lossy, bootstrapNodes: bootstrapNodes))
                let reader = try TallyReader(topic: topic, isolationLevel: .readUncommitted, client: client)
                readers.append(reader)
                lock.withLock {
                    self.lossy.append(lossy)
                    self.readers.append(reader)
                }
                reader.start(partitions: 1)
            }
        } catch {
            lock.withLock { problem = "could not start: \(ErrorAdvice.text(error))" }
        }
        if producers.count == 2 {
            await withTaskGroup(of: Void.self) { group in
                for (i, producer) in producers.enumerated() {
                    let topic = i == 0 ? Self.plainTopic : Self.idempotentTopic
                    group.addTask { [self] in await write(producer, topic: topic, index: i) }
                }
            }
        }
        for p in producers { await p.close(timeoutMs: 1_000) }
        // The readers catch up with what was written before they stop (at most 3 s), so the
        // last counts are final.
        let admin = Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 1_000))
        let deadline = ClientTime.monotonicMs() + 3_000
        for r in readers {
            let tp = TopicPartition(r.topic, 0)
            while ClientTime.monotonicMs() < deadline {
                guard let end = try? await admin.logOffsets([tp])[tp]?.highWatermark else { break }
                if r.counted.records >= Int(end) { break }
                await ClientTime.sleep(ms: 20)
            }
        }
        for r in readers { await r.stop() }
    }

    /// Sends 1, 2, 3, ... and waits for each acknowledgement (the producer retries a lost one
    /// by itself), until stopped.
    private func write(_ producer: BytesProducer, topic: String, index: Int) async {
        var n = 0
        while !isStopping {
            n += 1
            // A send that fails (the cluster unreachable past delivery.timeout.ms) may still
            // have been written: its number is not used again.
            if (try? await producer.send(ProducerRecord(topic: topic, partition: 0, value: Array(String(n).utf8)))) != nil {
                lock.withLock { sent[index] += 1 }
            }
            await ClientTime.sleep(ms: intervalMs)
        }
    }
}
