import EddyBroker
import EddyClient
import EddyProtocol
import Foundation

/// A real in-process cluster (see `TestCluster`) for the producer tests. Producers reach it
/// through `transport`, which is the cluster's own unless a test wraps it. `shutdown()` stops
/// everything and removes the directory.
final class ProducerTestCluster: @unchecked Sendable {
    let harness: TestCluster

    init(brokers: Int = 3) throws {
        harness = try TestCluster(label: "producer", brokers: brokers, seed: 7) { options in
            options.brokerSessionTimeoutMs = 600_000
            options.replicaLagTimeMaxMs = 600_000
        }
    }

    var cluster: Cluster { harness.cluster }
    var transport: any Transport { cluster.transport }
    var brokers: [Int32] { cluster.runningBrokers }

    func shutdown() { harness.shutdown() }

    /// Every record of `tp` below the high watermark, read from its leader.
    func records(_ tp: TopicPartition) throws -> [Record] {
        var out: [Record] = []
        var offset: Int64 = 0
        while true {
            let p = try cluster.fetch(tp, offset: offset, maxBytes: 1 << 20)
            let records = try MemoryRecords.records(in: p.records).filter { $0.offset >= offset }
            out += records
            guard let last = records.last, last.offset + 1 < p.highWatermark else { return out }
            offset = last.offset + 1
        }
    }

    /// The values of `tp`'s records as strings, in offset order.
    func values(_ tp: TopicPartition) throws -> [String] {
        try records(tp).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    /// The batch headers of `tp`'s log on its leader (below the high watermark).
    func batchHeaders(_ tp: TopicPartition) throws -> [RecordBatchHeader] {
        var out: [RecordBatchHeader] = []
        var offset: Int64 = 0
        while true {
            let p = try cluster.fetch(tp, offset: offset, maxBytes: 1 << 20)
            let batches = try MemoryRecords.batches(in: p.records).map(\.header).filter { $0.lastOffset >= offset }
            out += batches
            guard let last = batches.last, last.nextOffset < p.highWatermark else { return out }
            offset = last.nextOffset
        }
    }
}

/// A producer configuration for tests: short timeouts so failures show quickly.
func testProducerConfig(_ change: (inout ProducerConfig) -> Void = { _ in }) -> ProducerConfig {
    var c = ProducerConfig()
    c.clientId = "producer-test"
    c.requestTimeoutMs = 5_000
    c.retryBackoffMs = 10
    c.maxBlockMs = 10_000
    change(&c)
    return c
}

/// Collects the outcomes of callback sends.
final class SendResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<RecordMetadata, ClientError>] = [:]

    func completion(_ index: Int) -> SendCompletion {
        { r in self.lock.withLock { self.results[index] = r } }
    }

    var count: Int { lock.withLock { results.count } }
    var all: [Int: Result<RecordMetadata, ClientError>] { lock.withLock { results } }

    var failures: [Int: ClientError] {
        lock.withLock {
            results.compactMapValues { r in
                if case let .failure(e) = r { return e }
                return nil
            }
        }
    }
}
