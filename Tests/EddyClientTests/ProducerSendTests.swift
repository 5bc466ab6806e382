import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing

/// The producer against a real in-process cluster: metadata, partitioning, batching, serializers.
@Suite(.serialized) struct ProducerSendTests {
    @Test func sendReturnsOffsetsAndRecordsAreReadable() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let producer = try Producer(config: testProducerConfig(), transport: t.transport, bootstrapNodes: t.brokers,
                                    keySerializer: StringSerializer(), valueSerializer: StringSerializer())
        var offsets: [Int64] = []
        for i in 0 ..< 5 {
            let m = try await producer.send(ProducerRecord(topic: "t", key: "k\(i)", value: "v\(i)",
                                                           headers: [RecordHeader(key: "h", value: [UInt8(i)])], timestamp: 1000 + Int64(i)))
            #expect(m.topicPartition == TopicPartition("t", 0))
            #expect(m.timestamp == 1000 + Int64(i))
            #expect(m.serializedKeySize == 2 && m.serializedValueSize == 2)
            offsets.append(m.offset)
        }
        await producer.close()
        #expect(offsets == [0, 1, 2, 3, 4])
        let records = try t.records(TopicPartition("t", 0))
        #expect(records.map { String(decoding: $0.value!, as: UTF8.self) } == (0 ..< 5).map { "v\($0)" })
        #expect(records.map { String(decoding: $0.key!, as: UTF8.self) } == (0 ..< 5).map { "k\($0)" })
        #expect(records.map(\.timestamp) == (0 ..< 5).map { 1000 + Int64($0) })
        #expect(records[3].headers == [RecordHeader(key: "h", value: [3])])
        #expect(producer.metrics.recordsSent == 5)
    }

    /// Keyed records land where `Partitioner.partition(forKey:)` (murmur2, as Kafka) says;
    /// an explicit partition wins over the key; null keys and values are stored as null.
    @Test func keysPartitionLikeThePartitionerAndExplicitPartitionsWin() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("k", partitions: 5, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig(), transport: t.transport, bootstrapNodes: t.brokers)
        let keys = (0 ..< 60).map { Array("customer-\($0)".utf8) }
        let metas = try await withThrowingTaskGroup(of: (Int, RecordMetadata).self) { group in
            for (i, key) in keys.enumerated() {
                group.addTask { (i, try await producer.send(ProducerRecord(topic: "k", key: key, value: key))) }
            }
            var out: [Int: RecordMetadata] = [:]
            for try await (i, m) in group { out[i] = m }
            return out
        }
        for (i, key) in keys.enumerated() {
            #expect(metas[i]?.partition == Partitioner.partition(forKey: key, partitionCount: 5), "key \(i)")
        }
        let explicit = try await producer.send(ProducerRecord(topic: "k", partition: 4, key: keys[0], value: nil))
        #expect(explicit.partition == 4 && explicit.serializedValueSize == -1)
        await #expect(throws: ClientError.self) {
            try await producer.send(ProducerRecord(topic: "k", partition: 5, key: nil, value: [1]))
        }
        await producer.close()
        let tombstone = try t.records(TopicPartition("k", 4)).last
        #expect(tombstone?.value == nil && tombstone?.key == keys[0])
        let stored = try (0 ..< 5).flatMap { p in try t.records(TopicPartition("k", Int32(p))).map { (Int32(p), $0.key!) } }
        #expect(stored.count == 61)
        for (p, key) in stored where key != keys[0] || p != 4 {
            #expect(p == Partitioner.partition(forKey: key, partitionCount: 5))
        }
    }

    /// Records sent while a batch lingers share it: one Produce, one batch in the log.
    @Test func recordsSentWithinLingerShareOneBatch() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("b", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig { $0.lingerMs = 60_000 }, transport: t.transport,
                                         bootstrapNodes: t.brokers)
        let results = SendResults()
        for i in 0 ..< 100 {
            try await producer.send(ProducerRecord(topic: "b", value: Array("r\(i)".utf8)), completion: results.completion(i))
        }
        // Nothing is sent while the batch lingers (60 s) and is not full.
        #expect(results.count == 0)
        #expect(producer.metrics.requests == 0)
        await producer.flush()
        #expect(results.count == 100)
        #expect(results.failures.isEmpty)
        #expect(producer.metrics.requests == 1)
        #expect(producer.metrics.batchesSent == 1)
        let headers = try t.batchHeaders(TopicPartition("b", 0))
        #expect(headers.count == 1 && headers.first?.recordCount == 100)
        let offsets = results.all.sorted { $0.key < $1.key }.map { try? $0.value.get().offset }
        #expect(offsets == (0 ..< 100).map { Int64($0) })
        await producer.close()
    }

    /// linger.ms passing sends a batch that is not full, without a flush.
    @Test func lingerExpirySendsAPartialBatch() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("l", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig { $0.lingerMs = 30 }, transport: t.transport,
                                         bootstrapNodes: t.brokers)
        let results = SendResults()
        let start = ClientTime.monotonicMs()
        for i in 0 ..< 10 {
            try await producer.send(ProducerRecord(topic: "l", value: [UInt8(i)]), completion: results.completion(i))
        }
        try await waitUntil("the lingering batch is sent", seconds: 10) { results.count == 10 }
        #expect(ClientTime.monotonicMs() - start >= 30)
        #expect(try t.batchHeaders(TopicPartition("l", 0)).map(\.recordCount) == [10])
        await producer.close()
    }

    /// batch.size bounds each batch; keyless records stick to a partition per batch.
    @Test func batchSizeBoundsBatchesAndKeylessRecordsStick() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("s", partitions: 3, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig { $0.batchSize = 1024; $0.lingerMs = 1000 },
                                         transport: t.transport, bootstrapNodes: t.brokers, random: SplitMix64(seed: 3))
        let value = [UInt8](repeating: 120, count: 100)
        for _ in 0 ..< 300 { try await producer.sendAndForget(ProducerRecord(topic: "s", value: value)) }
        await producer.flush()
        var counts: [Int] = []
        for p in 0 ..< 3 {
            let headers = try t.batchHeaders(TopicPartition("s", Int32(p)))
            #expect(headers.allSatisfy { $0.totalSize <= 1024 }, "\(headers.map(\.totalSize))")
            counts.append(headers.reduce(0) { $0 + Int($1.recordCount) })
        }
        #expect(counts.reduce(0, +) == 300)
        #expect(counts.filter { $0 > 0 }.count >= 2, "the sticky partition moved on: \(counts)")
        await producer.close()
    }

    @Test func codableValuesAreJSONWithSortedKeys() async throws {
        struct Order: Codable, Sendable { var item: String; var amount: Int }
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("j", partitions: 1, replicationFactor: 1)
        let producer = try Producer(config: testProducerConfig(), transport: t.transport, bootstrapNodes: t.brokers,
                                    keySerializer: StringSerializer(), valueSerializer: JSONSerializer<Order>())
        _ = try await producer.send(ProducerRecord(topic: "j", key: "o1", value: Order(item: "tea", amount: 2)))
        await producer.close()
        #expect(try t.values(TopicPartition("j", 0)) == [#"{"amount":2,"item":"tea"}"#])
    }

    @Test func tooLargeRecordsAreRefusedBeforeQueuing() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("big", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig { $0.maxRequestSize = 1000 }, transport: t.transport,
                                         bootstrapNodes: t.brokers)
        do {
            _ = try await producer.send(ProducerRecord(topic: "big", value: [UInt8](repeating: 0, count: 2000)))
            Issue.record("a 2000-byte record passed max.request.size 1000")
        } catch let error {
            guard case let .recordTooLarge(_, max, setting) = error else { throw error }
            #expect(max == 1000 && setting == "max.request.size")
        }
        #expect(try await producer.send(ProducerRecord(topic: "big", value: [1])).offset == 0)
        await producer.close()
    }

    /// Kafka waits up to max.block.ms for an unknown topic to appear, then times out.
    @Test func unknownTopicTimesOutAfterMaxBlock() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        let producer = try BytesProducer(config: testProducerConfig { $0.maxBlockMs = 100 }, transport: t.transport,
                                         bootstrapNodes: t.brokers)
        do {
            _ = try await producer.send(ProducerRecord(topic: "missing", value: [1]))
            Issue.record("sent to a missing topic")
        } catch let error {
            guard case let .timeout(message) = error else { throw error }
            #expect(message.contains("missing") && message.contains("max.block.ms"), "\(message)")
        }
        await producer.close()
    }

    @Test func sendAfterCloseFails() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("c", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig(), transport: t.transport, bootstrapNodes: t.brokers)
        try await producer.sendAndForget(ProducerRecord(topic: "c", value: [1]))
        await producer.close()
        #expect(producer.metrics.recordsSent == 1, "close sends what is queued")
        await #expect(throws: ClientError.self) { try await producer.sendAndForget(ProducerRecord(topic: "c", value: [2])) }
    }
}
