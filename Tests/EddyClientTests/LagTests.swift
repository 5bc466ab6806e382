import EddyBroker
@testable import EddyClient
import EddyProtocol
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Burrow's rules per partition over a window of commits, on an injected clock; lag, lost
/// records and time lag per row; and `LagTracker` on a real cluster, reading commits from
/// `__consumer_offsets` (or sampling OffsetFetch where it may not).
struct LagStatusTests {
    /// A window of commits (offset, lag), one every 10 s from t = 0.
    static func window(_ commits: [(Int64, Int64)], capacity: Int = 10) -> CommitWindow {
        var w = CommitWindow(capacity: capacity, minDistanceMs: 1_000)
        for (i, c) in commits.enumerated() { w.record(CommitObservation(offset: c.0, timestampMs: Int64(i) * 10_000, lag: c.1)) }
        return w
    }

    @Test func okWhenAnyLagInTheWindowWasZero() {
        // Even with the offset going backwards: lag 0 wins, as in Burrow.
        #expect(Self.window([(10, 5), (20, 0), (15, 7)]).status(nowMs: 25_000, currentLag: 7) == .ok)
        // No lag now: OK whatever the window says, even a single commit long ago.
        #expect(Self.window([(10, 9)]).status(nowMs: 1_000_000, currentLag: 0) == .ok)
        #expect(CommitHistory().status(group: "g", TopicPartition("t", 0), nowMs: 5, currentLag: 0) == .ok)
    }

    @Test func stopEvenIfTheConsumerWasCaughtUpOnce() {
        // Caught up (lag 0 at both commits), then it died while records kept coming: STOP, not
        // OK (Burrow checks STOP before the lag-0 rule).
        let w = Self.window([(10, 0), (20, 0)])
        #expect(w.status(nowMs: 20_000, currentLag: 30) == .ok)
        #expect(w.status(nowMs: 30_000, currentLag: 30) == .stop)
        // Caught up and idle on a quiet topic: OK however long it has been.
        #expect(w.status(nowMs: 3_600_000, currentLag: 0) == .ok)
    }

    @Test func rewindWhenTheCommittedOffsetWentBackwards() {
        #expect(Self.window([(10, 5), (20, 6), (15, 12)]).status(nowMs: 25_000, currentLag: 12) == .rewind)
    }

    @Test func stopWhenNoCommitCameForLongerThanTheWindow() {
        let w = Self.window([(10, 5), (20, 4), (30, 3)])  // spans 20 s, last commit at 20 s
        #expect(w.status(nowMs: 40_000, currentLag: 3) == .ok)
        #expect(w.status(nowMs: 40_001, currentLag: 3) == .stop)
    }

    @Test func stallWhenCommitsStopMovingWithLag() {
        #expect(Self.window([(10, 5), (10, 8), (10, 9)]).status(nowMs: 25_000, currentLag: 9) == .stall)
    }

    @Test func warnWhenTheLagNeverDecreased() {
        #expect(Self.window([(10, 5), (20, 5), (30, 9)]).status(nowMs: 25_000, currentLag: 9) == .warn)
        #expect(Self.window([(10, 5), (20, 6), (30, 4)]).status(nowMs: 25_000, currentLag: 4) == .ok)
    }

    @Test func oneCommitWithLagHasNoStatusYet() {
        #expect(Self.window([(10, 5)]).status(nowMs: 5_000, currentLag: 5) == nil)
        #expect(CommitWindow().status(nowMs: 0, currentLag: nil) == nil)
    }

    @Test func theWindowKeepsTheLastCommitsAtLeastMinDistanceApart() {
        var w = CommitWindow(capacity: 3, minDistanceMs: 1_000)
        for (t, o) in [(0, 1), (2_000, 2), (2_100, 3), (2_200, 4), (4_000, 5), (6_000, 6)] as [(Int64, Int64)] {
            w.record(CommitObservation(offset: o, timestampMs: t, lag: 1))
        }
        #expect(w.commits.map(\.offset) == [4, 5, 6])
        // Out of order: ignored.
        w.record(CommitObservation(offset: 99, timestampMs: 5_000, lag: 1))
        #expect(w.commits.map(\.offset) == [4, 5, 6])
    }

