import EddyProtocol
@testable import EddyStorage
import Foundation
import Testing

/// A compacted topic refuses a record without a key inside a compressed batch, as inside an
/// uncompressed one (INVALID_RECORD, nothing appended). The batch is one a real client wrote:
/// librdkafka's gzip batch of Fixtures/compressed, whose second record has no key.
@Suite struct CompactedKeyCompressedTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EddyProtocolTests/Fixtures/compressed")

    static func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtures.appendingPathComponent("\(name).bin")))
    }

    @Test(arguments: ["confluent-kafka-gzip", "confluent-kafka-snappy", "confluent-kafka-lz4", "confluent-kafka-zstd",
                      "kafka-python-gzip"])
    func keylessRecordInACompressedBatchIsInvalidRecord(fixture: String) throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let log = try openLog(dir, config: config(["cleanup.policy": "compact"]))
        defer { try? log.close() }
        let batch = try Self.fixture(fixture)
        #expect {
            try log.append(batch)
        } throws: { error in
            guard let e = error as? StorageError, case let .recordRejected(why) = e else { return false }
            return e.kafkaErrorName == "INVALID_RECORD" && why.contains("without key")
        }
        #expect(log.logEndOffset == 0)
        // The same batch is fine on a topic that is not compacted.
        let otherDir = TempDir()
        defer { otherDir.cleanup() }
        let plain = try openLog(otherDir, config: LogConfig())
        defer { try? plain.close() }
        #expect(try plain.append(batch).lastOffset == 2)
    }
}
