import EddyProtocol
import Testing
@testable import EddyClient

/// ConsumerRecord's fields over its shared bytes, and the deserializers.
@Suite struct ConsumerRecordTests {
    private struct Order: Codable, Equatable {
        var id: Int
        var item: String
    }

    @Test func fieldsKeysValuesAndHeadersRoundTrip() throws {
        let headers = [RecordHeader(key: "trace", value: [1, 2, 3]), RecordHeader(key: "empty", value: nil), RecordHeader(key: "z", value: [])]
        let r = ConsumerRecord(topic: "t", partition: 2, offset: 9, timestamp: 77, timestampType: .logAppendTime,
                               key: Array("k".utf8), value: Array("value".utf8), headers: headers, leaderEpoch: 4)
        #expect(r.topic == "t" && r.partition == 2 && r.offset == 9 && r.timestamp == 77 && r.leaderEpoch == 4)
        #expect(r.topicPartition == TopicPartition("t", 2) && r.timestampType == .logAppendTime)
        #expect(r.key == Array("k".utf8) && r.value == Array("value".utf8))
        #expect(r.serializedKeySize == 1 && r.serializedValueSize == 5)
        #expect(r.headers == headers)
        r.withRecordView { view in
            #expect(view.key.map { Array($0) } == Array("k".utf8))
            #expect(view.value.map { Array($0) } == Array("value".utf8))
            #expect(view.headerCount == 3)
        }
        let tombstone = ConsumerRecord(topic: "t", partition: 0, offset: 0, timestamp: 0, key: nil, value: nil)
        #expect(tombstone.key == nil && tombstone.value == nil && tombstone.serializedValueSize == -1 && tombstone.headers.isEmpty)
        #expect(try tombstone.value(StringDeserializer()) == nil)
        #expect(r == ConsumerRecord(topic: "t", partition: 2, offset: 9, timestamp: 77, timestampType: .logAppendTime,
                                    key: Array("k".utf8), value: Array("value".utf8), headers: headers, leaderEpoch: 4))
        #expect(r != tombstone)
    }

    @Test func deserializers() throws {
        func record(_ value: [UInt8]) -> ConsumerRecord {
            ConsumerRecord(topic: "t", partition: 0, offset: 0, timestamp: 0, key: nil, value: value)
        }
        #expect(try record(Array("héllo".utf8)).value(StringDeserializer()) == "héllo")
        #expect(try record([0xFF, 0x41]).value(StringDeserializer()) == "\u{FFFD}A")
        #expect(try record([1, 2]).value(BytesDeserializer()) == [1, 2])
        #expect(try record([0, 0, 0, 0, 0, 0, 1, 2]).value(Int64Deserializer()) == 258)
        #expect(try record([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]).value(Int64Deserializer()) == -2)
        #expect(throws: ClientError.self) { _ = try record([1]).value(Int64Deserializer()) }
        #expect(try record(Array(#"{"id":7,"item":"tea"}"#.utf8)).value(JSONDeserializer<Order>()) == Order(id: 7, item: "tea"))
        #expect(throws: ClientError.self) { _ = try record(Array("{".utf8)).value(JSONDeserializer<Order>()) }
    }
}
