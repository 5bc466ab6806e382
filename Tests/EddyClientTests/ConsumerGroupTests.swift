import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// A consumer as a group member: subscribing, committed offsets, auto-commit, the live
    /// registry, static membership.
    @Suite struct ConsumerGroupTests {
        @Test func aSingleMemberGetsEveryPartitionAndCommitsWhatItRead() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 3)
            for p in Int32(0) ..< 3 { try t.produce("t", partition: p, (0 ..< 4).map { "p\(p)-\($0)" }) }
            let listener = RecordingListener()
            let c = try t.consumer(group: "g", autoCommit: false)
            try await c.subscribe(topics: ["t"], listener: listener)
            let records = try await pollRecords(c, count: 12)
            #expect(Set(records.map(\.text)).count == 12)
            #expect(c.assignment() == Set((0 ..< 3).map { TopicPartition("t", $0) }))
            #expect(listener.events == [.assigned((0 ..< 3).map { TopicPartition("t", $0) })])
            let metadata = try #require(c.groupMetadata())
            #expect(metadata.generationId >= 1 && !metadata.memberId.isEmpty)
            try await c.commitSync()
            let committed = try await c.committed(Set((0 ..< 3).map { TopicPartition("t", $0) }))
            #expect(committed.mapValues(\.offset) == [TopicPartition("t", 0): 4, TopicPartition("t", 1): 4, TopicPartition("t", 2): 4])
            await c.close()
            #expect(listener.events.last == .revoked((0 ..< 3).map { TopicPartition("t", $0) }))

            // A later member of the group continues after the commits.
            for p in Int32(0) ..< 3 { try t.produce("t", partition: p, ["p\(p)-new"]) }
            let d = try t.consumer(group: "g", autoCommit: false)
            try await d.subscribe(topics: ["t"])
            let rest = try await pollRecords(d, count: 3)
            #expect(Set(rest.map(\.text)) == ["p0-new", "p1-new", "p2-new"])
            #expect(rest.allSatisfy { $0.offset == 4 })
            await d.close()
        }

        @Test func explicitCommitsAndCommitAsync() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            try t.produce("t", partition: 0, (0 ..< 10).map { "v\($0)" })
            let tp = TopicPartition("t", 0)
            let c = try t.consumer(group: "g", autoCommit: false)
            try await c.subscribe(topics: ["t"])
            _ = try await pollRecords(c, count: 10)
            try await c.commitSync([tp: OffsetAndMetadata(3, metadata: "three")])
            let got = try await c.committed([tp])[tp]
            #expect(got?.offset == 3 && got?.metadata == "three")
            let done = AsyncFlag()
            c.commitAsync([tp: OffsetAndMetadata(7)]) { result in
                if case .success = result { done.set() }
            }
            try await waitUntil("the async commit completes") { done.isSet }
            #expect(try await c.committed([tp])[tp]?.offset == 7)
            await c.close()
        }

        @Test func autoCommitCommitsReturnedRecordsAndOnClose() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            try t.produce("t", partition: 0, (0 ..< 5).map { "a\($0)" })
            try t.produce("t", partition: 1, (0 ..< 3).map { "b\($0)" })
            var config = t.config(group: "g")
            config.autoCommitIntervalMs = 50
            let c = try Consumer(client: t.client(), config: config)
            #expect(c.config.autoCommitEnabled)
            try await c.subscribe(topics: ["t"])
            _ = try await pollRecords(c, count: 8)
            let p0 = TopicPartition("t", 0), p1 = TopicPartition("t", 1)
            var committed: [TopicPartition: Int64] = [:]
            let deadline = Date().addingTimeInterval(20)
            while committed != [p0: 5, p1: 3], Date() < deadline {
                _ = try await c.poll(timeoutMs: 20)
                committed = try await c.committed([p0, p1]).mapValues(\.offset)
            }
            #expect(committed == [p0: 5, p1: 3])
            // Records returned by the last poll are committed by close.
            try t.produce("t", partition: 1, ["b3", "b4"])
            _ = try await pollRecords(c, count: 2)
            await c.close()
            let reader = try t.consumer(group: "g", autoCommit: false)
            #expect(try await reader.committed([p0, p1]).mapValues(\.offset) == [p0: 5, p1: 5])
            await reader.close()
        }

        @Test func withoutACommittedOffsetAutoOffsetResetNoneFails() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 1)
            try t.produce("t", partition: 0, ["a"])
            let c = try t.consumer(group: "g", autoCommit: false, reset: .none)
            try await c.subscribe(topics: ["t"])
            let tp = TopicPartition("t", 0)
            await #expect(throws: ClientError.noOffsetForPartition(tp)) {
                for _ in 0 ..< 2_000 { _ = try await c.poll(timeoutMs: 10) }
            }
            // Once the group has an offset, none reads from it.
            try await c.commitSync([tp: OffsetAndMetadata(0)])
            #expect(try await pollRecords(c, count: 1).map(\.text) == ["a"])
            await c.close()
        }

        @Test func unsubscribingLeavesTheGroupAndTheOthersTakeOver() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            let partitions = Set((0 ..< Int32(2)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", autoCommit: false), tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", autoCommit: false), tracker: tracker)
            try await a.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            let owned = a.consumer.assignment()
            await a.stop()
            await a.consumer.unsubscribe()
            #expect(a.consumer.assignment().isEmpty && a.consumer.subscription().isEmpty)
            #expect(a.events.events.last == .revoked(owned.sorted()))
            try await waitSettled([b], partitions)
            await #expect(throws: ClientError.self) { _ = try await a.consumer.poll(timeoutMs: 0) }
            #expect(tracker.violations.isEmpty, "\(tracker.violations)")
            await a.consumer.close()
            await b.close()
        }

        @Test func liveRegistryReportsMembershipAssignmentAndPositions() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            try t.produce("t", partition: 0, (0 ..< 5).map { "a\($0)" })
            let c = try t.consumer(group: "g", autoCommit: false, clientId: "reader")
            try await c.subscribe(topics: ["t"])
            _ = try await pollRecords(c, count: 5)
            let states = t.liveConsumers.snapshot(groupId: "g")
            try #require(states.count == 1)
            let s = states[0]
            #expect(s.groupId == "g" && s.clientId == c.clientId && s.memberId == c.groupMetadata()?.memberId)
            #expect(Set(s.assignment) == [TopicPartition("t", 0), TopicPartition("t", 1)])
            #expect(s.positions[TopicPartition("t", 0)] == 5)
            #expect(s.lastPollMs > 0)
            #expect(t.liveConsumers.snapshot(groupId: "other").isEmpty)
            await c.close()
            #expect(t.liveConsumers.snapshot(groupId: nil).isEmpty)
        }
    }
}

/// A flag set from a callback and read by the test.
final class AsyncFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
