import EddyProtocol
@testable import EddyStorage
import Testing

/// Compacted topics reject records without a key at append time.
@Suite struct CleanerValidationTests {
    typealias F = CleanerFixtures
    let tp = TopicPartition("c", 1)

    @Test func acceptsKeyedRecords() throws {
        let bytes = F.batch(0, [.kv("a", "1", ts: 1), .kv("", nil, ts: 2)]) + F.batch(2, [.kv("b", "2", ts: 3)])
        try CompactedTopicValidation.validateKeys(bytes, topicPartition: tp)
    }

    @Test func rejectsARecordWithoutKeyAsInvalidRecord() {
        let bytes = F.batch(0, [.kv("a", "1", ts: 1)]) + F.batch(1, [.kv("b", "1", ts: 2), .kv(nil, "2", ts: 3)])
        #expect {
            try CompactedTopicValidation.validateKeys(bytes, topicPartition: tp)
        } throws: { error in
            guard let e = error as? StorageError, case let .recordRejected(why) = e else { return false }
            return e.kafkaErrorName == "INVALID_RECORD" && why.contains("without key") && why.contains("c-1")
        }
    }

    @Test func skipsControlBatches() throws {
        try CompactedTopicValidation.validateKeys(F.batch(0, [.kv(nil, nil, ts: 1)], attributes: RecordBatchAttributes(isControl: true)),
                                                  topicPartition: tp)
    }

    @Test func rejectsBatchesItCannotDecodeOrParse() throws {
        var raw = F.batch(0, [.kv("a", "1", ts: 1)])
        raw[RecordBatchHeader.attributesOffset + 1] |= CompressionType.lz4.rawValue
        #expect(throws: StorageError.self) { try CompactedTopicValidation.validateKeys(raw, topicPartition: tp) }
        let truncated = Array(F.batch(0, [.kv("a", "1", ts: 1)]).dropLast(2))
        #expect {
            try CompactedTopicValidation.validateKeys(truncated, topicPartition: tp)
        } throws: { error in
            if case .invalidRecord = error as? StorageError { return true }
            return false
        }
    }
}
