import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing

/// The producer when brokers fail: retries after a failover, delivery.timeout.ms, buffer.memory.
@Suite(.serialized) struct ProducerFailureTests {
    /// The leader is killed while records stream: the producer refreshes metadata, retries on
    /// the new leader, and every record is acknowledged and stored, in order per partition.
    @Test func sendsSurviveLeaderFailover() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("f", partitions: 2, replicationFactor: 3)
        let producer = try BytesProducer(config: testProducerConfig { $0.batchSize = 512; $0.lingerMs = 1 },
                                         transport: t.transport, bootstrapNodes: t.brokers)
        let results = SendResults()
        let total = 2000
        let victim = try t.cluster.leader(of: TopicPartition("f", 0))
        for i in 0 ..< total {
            if i == total / 2 {
                try t.cluster.killBroker(victim, fenceNow: true)
            }
            try await producer.send(ProducerRecord(topic: "f", partition: Int32(i % 2), value: Array("v\(i)".utf8)),
                                    completion: results.completion(i))
        }
        await producer.flush()
        #expect(results.count == total)
        #expect(results.failures.isEmpty, "\(results.failures.prefix(3))")
        #expect(try t.cluster.leader(of: TopicPartition("f", 0)) != victim)
        await producer.close()
        for p in 0 ..< 2 {
            let values = try t.values(TopicPartition("f", Int32(p)))
            let expected = stride(from: p, to: total, by: 2).map { "v\($0)" }
            // No loss, in order; a record appears at most once when batches carry sequence numbers.
            var firstSeen: [String] = []
            var seen = Set<String>()
            for v in values where seen.insert(v).inserted { firstSeen.append(v) }
            #expect(firstSeen == expected, "partition \(p)")
            if producer.isIdempotent { #expect(values == expected, "partition \(p): duplicates") }
        }
    }

    /// With no leader for the partition, a record fails with a timeout once delivery.timeout.ms
    /// has passed since it was sent, and the error says why.
    @Test func recordsExpireAfterDeliveryTimeoutWhenThereIsNoLeader() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("d", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig {
            $0.lingerMs = 0
            $0.requestTimeoutMs = 100
            $0.deliveryTimeoutMs = 300
        }, transport: t.transport, bootstrapNodes: t.brokers)
        // The metadata is known before the only replica goes down. (Read it rather than send
        // a first record: under load that record could itself outlast the 300 ms.)
        _ = try await producer.partitions(for: "d")
        try t.cluster.killBroker(try t.cluster.leader(of: TopicPartition("d", 0)), fenceNow: true)
        let start = ClientTime.monotonicMs()
        do {
            _ = try await producer.send(ProducerRecord(topic: "d", value: [1]))
            Issue.record("a record to an offline partition was acknowledged")
        } catch let error {
            guard case let .timeout(message) = error else { throw error }
            #expect(message.contains("delivery.timeout.ms"), "\(message)")
        }
        let elapsed = ClientTime.monotonicMs() - start
        #expect(elapsed >= 300 && elapsed < 3000, "failed after \(elapsed) ms")
        await producer.close()
    }

    /// buffer.memory holds two batches; the broker cannot take them, so the third batch's
    /// record waits max.block.ms and fails with a timeout naming it.
    @Test func fullBufferMemoryBlocksThenTimesOut() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("m", partitions: 1, replicationFactor: 1)
        let producer = try BytesProducer(config: testProducerConfig {
            $0.batchSize = 1024
            $0.bufferMemory = 2048
            $0.maxBlockMs = 150
            $0.lingerMs = 0
        }, transport: t.transport, bootstrapNodes: t.brokers)
        _ = try await producer.send(ProducerRecord(topic: "m", value: [0]))
        try t.cluster.killBroker(try t.cluster.leader(of: TopicPartition("m", 0)), fenceNow: true)
        // The producer knows the partition has no leader before the records come, so none goes
        // out with a batch not yet full (how many records the first batches hold otherwise
        // depends on how the sender's turns fall between the appends).
        try await producer.client.refreshMetadata(topics: ["m"])
        let value = [UInt8](repeating: 7, count: 200)
        var queued = 0
        let start = ClientTime.monotonicMs()
        do {
            for _ in 0 ..< 100 {
                try await producer.sendAndForget(ProducerRecord(topic: "m", value: value))
                queued += 1
            }
            Issue.record("100 records of 200 bytes fit in 2048 bytes of buffer.memory")
        } catch let error {
            guard case let .timeout(message) = error else { throw error }
            #expect(message.contains("max.block.ms"), "\(message)")
        }
        let elapsed = ClientTime.monotonicMs() - start
        // Two 1 KiB batches hold 4 records of ~250 bytes each.
        #expect(queued == 8, "queued \(queued)")
        #expect(elapsed >= 150 && elapsed < 3000, "blocked \(elapsed) ms")
        await producer.close(timeoutMs: 0)
    }

    /// acks=all with fewer in-sync replicas than min.insync.replicas: NOT_ENOUGH_REPLICAS is
    /// retried `retries` times, then the record fails with it.
    @Test func retriesAreBoundedByRetries() async throws {
        let t = try ProducerTestCluster()
        defer { t.shutdown() }
        try t.cluster.createTopic("r", partitions: 1, replicationFactor: 2, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("r", 0)
        let leader = try t.cluster.leader(of: tp)
        // A controlled shutdown takes the follower out of the ISR at once.
        let follower = try #require(t.cluster.describeTopic("r").partitions[0].replicas.first { $0 != leader })
        try t.cluster.stopBroker(follower)
        let producer = try BytesProducer(config: testProducerConfig { $0.retries = 3; $0.lingerMs = 0 },
                                         transport: t.transport, bootstrapNodes: t.brokers)
        do {
            _ = try await producer.send(ProducerRecord(topic: "r", value: [1]))
            Issue.record("acks=all succeeded below min.insync.replicas")
        } catch let error {
            #expect(error.errorCode == .notEnoughReplicas, "\(error)")
        }
        #expect(producer.metrics.retries == 3)
        #expect(producer.metrics.requests == 4)
        await producer.close()
    }
}
