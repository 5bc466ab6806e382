import EddyClient
import EddyProtocol
import Foundation

/// The demos' topics: the workload's and the delivery experiments'.
enum DemoTopics {
    /// Creates those of `topics` that do not exist and waits (at most 30 s) until each
    /// partition of every one has a leader.
    static func ensure(_ topics: [Admin.NewTopic], admin: Admin) async throws(ClientError) {
        let existing = Set(try await admin.listTopics().map(\.name))
        let missing = topics.filter { !existing.contains($0.name) }
        if !missing.isEmpty {
            for (name, result) in try await admin.createTopics(missing).sorted(by: { $0.key < $1.key }) {
                if case let .failure(error) = result, error.errorCode != .topicAlreadyExists {
                    throw .broker(error.errorCode ?? .unknownServerError, message: "creating demo topic \(name): \(error)")
                }
            }
        }
        let deadline = ClientTime.monotonicMs() + 30_000
        for topic in topics {
            while true {
                let t = try? await admin.client.topicMetadata(topic.name, refresh: true)
                if let t, !t.partitions.isEmpty, t.partitions.allSatisfy({ $0.leader >= 0 }) { break }
                guard ClientTime.monotonicMs() < deadline else {
                    throw .timeout("demo topic \(topic.name) has no leader for every partition after 30 s")
                }
                await ClientTime.sleep(ms: 50)
            }
        }
    }

    /// `names` with `partitions` each, replicated min(3, brokers) times (the delivery
    /// experiments' topics).
    static func ensure(_ names: [String], partitions: Int32, admin: Admin) async throws(ClientError) {
        let brokers = try await admin.client.refreshMetadata(topics: []).brokers.count
        let replication = Int16(max(1, min(3, brokers)))
        try await ensure(names.map { Admin.NewTopic(name: $0, numPartitions: partitions, replicationFactor: replication) }, admin: admin)
    }
}

/// Reads every partition of a topic from the start, outside any group, and counts the values
/// (`ValueTally`): what a downstream consumer with that isolation level gets.
final class TallyReader: @unchecked Sendable {
    let topic: String
    private let consumer: Consumer
    private let lock = NSLock()
    private var tally = ValueTally()
    private let background = BackgroundRun()

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
        background.start { [self] in
            do throws(ClientError) {
                try await consumer.assign((0..<partitions).map { TopicPartition(topic, $0) })
                try consumer.seekToBeginning()
            } catch {
                return
            }
            while !background.isStopping {
                guard let records = try? await consumer.poll(timeoutMs: 250) else {
                    await ClientTime.sleep(ms: 250)
                    continue
                }
                let values = records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                lock.withLock { for v in values { tally.add(v) } }
            }
        }
    }

    func stop() async {
        await background.stop()
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
