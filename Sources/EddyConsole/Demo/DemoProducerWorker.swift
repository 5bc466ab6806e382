import EddyClient
import EddyProtocol
import Foundation

/// One demo producer: a `Producer` writing the events of one topic (`DemoEvents`) at an
/// adjustable rate. A background task wakes every `tickMs`, asks its `RatePacer` how many
/// records are due and queues them (`send` with a completion: it does not wait for the
/// acknowledgement, so a slow partition does not slow the others). Acknowledged records are
/// counted; the producer itself retries retriable errors (a broker stopping) until
/// delivery.timeout.ms, and a tick whose send fails gives up the rest of its records.
final class DemoProducerWorker: @unchecked Sendable {
    let name: String
    let topic: String
    private let producer: Producer<String, String>
    private let tickMs: Int64
    private let lock = NSLock()
    private var pacer: RatePacer
    private var events: DemoEvents
    private var paused = false
    private var stopping = false
    private var task: Task<Void, Never>?
    private var acknowledged: Int64 = 0
    /// Records handed to the producer whose outcome has not come back yet.
    private var outstanding: Int64 = 0

    init(spec: DemoSettings.ProducerSpec, client: KafkaClient, tickMs: Int64, seed: UInt64) throws(ClientError) {
        name = spec.name
        topic = spec.topic
        self.tickMs = max(1, tickMs)
        var config = ProducerConfig()
        config.clientId = spec.name
        config.requestTimeoutMs = client.requestTimeoutMs
        // A send blocks only for metadata or buffer memory; while a topic has no leader the
        // tick gives up rather than stalling for Kafka's 60 s.
        config.maxBlockMs = 5_000
        producer = try Producer(config: config, client: client, keySerializer: StringSerializer(),
                                valueSerializer: StringSerializer())
        pacer = RatePacer(recordsPerSecond: spec.recordsPerSecond)
        events = DemoEvents(seed: seed)
    }

    var recordsPerSecond: Double {
        get { lock.withLock { pacer.recordsPerSecond } }
        set { lock.withLock { pacer.recordsPerSecond = newValue } }
    }

    var isPaused: Bool {
        get { lock.withLock { paused } }
        set {
            lock.withLock {
                if paused && !newValue { pacer.restart() }
                paused = newValue
            }
        }
    }

    /// Records acknowledged so far.
    var acknowledgedCount: Int64 { lock.withLock { acknowledged } }

    /// Paused, and every record sent before has been acknowledged or failed: nothing more
    /// of this producer's reaches its topic until it resumes.
    var isQuiescent: Bool { lock.withLock { paused && outstanding == 0 } }

    func start() {
        lock.withLock {
            guard task == nil, !stopping else { return }
            task = Task.detached { [self] in await run() }
        }
    }

    private func run() async {
        while !lock.withLock({ stopping }) {
            await ClientTime.sleep(ms: tickMs)
            let now = ClientTime.monotonicMs()
            let wall = ClientTime.wallClockMs()
            let batch: [DemoEvents.Event] = lock.withLock {
                guard !paused, !stopping else { return [] }
                let due = pacer.due(nowMs: now)
                return (0 ..< due).compactMap { _ in events.next(for: topic, at: wall) }
            }
            for event in batch {
                // A pause takes effect at the next record, not at the next tick's batch.
                let sending: Bool = lock.withLock {
                    guard !paused, !stopping else { return false }
                    outstanding += 1
                    return true
                }
                guard sending else { break }
                let record = ProducerRecord<String, String>(topic: event.topic, key: event.key, value: event.value,
                                                            headers: event.headers, timestamp: wall)
                do throws(ClientError) {
                    try await producer.send(record) { [self] result in
                        lock.withLock {
                            outstanding -= 1
                            if case .success = result { acknowledged += 1 }
                        }
                    }
                } catch {
                    lock.withLock { outstanding -= 1 }
                    break
                }
            }
        }
    }

    /// Stops the task and closes the producer, giving queued records `timeoutMs` to complete.
    func stop(timeoutMs: Int64) async {
        let running: Task<Void, Never>? = lock.withLock {
            stopping = true
            return task
        }
        await running?.value
        await producer.close(timeoutMs: timeoutMs)
    }
}
