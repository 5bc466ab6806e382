import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

/// An in-process cluster (see `TestCluster`) for the consumer tests. Group timeouts are
/// shortened (group.min.session.timeout.ms, no initial rebalance delay) so that members can
/// use session timeouts of a few hundred milliseconds.
final class ConsumerTestCluster: @unchecked Sendable {
    let harness: TestCluster
    private let registry = LiveConsumers()

    var cluster: Cluster { harness.cluster }

    init(brokers: Int = 3) throws {
        harness = try TestCluster(label: "consumer", brokers: brokers, seed: 7) { options in
            options.groupCoordinator.groupMinSessionTimeoutMs = 50
            options.groupCoordinator.groupInitialRebalanceDelayMs = 0
            options.groupCoordinator.offsetsTopicNumPartitions = 5
            options.transactionCoordinator.numPartitions = 5
        }
    }

    /// Stops the driver, shuts the cluster down and removes its directory.
    func shutdown() { harness.shutdown() }

    func client(_ id: String = "t") -> KafkaClient { harness.client(id) }

    func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 3, configs: [String: String] = [:]) async throws {
        try cluster.createTopic(name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
        try await waitUntil("\(name) has leaders") { (try? self.cluster.describeTopic(name))?.partitions.allSatisfy { $0.leader >= 0 } == true }
    }

    /// Appends `values` to one partition in one batch (acks=all); returns the base offset.
    @discardableResult
    func produce(_ topic: String, partition: Int32, _ values: [String], keys: [String?]? = nil,
                 timestamp: Int64 = 1_700_000_000_000, headers: [RecordHeader] = []) throws -> Int64 {
        var b = RecordBatchBuilder()
        for (i, v) in values.enumerated() {
            b.append(timestamp: timestamp + Int64(i), key: keys?[i].map { Array($0.utf8) }, value: Array(v.utf8), headers: headers)
        }
        return try cluster.produce(TopicPartition(topic, partition), records: b.build().bytes).baseOffset
    }

    /// Consumer configuration with test-friendly group timeouts.
    func config(group: String?, strategy: [String] = ["range"], sessionTimeoutMs: Int32 = 1_000,
                heartbeatMs: Int64 = 50, maxPollIntervalMs: Int64 = 10_000, autoCommit: Bool? = nil,
                reset: AutoOffsetReset = .earliest, instanceId: String? = nil) -> ConsumerConfig {
        var c = ConsumerConfig(groupId: group)
        c.partitionAssignmentStrategy = strategy
        c.sessionTimeoutMs = sessionTimeoutMs
        c.heartbeatIntervalMs = heartbeatMs
        c.maxPollIntervalMs = maxPollIntervalMs
        c.enableAutoCommit = autoCommit
        c.autoOffsetReset = reset
        c.groupInstanceId = instanceId
        c.fetchMaxWaitMs = 50
        c.requestTimeoutMs = 5_000
        c.retryBackoffMs = 20
        c.defaultApiTimeoutMs = 10_000
        c.registry = registry
        return c
    }

    func consumer(group: String?, strategy: [String] = ["range"], sessionTimeoutMs: Int32 = 1_000, heartbeatMs: Int64 = 50,
                  maxPollIntervalMs: Int64 = 10_000, autoCommit: Bool? = nil, reset: AutoOffsetReset = .earliest,
                  instanceId: String? = nil, clientId: String = "t") throws -> Consumer {
        try Consumer(client: client(clientId),
                     config: config(group: group, strategy: strategy, sessionTimeoutMs: sessionTimeoutMs, heartbeatMs: heartbeatMs,
                                    maxPollIntervalMs: maxPollIntervalMs, autoCommit: autoCommit, reset: reset, instanceId: instanceId))
    }

    var liveConsumers: LiveConsumers { registry }
}

/// Polls `consumer` until `count` records arrived (or `seconds` pass), returning them in order.
func pollRecords(_ consumer: Consumer, count: Int, seconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [ConsumerRecord] {
    var out: [ConsumerRecord] = []
    let deadline = Date().addingTimeInterval(seconds)
    while out.count < count, Date() < deadline {
        out += try await consumer.poll(timeoutMs: 50)
    }
    if out.count < count { Issue.record("polled \(out.count) of \(count) records in \(seconds) s", sourceLocation: sourceLocation) }
    return out
}

extension ConsumerRecord {
    var text: String { String(decoding: valueBytes ?? [], as: UTF8.self) }
}

/// Rebalance callbacks recorded in order, for assertions.
final class RecordingListener: ConsumerRebalanceListener, @unchecked Sendable {
    enum Event: Equatable, CustomStringConvertible {
        case revoked([TopicPartition]), assigned([TopicPartition]), lost([TopicPartition])
        var description: String {
            switch self {
            case let .revoked(p): "revoked \(p)"
            case let .assigned(p): "assigned \(p)"
            case let .lost(p): "lost \(p)"
            }
        }
    }

    private let lock = NSLock()
    private var _events: [Event] = []
    var events: [Event] { lock.withLock { _events } }

    func onPartitionsRevoked(_ partitions: [TopicPartition]) async { lock.withLock { _events.append(.revoked(partitions.sorted())) } }
    func onPartitionsAssigned(_ partitions: [TopicPartition]) async { lock.withLock { _events.append(.assigned(partitions.sorted())) } }
    func onPartitionsLost(_ partitions: [TopicPartition]) async { lock.withLock { _events.append(.lost(partitions.sorted())) } }

    var revokedPartitions: [TopicPartition] {
        events.flatMap { e -> [TopicPartition] in
            if case let .revoked(p) = e { return p }
            return []
        }
    }
    var lostPartitions: [TopicPartition] {
        events.flatMap { e -> [TopicPartition] in
            if case let .lost(p) = e { return p }
            return []
        }
    }
}
