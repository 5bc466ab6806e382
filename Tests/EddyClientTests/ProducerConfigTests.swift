@testable import EddyClient
import EddyProtocol
import Testing

/// `ProducerConfig`: Kafka's names, defaults, and the checks of `KafkaProducer`'s constructor.
@Suite struct ProducerConfigTests {
    @Test func defaultsAreKafkas() throws {
        let c = try ProducerConfig(properties: [:])
        #expect(c.acks == .all)
        #expect(c.lingerMs == 5)
        #expect(c.batchSize == 16_384)
        #expect(c.bufferMemory == 33_554_432)
        #expect(c.maxBlockMs == 60_000)
        #expect(c.maxInFlightRequestsPerConnection == 5)
        #expect(c.retries == Int32.max)
        #expect(c.retryBackoffMs == 100)
        #expect(c.requestTimeoutMs == 30_000)
        #expect(c.effectiveDeliveryTimeoutMs == 120_000)
        #expect(c.maxRequestSize == 1_048_576)
        #expect(c.idempotenceEnabled)
        #expect(!c.partitionerIgnoreKeys)
    }

    @Test func parsesKafkaPropertyNames() throws {
        let c = try ProducerConfig(properties: [
            "acks": "1", "linger.ms": "20", "batch.size": "1000", "buffer.memory": "100000", "max.block.ms": "5",
            "max.in.flight.requests.per.connection": "1", "retries": "3", "retry.backoff.ms": "7",
            "delivery.timeout.ms": "40000", "request.timeout.ms": "2000", "enable.idempotence": "false",
            "partitioner.ignore.keys": "true", "client.id": "app", "max.request.size": "2048", "compression.type": "none",
        ])
        #expect(c.acks == .leader)
        #expect(c.lingerMs == 20 && c.batchSize == 1000 && c.bufferMemory == 100_000 && c.maxBlockMs == 5)
        #expect(c.maxInFlightRequestsPerConnection == 1 && c.retries == 3 && c.retryBackoffMs == 7)
        #expect(c.effectiveDeliveryTimeoutMs == 40_000 && c.requestTimeoutMs == 2000)
        #expect(c.enableIdempotence == false && !c.idempotenceEnabled)
        #expect(c.partitionerIgnoreKeys && c.clientId == "app" && c.maxRequestSize == 2048)
        #expect(try ProducerConfig(properties: ["acks": "-1"]).acks == .all)
        #expect(try ProducerConfig(properties: ["acks": "all"]).acks == .all)
        #expect(try ProducerConfig(properties: ["acks": "0"]).acks == ProducerAcks.none)
    }

    @Test(arguments: [
        ("acks", "2"), ("linger.ms", "-1"), ("batch.size", "x"), ("retries", "-3"), ("enable.idempotence", "yes"),
        ("max.in.flight.requests.per.connection", "0"), ("compression.type", "brotli"), ("compression.type", "GZIP"),
        ("compression.type", "uncompressed"), ("compression.type", "producer"),
        ("bootstrap.servers", "localhost:9092"), ("partitioner.class", "com.example.MyPartitioner"),
    ])
    func rejectsBadValuesAndUnknownNames(key: String, value: String) {
        #expect(throws: ClientError.self) { try ProducerConfig(properties: [key: value]) }
        do {
            _ = try ProducerConfig(properties: [key: value])
        } catch let error {
            guard case let .invalidConfig(k, v, _) = error else {
                Issue.record("expected invalidConfig, got \(error)")
                return
            }
            #expect(k == key && v == value)
        }
    }

    /// Kafka's producer codecs; a topic's `uncompressed` and `producer` are not among them.
    @Test func compressionTypesAreKafkas() throws {
        for name in ["none", "gzip", "snappy", "lz4", "zstd"] {
            let c = try ProducerConfig(properties: ["compression.type": name])
            #expect(c.compressionType == name && c.compression.name == name)
        }
        #expect(ProducerConfig().compression == .none)
        do {
            _ = try ProducerConfig(properties: ["compression.type": "brotli"])
            Issue.record("brotli accepted")
        } catch let error {
            #expect(error.description.contains("none, gzip, snappy, lz4, zstd"), "\(error)")
        }
    }

