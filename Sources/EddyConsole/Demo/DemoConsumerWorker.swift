import EddyClient
import EddyProtocol
import Foundation

/// One member of a demo consumer group: a `Consumer` subscribed to the group's topics,
/// polling in a background task, committing automatically (auto.commit.interval.ms).
///
/// Paused, it keeps polling (so it stays in the group and keeps its partitions, as Kafka's
/// `pause` does) with every assigned partition paused: its position stands still while the
/// log grows, so its lag grows. With a capacity, it sleeps after each poll as if processing
/// took 1/capacity s per record: a slow consumer.
final class DemoConsumerWorker: @unchecked Sendable {
    let name: String
    let group: String
    let topics: [String]
    private let consumer: Consumer
    private let lock = NSLock()
    private var paused: Bool
    private var capacity: Double?
    private var stopping = false
    private var task: Task<Void, Never>?
    private var consumed: Int64 = 0
    private var pauseApplied = false

    /// How long one poll waits for records: also how long `stop` may wait for the loop.
    static let pollTimeoutMs: Int64 = 250

    init(name: String, spec: DemoSettings.GroupSpec, settings: DemoSettings, client: KafkaClient, registry: LiveConsumers,
         paused: Bool = false, capacity: Double?) throws(ClientError) {
        self.name = name
        group = spec.group
        topics = spec.topics
        var config = ConsumerConfig(groupId: spec.group)
        config.clientId = name
        config.maxPollRecords = max(1, spec.maxPollRecords)
        config.sessionTimeoutMs = settings.sessionTimeoutMs
        config.heartbeatIntervalMs = settings.heartbeatIntervalMs
        config.autoCommitIntervalMs = spec.autoCommitIntervalMs ?? settings.autoCommitIntervalMs
        config.fetchMaxWaitMs = settings.fetchMaxWaitMs
        config.requestTimeoutMs = settings.requestTimeoutMs
        config.autoOffsetReset = .earliest
        config.registry = registry
        consumer = try Consumer(client: client, config: config)
        self.paused = paused
        self.capacity = capacity
    }

    var isPaused: Bool {
        get { lock.withLock { paused } }
        set { lock.withLock { paused = newValue } }
    }

    /// Records per second this member processes at most; nil: no limit.
    var capacityPerSecond: Double? {
        get { lock.withLock { capacity } }
        set { lock.withLock { capacity = newValue } }
    }

    /// Whether the pause has taken hold: the loop has paused every assigned partition since it
    /// was asked to, so no poll from now on moves its positions (a poll that was in flight when
    /// `isPaused` was set may still have returned records before this turns true).
    var isPauseInEffect: Bool { lock.withLock { pauseApplied } }

    /// Records returned by polls so far.
    var consumedCount: Int64 { lock.withLock { consumed } }

    var assignment: Set<TopicPartition> { consumer.assignment() }

    func start() {
        lock.withLock {
            guard task == nil, !stopping else { return }
            task = Task.detached { [self] in await run() }
        }
    }

    private func run() async {
        do throws(ClientError) {
            try await consumer.subscribe(topics: topics)
        } catch {
            return
        }
        while !lock.withLock({ stopping }) {
            applyPause()
            let records: [ConsumerRecord]
            do throws(ClientError) {
                records = try await consumer.poll(timeoutMs: Self.pollTimeoutMs)
            } catch {
                if case .closed = error { return }
                await ClientTime.sleep(ms: Self.pollTimeoutMs)
                continue
            }
            guard !records.isEmpty else { continue }
            let limit: Double? = lock.withLock {
                consumed += Int64(records.count)
                return capacity
            }
            if let limit, limit > 0 {
                await ClientTime.sleep(ms: Int64((Double(records.count) / limit * 1_000).rounded(.up)))
            }
        }
    }

    /// Pauses every assigned partition while paused (a rebalance may have brought new ones),
    /// resumes them all otherwise.
    private func applyPause() {
        let wantPaused = isPaused
        if wantPaused {
            let assigned = consumer.assignment()
            let missing = assigned.subtracting(consumer.paused())
            if !missing.isEmpty { try? consumer.pause(Array(missing)) }
            // With nothing assigned (a rebalance under way) the next poll may bring partitions.
            let applied = !assigned.isEmpty && assigned.isSubset(of: consumer.paused())
            lock.withLock { pauseApplied = applied && paused }
        } else {
            lock.withLock { pauseApplied = false }
            let held = consumer.paused()
            if !held.isEmpty { try? consumer.resume(Array(held)) }
        }
    }

    /// Stops polling and closes the consumer: it commits its positions and leaves the group.
    func stop(timeoutMs: Int64) async {
        let running: Task<Void, Never>? = lock.withLock {
            stopping = true
            return task
        }
        await running?.value
        await consumer.close(timeoutMs: timeoutMs)
    }
}
