import EddyProtocol

/// Kafka's `KafkaProducer`: sends records to partition leaders in batches, in the background.
///
/// `send` serializes the record, chooses its partition (Kafka's built-in partitioner: the
/// given partition, else murmur2 of the key, else a sticky partition per batch) and appends it
/// to that partition's open batch. A background sender ships batches when they are full or
/// have waited linger.ms, one Produce request per leader, retries retriable failures after a
/// metadata refresh, and completes each record with its offset or its error within
/// delivery.timeout.ms. Idempotence (on by default) numbers each partition's batches so that
/// retries neither duplicate nor reorder records.
///
/// Two ways to send:
/// - `try await send(record)` returns the record's metadata once the leader acknowledged it.
///   Records sent concurrently (e.g. from a task group) share batches.
/// - `try await send(record) { result in ... }` returns as soon as the record is queued (it
///   waits only for buffer memory or the topic's metadata, at most max.block.ms) and reports
///   the outcome to the closure later: the fast path for streams of records.
///
/// Errors thrown by `send` are the record's own (serialization, invalid partition, too large)
/// or a blocked `send` timing out (max.block.ms); delivery errors come through the result.
///
/// Call `close()` when done: it sends what is queued and stops the background task.
/// Thread-safe: use one producer from any number of tasks.
public final class Producer<Key: Sendable, Value: Sendable>: Sendable {
    public let config: ProducerConfig
    @usableFromInline let core: ProducerCore
    private let senderTask: Task<Void, Never>
    @usableFromInline let keySerializer: any Serializer<Key>
    @usableFromInline let valueSerializer: any Serializer<Value>
    private let ownsClient: Bool

    /// A producer with its own request layer over `transport` (Kafka's bootstrap.servers are
    /// `bootstrapNodes`); `close()` closes it.
    ///
    /// - Parameter random: the sticky partitioner's draws; inject a seeded generator in tests.
    public convenience init(config: ProducerConfig, transport: any Transport, bootstrapNodes: [Int32],
                            keySerializer: some Serializer<Key>, valueSerializer: some Serializer<Value>,
                            random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) throws(ClientError) {
        try config.validate()
        let client = KafkaClient(transport: transport, bootstrapNodes: bootstrapNodes, clientId: config.clientId,
                                 requestTimeoutMs: config.requestTimeoutMs, retryBackoffMs: config.retryBackoffMs)
        try self.init(config: config, client: client, ownsClient: true, keySerializer: keySerializer,
                      valueSerializer: valueSerializer, random: random)
    }

    /// A producer over an existing request layer, which `close()` leaves open (it may be shared).
    public convenience init(config: ProducerConfig, client: KafkaClient,
                            keySerializer: some Serializer<Key>, valueSerializer: some Serializer<Value>,
                            random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) throws(ClientError) {
        try self.init(config: config, client: client, ownsClient: false, keySerializer: keySerializer,
                      valueSerializer: valueSerializer, random: random)
    }

    private init(config: ProducerConfig, client: KafkaClient, ownsClient: Bool, keySerializer: any Serializer<Key>,
                 valueSerializer: any Serializer<Value>, random: any RandomNumberGenerator & Sendable) throws(ClientError) {
        try config.validate()
        self.config = config
        self.keySerializer = keySerializer
        self.valueSerializer = valueSerializer
        self.ownsClient = ownsClient
        let core = ProducerCore(config: config, client: client, random: random)
        self.core = core
        let sender = Sender(core: core, client: client)
        senderTask = Task.detached { await sender.run() }
    }

    /// A producer dropped without `close()` still sends what it queued, then its background
    /// task ends.
    deinit {
        core.beginClose()
    }

    /// The request layer the producer sends through.
    public var client: KafkaClient { core.client }

    /// Whether batches carry a producer id and sequence numbers (see `ProducerConfig.enableIdempotence`).
    public var isIdempotent: Bool { core.isIdempotent }

    public var metrics: ProducerMetrics { core.metrics }

    /// Sends `record` and waits until its leader acknowledged it (or it failed).
    public func send(_ record: ProducerRecord<Key, Value>) async throws(ClientError) -> RecordMetadata {
        let future = RecordFuture()
        try await send(record, completion: future.complete)
        return try await future.value
    }

    // The queuing calls are inlinable so that callers get them specialized for their key and
    // value types: they run once per record.

    /// Queues `record` and returns; `completion` gets its metadata or error later.
    @inlinable
    public func send(_ record: ProducerRecord<Key, Value>, completion: @escaping SendCompletion) async throws(ClientError) {
        try await enqueue(record, completion: completion)
    }

    /// Queues `record` without asking about the outcome (`flush` still waits for it).
    @inlinable
    public func sendAndForget(_ record: ProducerRecord<Key, Value>) async throws(ClientError) {
        try await enqueue(record, completion: nil)
    }

    @inlinable
    func enqueue(_ record: ProducerRecord<Key, Value>, completion: SendCompletion?) async throws(ClientError) {
        var key: [UInt8]?
        if let k = record.key { key = try keySerializer.serialize(k, topic: record.topic) }
        var value: [UInt8]?
        if let v = record.value { value = try valueSerializer.serialize(v, topic: record.topic) }
        if try core.appendIfReady(topic: record.topic, partition: record.partition, key: key, value: value,
                                  headers: record.headers, timestamp: record.timestamp, completion: completion) {
            return
        }
        try await core.append(topic: record.topic, partition: record.partition, key: key, value: value,
                              headers: record.headers, timestamp: record.timestamp, completion: completion)
    }

    /// The partitions of `topic` (Kafka's `partitionsFor`), fetching its metadata if needed.
    public func partitions(for topic: String) async throws(ClientError) -> [PartitionMetadata] {
        try await core.client.topicMetadata(topic).partitions
    }

    /// Sends every queued record now, without waiting for linger.ms, and returns when each
    /// record sent before the call has completed (successfully or not).
    public func flush() async {
        await core.flush()
    }

    /// Refuses new records, sends the queued ones and waits for them, at most `timeoutMs`
    /// (nil: as long as it takes, at most delivery.timeout.ms per record). Records still
    /// incomplete then fail with `ClientError.closed`. Stops the background task; closes the
    /// request layer if the producer created it. Calling it again does nothing more.
    public func close(timeoutMs: Int64? = nil) async {
        core.beginClose()
        let task = senderTask
        let core = core
        if let timeoutMs {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await task.value; return true }
                group.addTask { await ClientTime.sleep(ms: max(0, timeoutMs)); return false }
                if await group.next() == false {
                    core.stop(reason: .closed("The producer was closed forcefully before the record completed."))
                }
                group.cancelAll()
            }
        }
        await task.value
        if ownsClient { core.client.close() }
    }
}

extension Producer where Key == [UInt8], Value == [UInt8] {
    /// A producer of raw bytes keys and values.
    public convenience init(config: ProducerConfig, transport: any Transport, bootstrapNodes: [Int32],
                            random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) throws(ClientError) {
        try self.init(config: config, transport: transport, bootstrapNodes: bootstrapNodes,
                      keySerializer: BytesSerializer(), valueSerializer: BytesSerializer(), random: random)
    }

    /// A producer of raw bytes keys and values over an existing request layer.
    public convenience init(config: ProducerConfig, client: KafkaClient,
                            random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) throws(ClientError) {
        try self.init(config: config, client: client, keySerializer: BytesSerializer(), valueSerializer: BytesSerializer(),
                      random: random)
    }
}

/// A producer of byte keys and values.
public typealias BytesProducer = Producer<[UInt8], [UInt8]>