    /// Kafka: explicitly requested idempotence with conflicting settings is a ConfigException.
    @Test(arguments: [
        ["acks": "1"], ["acks": "0"], ["retries": "0"], ["max.in.flight.requests.per.connection": "6"],
    ])
    func explicitIdempotenceConflictsAreErrors(conflict: [String: String]) throws {
        var props = conflict
        props["enable.idempotence"] = "true"
        #expect(throws: ClientError.self) { try ProducerConfig(properties: props) }
        // Defaulted idempotence is silently off instead.
        let defaulted = try ProducerConfig(properties: conflict)
        #expect(defaulted.enableIdempotence == nil)
        #expect(!defaulted.idempotenceEnabled)
    }

    @Test func deliveryTimeoutMustCoverLingerPlusRequestTimeout() throws {
        #expect(throws: ClientError.self) {
            try ProducerConfig(properties: ["delivery.timeout.ms": "1000", "linger.ms": "10", "request.timeout.ms": "991"])
        }
        #expect(try ProducerConfig(properties: ["delivery.timeout.ms": "1001", "linger.ms": "10", "request.timeout.ms": "991"])
            .effectiveDeliveryTimeoutMs == 1001)
        // Not set: Kafka raises the default to linger.ms + request.timeout.ms.
        #expect(try ProducerConfig(properties: ["linger.ms": "100", "request.timeout.ms": "200000"]).effectiveDeliveryTimeoutMs == 200_100)
    }

    @Test func propertyNamesAreAllAccepted() throws {
        var c = ProducerConfig()
        for name in ProducerConfig.propertyNames {
            let value = switch name {
            case "acks": "all"
            case "compression.type": "none"
            case "client.id": "x"
            case "enable.idempotence", "partitioner.ignore.keys": "true"
            case "partitioner.class": ""
            case "delivery.timeout.ms": "200000"
            default: "1"
            }
            try c.set(name, value)
        }
        try c.validate()
    }

    /// KIP-390's producer settings: the level of the configured codec, within Kafka's range.
    @Test func compressionLevelSettings() throws {
        var c = try ProducerConfig(properties: ["compression.type": "zstd", "compression.zstd.level": "12", "compression.gzip.level": "1"])
        #expect(c.compressionLevel == 12)
        c.compressionType = "gzip"
        #expect(c.compressionLevel == 1)
        c.compressionType = "lz4"
        #expect(c.compressionLevel == 9)
        c.compressionType = "none"
        #expect(c.compressionLevel == nil)
        for (key, value) in [("compression.gzip.level", "0"), ("compression.lz4.level", "18"), ("compression.zstd.level", "23"),
                             ("compression.zstd.level", "fast")] {
            #expect(throws: ClientError.self, "\(key)=\(value)") { try ProducerConfig(properties: [key: value]) }
        }
    }

    /// A batch is compressed at the producer's level.
    @Test func batchesAreCompressedAtTheConfiguredLevel() throws {
        func encoded(level: Int?) -> [UInt8] {
            let b = ProducerBatch(id: 1, topicPartition: TopicPartition("t", 0), createdMs: 0, capacity: 1 << 16, reservedMemory: 0,
                                  compression: .gzip, compressionLevel: level)
            for i in 0 ..< 100 { b.append(timestamp: 1, key: nil, value: Array(String(repeating: "value \(i % 5) ", count: 10).utf8), headers: [], completion: nil) }
            b.close()
            b.encode()
            return b.bytes
        }
        let fast = encoded(level: 1), small = encoded(level: 9)
        #expect(!fast.isEmpty && small.count < fast.count)
        #expect(encoded(level: nil) == encoded(level: -1))
    }
}
