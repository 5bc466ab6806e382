@testable import EddyProtocol
import Testing

/// Control records and transaction markers, byte for byte as Kafka writes them
/// (`ControlRecordType`, `EndTransactionMarker`, `MemoryRecords.withEndTransactionMarker`).
@Suite struct ControlRecordTests {
    @Test func keysAreVersionThenType() throws {
        #expect(ControlRecordKey(.commit).encoded == [0, 0, 0, 1])
        #expect(ControlRecordKey(.abort).encoded == [0, 0, 0, 0])
        #expect(try ControlRecordKey(parsing: [0, 0, 0, 3]).kind == .snapshotHeader)
        // A newer version is read as this one; an unknown type has no kind.
        let future = try ControlRecordKey(parsing: [0, 1, 0, 1, 0xFF])
        #expect(future.version == 1 && future.kind == .commit)
        #expect(try ControlRecordKey(parsing: [0, 0, 0, 42]).kind == nil)
        #expect(throws: RecordBatchError.self) { try ControlRecordKey(parsing: [0, 0, 0]) }
        #expect(throws: RecordBatchError.self) { try ControlRecordKey(parsing: [0xFF, 0xFF, 0, 1]) }
    }

    @Test func markerValuesAreVersionThenCoordinatorEpoch() throws {
        let marker = EndTransactionMarker(committed: true, coordinatorEpoch: 0x0102_0304)
        #expect(marker.encodedValue == [0, 0, 1, 2, 3, 4])
        #expect(try EndTransactionMarker(key: ControlRecordKey(.commit), value: marker.encodedValue) == marker)
        let aborted = try #require(try EndTransactionMarker(key: ControlRecordKey(.abort), value: [0, 0, 0, 0, 0, 7]))
        #expect(!aborted.committed && aborted.coordinatorEpoch == 7)
        // Other control types are not markers; short or negative-version values are invalid.
        #expect(try EndTransactionMarker(key: ControlRecordKey(.leaderChange), value: [0, 0, 0, 0, 0, 0]) == nil)
        #expect(throws: RecordBatchError.self) { try EndTransactionMarker(key: ControlRecordKey(.commit), value: [0, 0, 0]) }
        #expect(throws: RecordBatchError.self) { try EndTransactionMarker(key: ControlRecordKey(.commit), value: nil) }
        #expect(throws: RecordBatchError.self) { try EndTransactionMarker(key: ControlRecordKey(.abort), value: [0x80, 0, 0, 0, 0, 0]) }
    }

    @Test func aMarkerBatchIsOneTransactionalControlRecordOfTheProducer() throws {
        let marker = EndTransactionMarker(committed: false, coordinatorEpoch: 5)
        let batch = marker.batch(baseOffset: 42, timestamp: 1_700_000_000_000, partitionLeaderEpoch: 3, producerId: 9_001, producerEpoch: 2)
        try batch.validate()
        let h = batch.header
        #expect(h.baseOffset == 42 && h.partitionLeaderEpoch == 3 && h.recordCount == 1 && h.lastOffsetDelta == 0)
        #expect(h.attributes.isControl && h.attributes.isTransactional && h.attributes.compression == CompressionType.none)
        #expect(h.producerId == 9_001 && h.producerEpoch == 2 && h.baseSequence == -1)
        #expect(h.maxTimestamp == 1_700_000_000_000)
        #expect(try EndTransactionMarker.parse(batch) == marker)
        // Bytes as Kafka lays them out: the record's key and value follow its varint header.
        let record = try #require(try batch.records().first)
        #expect(record.key == [0, 0, 0, 0] && record.value == [0, 0, 0, 0, 0, 5])
        // A data batch is not a marker.
        var data = RecordBatchBuilder(producerId: 9_001, producerEpoch: 2, baseSequence: 0)
        data.append(timestamp: 1, key: nil, value: [1])
        #expect(try EndTransactionMarker.parse(data.build()) == nil)
    }
}
