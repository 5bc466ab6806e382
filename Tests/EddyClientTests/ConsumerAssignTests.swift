import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// The consumer with user-assigned partitions (no group): poll, positions, seeks, pause and
    /// resume, offsetsForTimes, auto.offset.reset.
    @Suite struct ConsumerAssignTests {
        @Test func pollReturnsEveryRecordInOffsetOrderPerPartition() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 3)
            for round in 0 ..< 4 {
                for p in Int32(0) ..< 3 { try t.produce("t", partition: p, (0 ..< 5).map { "p\(p)-\(round * 5 + $0)" }) }
            }
            let c = try t.consumer(group: nil)
            defer { Task { await c.close() } }
            try await c.assign((0 ..< 3).map { TopicPartition("t", $0) })
            let records = try await pollRecords(c, count: 60)
            #expect(records.count == 60)
            for p in Int32(0) ..< 3 {
                let mine = records.filter { $0.partition == p }
                #expect(mine.map(\.offset) == (0 ..< 20).map(Int64.init))
                #expect(mine.map(\.text) == (0 ..< 20).map { "p\(p)-\($0)" })
            }
            #expect(try await c.position(TopicPartition("t", 1)) == 20)
            // Nothing more: a poll waits its timeout and returns nothing.
            #expect(try await c.poll(timeoutMs: 100).isEmpty)
        }

        @Test func maxPollRecordsLimitsEachPollAndTheRestFollows() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1, replicationFactor: 1)
            try t.produce("t", partition: 0, (0 ..< 25).map { "v\($0)" })
            var config = t.config(group: nil)
            config.maxPollRecords = 10
            let c = try Consumer(client: t.client(), config: config)
            defer { Task { await c.close() } }
            try await c.assign([TopicPartition("t", 0)])
            var sizes: [Int] = []
            var all: [ConsumerRecord] = []
            while all.count < 25 {
                let batch = try await c.poll(timeoutMs: 1_000)
                try #require(!batch.isEmpty)
                sizes.append(batch.count)
                all += batch
            }
            #expect(sizes.allSatisfy { $0 <= 10 })
            #expect(all.map(\.offset) == (0 ..< 25).map(Int64.init))
        }

        @Test func recordFieldsComeThrough() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1, replicationFactor: 1)
            try t.produce("t", partition: 0, ["a", "b"], keys: ["k1", nil], timestamp: 1_000,
                          headers: [RecordHeader(key: "h", value: [1, 2]), RecordHeader(key: "n", value: nil)])
            let c = try t.consumer(group: nil)
            defer { Task { await c.close() } }
            try await c.assign([TopicPartition("t", 0)])
            let r = try await pollRecords(c, count: 2)
            try #require(r.count == 2)
            #expect(r[0].topic == "t" && r[0].partition == 0 && r[0].offset == 0 && r[0].timestamp == 1_000)
            #expect(r[0].timestampType == .createTime)
            #expect(r[0].key == Array("k1".utf8) && r[0].value == Array("a".utf8))
            #expect(try r[0].key(StringDeserializer()) == "k1")
            #expect(r[1].key == nil && r[1].serializedKeySize == -1 && r[1].serializedValueSize == 1)
            #expect(r[1].timestamp == 1_001)
            #expect(r[0].headers == [RecordHeader(key: "h", value: [1, 2]), RecordHeader(key: "n", value: nil)])
            #expect(r[0].leaderEpoch != nil)
        }

        @Test func seekSeekToBeginningAndSeekToEnd() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2, replicationFactor: 1)
            try t.produce("t", partition: 0, (0 ..< 10).map { "a\($0)" })
            let tp = TopicPartition("t", 0)
            let c = try t.consumer(group: nil, reset: .latest)
            defer { Task { await c.close() } }
            try await c.assign([tp])
            // auto.offset.reset=latest: the position starts at the end.
            #expect(try await c.position(tp) == 10)
            try c.seek(tp, offset: 7)
            #expect(try await pollRecords(c, count: 3).map(\.offset) == [7, 8, 9])
            try c.seekToBeginning([tp])
            #expect(try await c.position(tp) == 0)
            #expect(try await pollRecords(c, count: 10).map(\.offset) == Array(0 ..< 10))
            try c.seekToEnd()
            try t.produce("t", partition: 0, ["after"])
            #expect(try await c.position(tp) == 11)
            try c.seek(tp, offset: 10)
            #expect(try await pollRecords(c, count: 1).map(\.text) == ["after"])
            #expect(throws: ClientError.self) { try c.seek(TopicPartition("t", 1), offset: 0) }
            #expect(throws: ClientError.self) { try c.seek(tp, offset: -1) }
        }

        @Test func pausedPartitionsReturnNothingUntilResumed() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2, replicationFactor: 1)
            try t.produce("t", partition: 0, ["a0", "a1"])
            try t.produce("t", partition: 1, ["b0", "b1"])
            let c = try t.consumer(group: nil)
            defer { Task { await c.close() } }
            let p0 = TopicPartition("t", 0), p1 = TopicPartition("t", 1)
            try await c.assign([p0, p1])
            try c.pause([p1])
            #expect(c.paused() == [p1])
            let first = try await pollRecords(c, count: 2)
            #expect(first.map(\.text) == ["a0", "a1"])
            // Only the paused partition has records: polls come back empty.
            for _ in 0 ..< 3 { #expect(try await c.poll(timeoutMs: 60).isEmpty) }
            #expect(try await c.position(p1) == 0)
            try c.resume([p1])
            #expect(c.paused().isEmpty)
            #expect(try await pollRecords(c, count: 2).map(\.text) == ["b0", "b1"])
            #expect(throws: ClientError.self) { try c.pause([TopicPartition("t", 9)]) }
        }

        @Test func offsetsForTimesBeginningAndEndOffsets() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1, replicationFactor: 1)
            let tp = TopicPartition("t", 0)
            try t.produce("t", partition: 0, ["a", "b", "c"], timestamp: 10_000)   // timestamps 10000...10002
            try t.produce("t", partition: 0, ["d", "e"], timestamp: 20_000)        // 20000, 20001
            let c = try t.consumer(group: nil)
            defer { Task { await c.close() } }
            let found = try await c.offsetsForTimes([tp: 10_001])
            #expect(found[tp]??.offset == 1)
            #expect(found[tp]??.timestamp == 10_001)
            #expect(try await c.offsetsForTimes([tp: 15_000])[tp]??.offset == 3)
            let none = try await c.offsetsForTimes([tp: 30_000])
            #expect(none.keys.contains(tp) && none[tp]! == nil)
            #expect(try await c.beginningOffsets([tp]) == [tp: 0])
            #expect(try await c.endOffsets([tp]) == [tp: 5])
            await #expect(throws: ClientError.self) { try await c.offsetsForTimes([tp: -5]) }
            // Seeking to the found offset reads from there.
            try await c.assign([tp])
            try c.seek(tp, offset: 3)
            #expect(try await pollRecords(c, count: 2).map(\.text) == ["d", "e"])
        }

        @Test func autoOffsetResetEarliestLatestAndNone() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1, replicationFactor: 1)
            let tp = TopicPartition("t", 0)
            try t.produce("t", partition: 0, ["old0", "old1"])
            let earliest = try t.consumer(group: nil, reset: .earliest)
            let latest = try t.consumer(group: nil, reset: .latest)
            let none = try t.consumer(group: nil, reset: .none)
            defer { for c in [earliest, latest, none] { Task { await c.close() } } }
            for c in [earliest, latest, none] { try await c.assign([tp]) }
            #expect(try await c0Position(latest, tp) == 2)
            try t.produce("t", partition: 0, ["new"])
            #expect(try await pollRecords(earliest, count: 3).map(\.text) == ["old0", "old1", "new"])
            #expect(try await pollRecords(latest, count: 1).map(\.text) == ["new"])
            await #expect(throws: ClientError.noOffsetForPartition(tp)) { _ = try await none.poll(timeoutMs: 100) }
            // With an explicit position, none reads; out of range then fails instead of resetting.
            try none.seek(tp, offset: 1)
            #expect(try await pollRecords(none, count: 2).map(\.text) == ["old1", "new"])
            try none.seek(tp, offset: 50)
            await #expect(throws: ClientError.offsetOutOfRange(tp, offset: 50)) {
                for _ in 0 ..< 100 { _ = try await none.poll(timeoutMs: 20) }
            }
            // earliest resets an out-of-range position to the start.
            try earliest.seek(tp, offset: 50)
            #expect(try await pollRecords(earliest, count: 3).map(\.text) == ["old0", "old1", "new"])
        }

        private func c0Position(_ c: Consumer, _ tp: TopicPartition) async throws -> Int64 { try await c.position(tp) }

        @Test func usageErrorsAreTyped() async throws {
            let t = try ConsumerTestCluster(brokers: 1)
            defer { t.shutdown() }
            let c = try t.consumer(group: nil)
            await #expect(throws: ClientError.self) { _ = try await c.poll(timeoutMs: 0) }
            await #expect(throws: ClientError.self) { try await c.subscribe(topics: ["t"]) }
            await #expect(throws: ClientError.self) { try await c.commitSync() }
            try await c.assign([TopicPartition("t", 0)])
            await #expect(throws: ClientError.self) { try await c.position(TopicPartition("t", 1)) }
            await c.close()
            await #expect(throws: ClientError.closed("This consumer has already been closed.")) { _ = try await c.poll(timeoutMs: 0) }
            await c.close()
        }
    }
}