    @Test func severityOrderAndNames() {
        #expect(LagStatus.allCases.sorted() == [.ok, .warn, .stop, .stall, .rewind])
        #expect([LagStatus.warn, .ok, .stall].max() == .stall)
        #expect(LagStatus(name: "stall") == .stall && LagStatus(name: "ERR") == nil)
    }

    @Test func lagCountsOnlyRecordsThatStillExist() {
        let tp = TopicPartition("t", 0)
        let lost = GroupPositions.Row(topicPartition: tp, logStartOffset: 100, highWatermark: 150, committedOffset: 40,
                                      committedRecordTimestampMs: 1_000)
        #expect(lost.lag == 50 && lost.lost == 60)
        #expect(lost.timeLagMs(nowMs: 61_000) == 60_000)
        let fine = GroupPositions.Row(topicPartition: tp, logStartOffset: 100, highWatermark: 150, committedOffset: 150)
        #expect(fine.lag == 0 && fine.lost == nil && fine.timeLagMs(nowMs: 5) == 0)
        let unknown = GroupPositions.Row(topicPartition: tp, logStartOffset: 0, highWatermark: 10, committedOffset: 3)
        #expect(unknown.timeLagMs(nowMs: 5) == nil)
    }
}

@Suite(.serialized) struct LagTrackerTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        let ms = NIOLockedValueBox<Int64>(1_000_000)
        func advance(_ by: Int64) { ms.withLockedValue { $0 += by } }
    }

    static func rows(_ t: AdminTestCluster, _ group: String) async throws -> [String: [GroupPositions.Row]] {
        [group: try await t.admin.groupPositions(group).rows]
    }

    static let tp = TopicPartition("orders", 0)

    /// A cluster with `orders-0` holding 10 records (timestamps base + i).
    static func cluster() async throws -> AdminTestCluster {
        let t = try AdminTestCluster()
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 1))
        try await t.produce(tp, count: 10)
        return t
    }

    @Test func statusesFromConsumerOffsetsAndTimeLagFromTheRecord() async throws {
        let t = try await Self.cluster()
        defer { t.shutdown() }
        let tp = Self.tp
        let clock = Clock()
        let tracker = LagTracker(admin: t.admin, minDistanceMs: 0, now: { clock.ms.withLockedValue { $0 } })
        // The group commits 2, then 2 again later: stuck with lag (STALL), from the commit log.
        try await t.admin.alterConsumerGroupOffsets("stuck", [tp: OffsetAndMetadata(2)])
        var annotated = await tracker.annotate(try await Self.rows(t, "stuck"))
        #expect(await tracker.source == .offsetsTopic)
        let first = try #require(annotated["stuck"]?.first)
        #expect(first.lag == 8)
        // The record at offset 2 carries timestamp base + 2 (AdminTestCluster.produce).
        #expect(first.committedRecordTimestampMs == 1_700_000_000_002)
        // Commits made after the tracker started are read; two identical ones with lag: STALL.
        for _ in 0 ..< 2 {
            try await t.admin.alterConsumerGroupOffsets("stuck", [tp: OffsetAndMetadata(2)])
        }
        try await waitFor("two commits in the window") {
            annotated = await tracker.annotate(try await Self.rows(t, "stuck"))
            return await tracker.history.window(group: "stuck", tp)?.commits.count ?? 0 >= 2
        }
        // The commit timestamps are the coordinator's (the wall clock); judge at the last one
        // (the two may be within a millisecond: a window spanning 0 ms).
        let last = try #require(await tracker.history.window(group: "stuck", tp)?.commits.last?.timestampMs)
        clock.ms.withLockedValue { $0 = last }
        annotated = await tracker.annotate(try await Self.rows(t, "stuck"))
        #expect(annotated["stuck"]?.first?.status == .stall)
        // Long after, with no commit: STOP.
        clock.advance(3_600_000)
        annotated = await tracker.annotate(try await Self.rows(t, "stuck"))
        #expect(annotated["stuck"]?.first?.status == .stop)
        // Caught up: OK.
        try await t.admin.alterConsumerGroupOffsets("stuck", [tp: OffsetAndMetadata(10)])
        try await waitFor("the caught-up commit") {
            annotated = await tracker.annotate(try await Self.rows(t, "stuck"))
            return annotated["stuck"]?.first?.status == .ok
        }
        #expect(annotated["stuck"]?.first?.timeLagMs(nowMs: clock.ms.withLockedValue { $0 }) == 0)
        await tracker.close()
    }

    /// A new cluster has no `__consumer_offsets` until its first commit: commits are sampled
    /// until then, and the topic is looked for again (every 10 s) and read once it exists.
    @Test func theCommitLogIsReadOnceItAppears() async throws {
        let t = try await Self.cluster()
        defer { t.shutdown() }
        let clock = Clock()
        let tracker = LagTracker(admin: t.admin, now: { clock.ms.withLockedValue { $0 } })
        _ = await tracker.annotate([:])
        #expect(await tracker.source == .sampling)
        try await t.admin.alterConsumerGroupOffsets("g", [Self.tp: OffsetAndMetadata(2)])
        clock.advance(5_000)
        _ = await tracker.annotate(try await Self.rows(t, "g"))
        #expect(await tracker.source == .sampling, "not looked for again before 10 s")
        clock.advance(5_000)
        _ = await tracker.annotate(try await Self.rows(t, "g"))
        #expect(await tracker.source == .offsetsTopic)
        await tracker.close()
    }

    @Test func samplingWhereTheCommitLogIsNotRead() async throws {
        let t = try await Self.cluster()
        defer { t.shutdown() }
        let tp = Self.tp
        let clock = Clock()
        let tracker = LagTracker(admin: t.admin, readOffsetsTopic: false, now: { clock.ms.withLockedValue { $0 } })
        for offset in [2, 3, 5] as [Int64] {
            try await t.admin.alterConsumerGroupOffsets("g", [tp: OffsetAndMetadata(offset)])
            _ = await tracker.annotate(try await Self.rows(t, "g"))
            clock.advance(10_000)
        }
        #expect(await tracker.source == .sampling)
        #expect(await tracker.history.window(group: "g", tp)?.commits.map(\.offset) == [2, 3, 5])
        // Lag fell each time: OK; a rewind is seen as one.
        let ok = await tracker.annotate(try await Self.rows(t, "g"))
        #expect(ok["g"]?.first?.status == .ok)
        try await t.admin.alterConsumerGroupOffsets("g", [tp: OffsetAndMetadata(1)])
        let rewound = await tracker.annotate(try await Self.rows(t, "g"))
        #expect(rewound["g"]?.first?.status == .rewind)
        await tracker.close()
    }
}

