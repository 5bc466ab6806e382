import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

/// The consumer's decoding of compressed batches (FetchDecoder), without a broker.
@Suite struct CompressedFetchDecodingTests {
    static func batch(_ baseOffset: Int64, _ values: [String], codec: CompressionType) throws -> [UInt8] {
        var b = RecordBatchBuilder(attributes: RecordBatchAttributes(compression: codec))
        for (i, v) in values.enumerated() {
            b.append(timestamp: 1_000 + Int64(i), key: Array("k\(i)".utf8), value: Array(v.utf8),
                     headers: [RecordHeader(key: "i", value: [UInt8(i)])])
        }
        var built = try b.seal()
        built.setBaseOffset(baseOffset)
        built.setPartitionLeaderEpoch(2)
        return built.bytes
    }

    @Test(arguments: [CompressionType.gzip, .snappy, .lz4, .zstd])
    func decodesCompressedBatchesBesidePlainOnes(codec: CompressionType) throws {
        let bytes = try Self.batch(10, ["a", "b", "c"], codec: codec) + Self.batch(13, ["d"], codec: .none)
            + Self.batch(14, ["e", "f"], codec: codec)
        let decoded = try FetchDecoder.decode(bytes, topic: "t", partition: 0, fetchOffset: 11, checkCrcs: true)
        #expect(decoded.records.map(\.offset) == [11, 12, 13, 14, 15])
        #expect(decoded.records.map(\.text) == ["b", "c", "d", "e", "f"])
        #expect(decoded.records.map { String(decoding: $0.keyBytes ?? [], as: UTF8.self) } == ["k1", "k2", "k0", "k0", "k1"])
        #expect(decoded.records.map(\.timestamp) == [1_001, 1_002, 1_000, 1_000, 1_001])
        #expect(decoded.records.map(\.headers) == [[RecordHeader(key: "i", value: [1])], [RecordHeader(key: "i", value: [2])],
                                                   [RecordHeader(key: "i", value: [0])], [RecordHeader(key: "i", value: [0])],
                                                   [RecordHeader(key: "i", value: [1])]])
        #expect(decoded.records.allSatisfy { $0.leaderEpoch == 2 && $0.topic == "t" })
        #expect(decoded.nextOffset == 16)
    }

    @Test func corruptCompressedDataIsCorruptMessage() throws {
        var bytes = try Self.batch(0, ["hello", "world"], codec: .gzip)
        bytes[RecordBatchHeader.size + 12] ^= 0xFF
        var batch = try RecordBatch(bytes: bytes)
        batch.reseal()
        for checkCrcs in [true, false] {
            do {
                _ = try FetchDecoder.decode(batch.bytes, topic: "t", partition: 0, fetchOffset: 0, checkCrcs: checkCrcs)
                Issue.record("decoded a corrupt gzip batch")
            } catch {
                guard case let .broker(code, message) = error else { Issue.record("\(error)"); continue }
                #expect(code == .corruptMessage, "\(error)")
                #expect(message?.contains("gzip") == true, "\(error)")
            }
        }
    }
}

extension ConsumerClusterTests {
    /// A producer with compression.type and a consumer, through an in-process cluster: the
    /// broker stores the producer's batches as sent and the consumer decompresses them.
    @Suite struct CompressionRoundTripTests {
        @Test func producerCompressesAndConsumerDecompresses() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            let codecs: [CompressionType] = [.none, .gzip, .snappy, .lz4, .zstd]
            try await t.createTopic("c", partitions: Int32(codecs.count), replicationFactor: 2)
            for (p, codec) in codecs.enumerated() {
                var config = ProducerConfig()
                config.compressionType = codec.name
                config.lingerMs = 60_000
                config.requestTimeoutMs = 5_000
                let producer = try BytesProducer(config: config, transport: t.cluster.transport, bootstrapNodes: t.cluster.runningBrokers)
                for i in 0 ..< 50 {
                    try await producer.send(ProducerRecord(topic: "c", partition: Int32(p), key: Array("key-\(i % 7)".utf8),
                                                           value: Array("\(codec.name) record \(i) ".utf8) + Array(repeating: 0x2E, count: 100)),
                                            completion: { _ in })
                }
                await producer.flush()
                if codec != .none {
                    #expect(producer.metrics.bytesSent < 50 * 100, "\(codec.name): \(producer.metrics.bytesSent) bytes sent")
                }
                await producer.close()
                let fetched = try t.cluster.fetch(TopicPartition("c", Int32(p)), offset: 0, maxBytes: 1 << 20)
                let headers = try MemoryRecords.batches(in: fetched.records).map(\.header)
                #expect(headers.map { $0.attributes.compression } == [codec], "\(codec.name)")
                #expect(headers.first?.recordCount == 50 && headers.first?.isIdempotent == true)
            }
            let consumer = try t.consumer(group: nil)
            try await consumer.assign(codecs.indices.map { TopicPartition("c", Int32($0)) })
            let records = try await pollRecords(consumer, count: 50 * codecs.count)
            for (p, codec) in codecs.enumerated() {
                let mine = records.filter { $0.partition == Int32(p) }
                #expect(mine.map(\.offset) == (0 ..< 50).map { Int64($0) }, "\(codec.name)")
                #expect(mine.map { $0.text.split(separator: " ").prefix(3).joined(separator: " ") }
                    == (0 ..< 50).map { "\(codec.name) record \($0)" }, "\(codec.name)")
                #expect(mine.map { String(decoding: $0.keyBytes ?? [], as: UTF8.self) } == (0 ..< 50).map { "key-\($0 % 7)" })
            }
            await consumer.close()
        }
    }
}
