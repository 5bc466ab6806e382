import EddyBroker
import EddyClient
import EddyProtocol
import Foundation
import Testing
@testable import EddyConsole

/// The Messages view's reader shows the records of compressed batches like any others.
@Suite struct CompressedMessagesTests {
    @Test func messagesPageShowsRecordsOfCompressedBatches() async throws {
        let c = try ConsoleTestCluster()
        defer { c.shutdown() }
        try c.cluster.createTopic("zipped", partitions: 1, replicationFactor: 1)
        let tp = TopicPartition("zipped", 0)
        for (round, codec) in ["gzip", "snappy", "lz4", "zstd"].enumerated() {
            var config = ProducerConfig()
            config.compressionType = codec
            config.lingerMs = 60_000
            let producer = try BytesProducer(config: config, client: c.client)
            for i in 0 ..< 5 {
                try await producer.send(ProducerRecord(topic: tp.topic, partition: 0, key: Array("\(codec)-\(i)".utf8),
                                                       value: Array("{\"round\":\(round),\"i\":\(i)}".utf8),
                                                       headers: [RecordHeader(key: "codec", value: Array(codec.utf8))]),
                                        completion: { _ in })
            }
            await producer.flush()
            await producer.close()
        }
        try await c.eventually("every record to be committed") {
            (try await c.admin.listOffsets([tp], .latest)[tp] ?? 0) == 20
        }
        let page = try await MessagesReader(admin: c.admin).read(MessagesQuery(topicPartition: tp, start: .offset(3), limit: 10))
        #expect(page.records.map(\.offset) == Array(3 ..< 13))
        #expect(page.records.map { String(decoding: $0.key ?? [], as: UTF8.self) }
            == ["gzip-3", "gzip-4"] + (0 ..< 5).map { "snappy-\($0)" } + (0 ..< 3).map { "lz4-\($0)" })
        #expect(page.records[2].value == Array("{\"round\":1,\"i\":0}".utf8))
        #expect(page.records[9].headers == [RecordHeader(key: "codec", value: Array("lz4".utf8))])
        let latest = try await MessagesReader(admin: c.admin).read(MessagesQuery(topicPartition: tp, start: .latest, limit: 2))
        #expect(latest.records.map { String(decoding: $0.key ?? [], as: UTF8.self) } == ["zstd-3", "zstd-4"])
    }
}
