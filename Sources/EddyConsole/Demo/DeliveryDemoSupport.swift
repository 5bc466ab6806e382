import EddyClient
import EddyProtocol
import Foundation

/// What the delivery experiments (`IdempotenceDemo`, `ExactlyOnceDemo`) share: their topics,
/// and readers that count what a downstream consumer sees.
enum DeliveryDemoSupport {
    /// Creates `topics` (name, partitions) replicated min(3, brokers) times, unless they exist,
    /// and waits until each partition has a leader.
    static func createTopics(_ topics: [(String, Int32)], client: KafkaClient) async throws(ClientError) {
        let admin = Admin(client: client)
        let metadata = try await client.refreshMetadata(topics: nil)
        let replication = Int16(max(1, min(3, metadata.brokers.count)))
        let missing = topics.filter { metadata.topics[$0.0] == nil }
        if !missing.isEmpty {
            let results = try await admin.createTopics(missing.map { Admin.NewTopic(name: $0.0, numPartitions: $0.1, replicationFactor: replication) })
            for (name, result) in results.sorted(by: { $0.key < $1.key }) {
                if case let .failure(error) = result, error.errorCode != .topicAlreadyExists {
                    throw .broker(error.errorCode ?? .unknownServerError, message: "creating demo topic \(name): \(error)")
                }
            }
        }
        let deadline = ClientTime.monotonicMs() + 30_000
        for (name, _) in topics {
            while true {
                let t = try? await client.topicMetadata(name, refresh: true)
                if let t, !t.partitions.isEmpty, t.partitions.allSatisfy({ $0.leader >= 0 }) { break }
                guard ClientTime.monotonicMs() < deadline else { throw .timeout("demo topic \(name) has no leader for every partition after 30 s") }
                await ClientTime.sleep(ms: 100)
            }
        }
    }
}

/// Reads every partition of a topic from the start, outside any group, and counts the values
/// (`ValueTally`): what a downstream consumer with that isolation level gets.
final class TallyReader: @unchecked Sendable {
    let topic: String
    private let consumer: Consumer
    private let lock = NSLock()
    private var tally = ValueTally()
    private var stopping = false
    private var task: Task<Void, Never>?

    init(topic: String, isolationLevel: IsolationLevel, client: KafkaClient) throws(ClientError) {
        self.topic = topic
        var config = ConsumerConfig(groupId: nil)
        config.clientId = "eddy-demo-reader-\(topic)"
        config.isolationLevel = isolationLevel
        config.fetchMaxWaitMs = 200
        config.registry = LiveConsumers()
        consumer = try Consumer(client: client, config: config)
    }

    var counted: ValueTally { lock.withLock { tally } }

    func start(partitions: Int32) {
        lock.withLock {
            guard task == nil, !stopping else { return }
            task = Task.detached { [self] in
                do throws(ClientError) {
                    try await consumer.assign((0..<partitions).map { TopicPartition(topic, $0) })
                    try consumer.seekToBeginning()
                } catch {
                    return
                }
                while !lock.withLock({ stopping }) {
                    guard let records = try? await consumer.poll(timeoutMs: 250) else {
                        await ClientTime.sleep(ms: 250)
                        continue
                    }
                    let values = records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                    lock.withLock { for v in values { tally.add(v) } }
                }
            }
        }
    }

    func stop() async {
        let t: Task<Void, Never>? = lock.withLock {
            stopping = true
            return task
        }
        await t?.value
        await consumer.close(timeoutMs: 0)
    }
}

/// One background task that runs until `stop`: started once, stopped once, asked whether to go on.
final class BackgroundRun: @unchecked Sendable {
    private let lock = NSLock()
    private var stopping = false
    private var task: Task<Void, Never>?

    func start(_ body: @escaping @Sendable () async -> Void) {
        lock.withLock {
            guard task == nil, !stopping else { return }
            task = Task.detached { await body() }
        }
    }

    /// Asks the task to end and waits for it.
    func stop() async {
        let t: Task<Void, Never>? = lock.withLock {
            stopping = true
            return task
        }
        await t?.value
    }

    var isStopping: Bool { lock.withLock { stopping } }
}