/// Polls `condition` until it holds, failing after `timeoutMs`.
private func waitFor(_ what: String, timeoutMs: Int64 = 10_000, _ condition: () async throws -> Bool) async throws {
    let deadline = ClientTime.monotonicMs() + timeoutMs
    while try await !condition() {
        guard ClientTime.monotonicMs() < deadline else { throw TestFailure("timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Review fixes: the high watermark a commit's lag is measured against, and time lags for more
/// partitions than one Fetch carries.
@Suite(.serialized) struct LagTrackerDetailTests {
    @Test func aCommitIsMeasuredAgainstTheHighWatermarkOfItsTime() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let clock = LagTrackerTests.Clock()
        let tracker = LagTracker(admin: t.admin, readOffsetsTopic: false, now: { clock.ms.withLockedValue { $0 } })
        let tp = TopicPartition("t", 0)
        func row(hw: Int64) -> [String: [GroupPositions.Row]] {
            ["g": [GroupPositions.Row(topicPartition: tp, logStartOffset: 0, logEndOffset: hw, highWatermark: hw, committedOffset: 0)]]
        }
        let t0 = clock.ms.withLockedValue { $0 }
        _ = await tracker.annotate(row(hw: 10))
        clock.advance(5_000)
        _ = await tracker.annotate(row(hw: 20))
        #expect(await tracker.highWatermark(of: tp, at: t0 - 1) == 10, "older than every sample: the oldest")
        #expect(await tracker.highWatermark(of: tp, at: t0 + 4_999) == 10)
        #expect(await tracker.highWatermark(of: tp, at: t0 + 5_000) == 20)
        #expect(await tracker.highWatermark(of: TopicPartition("t", 1), at: t0) == nil)
        // A group that is gone is forgotten.
        _ = await tracker.annotate([:])
        #expect(await tracker.history.windows.isEmpty)
        await tracker.close()
    }

    /// The time lag of a group that does not move costs nothing after its first sample: the
    /// record's timestamp is kept while a group reads it next. Two groups at different offsets
    /// of one partition get each its own record's timestamp.
    @Test func recordTimestampsAreFetchedOncePerRecord() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let tp = TopicPartition("orders", 0)
        try await t.admin.createTopic(.init(name: "orders", numPartitions: 1, replicationFactor: 1))
        try await t.produce(tp, count: 10)
        let counting = CountingTransport(t.cluster.transport)
        let client = KafkaClient(transport: counting, bootstrapNodes: t.cluster.runningBrokers, clientId: "count", requestTimeoutMs: 5_000)
        defer { client.close() }
        let clock = LagTrackerTests.Clock()
        let tracker = LagTracker(admin: Admin(client: client, config: AdminConfig(defaultApiTimeoutMs: 10_000)), readOffsetsTopic: false,
                                 now: { clock.ms.withLockedValue { $0 } })
        func rows(_ a: Int64, _ b: Int64, hw: Int64 = 10) -> [String: [GroupPositions.Row]] {
            func row(_ c: Int64) -> [GroupPositions.Row] {
                [GroupPositions.Row(topicPartition: tp, logStartOffset: 0, logEndOffset: hw, highWatermark: hw, committedOffset: c)]
            }
            return ["a": row(a), "b": row(b)]
        }
        var annotated = await tracker.annotate(rows(2, 5))
        // AdminTestCluster.produce: the record at offset i has timestamp base + i.
        #expect(annotated["a"]?.first?.committedRecordTimestampMs == 1_700_000_000_002)
        #expect(annotated["b"]?.first?.committedRecordTimestampMs == 1_700_000_000_005)
        #expect(counting.take()[.fetch, default: 0] == 2, "one round per offset")
        annotated = await tracker.annotate(rows(2, 5))
        #expect(annotated["b"]?.first?.committedRecordTimestampMs == 1_700_000_000_005)
        #expect(counting.take()[.fetch, default: 0] == 0, "nothing moved, nothing fetched")
        annotated = await tracker.annotate(rows(2, 7))
        #expect(annotated["a"]?.first?.committedRecordTimestampMs == 1_700_000_000_002)
        #expect(annotated["b"]?.first?.committedRecordTimestampMs == 1_700_000_000_007)
        #expect(counting.take()[.fetch, default: 0] == 1, "only the moved group's record")
        // Read again once old: compaction may have removed a record since.
        clock.advance(LagTracker.recordTimestampMaxAgeMs)
        _ = await tracker.annotate(rows(2, 7))
        #expect(counting.take()[.fetch, default: 0] == 2, "both records, a round each")
        _ = await tracker.annotate(rows(2, 7))
        #expect(counting.take()[.fetch, default: 0] == 0)
        // A high watermark that went back (truncation, a re-created topic): read again.
        clock.advance(1_000)
        _ = await tracker.annotate(rows(2, 7, hw: 9))
        #expect(counting.take()[.fetch, default: 0] == 2)
        await tracker.close()
    }

    @Test func timeLagsForMorePartitionsThanOneFetchCarries() async throws {
        let t = try AdminTestCluster()
        defer { t.shutdown() }
        let count = 70
        try await t.admin.createTopic(.init(name: "wide", replicasAssignments: Dictionary(uniqueKeysWithValues: (0 ..< Int32(count)).map { ($0, [Int32(0)]) })))
        var offsets: [TopicPartition: Int64] = [:]
        for p in 0 ..< count {
            let tp = TopicPartition("wide", Int32(p))
            try await t.produce(tp, count: 2, timestamp: { 1_700_000_000_000 + Int64(p * 10 + $0) })
            offsets[tp] = 1
        }
        let found = await t.admin.recordTimestamps(at: offsets)
        #expect(found.count == count)
        #expect(found[TopicPartition("wide", 69)] == 1_700_000_000_691)
    }
}
