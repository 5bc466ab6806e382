import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// Members that fail: a crash (no LeaveGroup) found by the session timeout, a member that
    /// stops polling for longer than max.poll.interval.ms, at-least-once delivery across a crash,
    /// a commit from a stale generation, and the coordinator's broker dying.
    @Suite struct RebalanceFailureTests {
        @Test func aCrashedMemberIsRemovedBySessionTimeoutAndItsPartitionsReassigned() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 4)
            let partitions = Set((0 ..< Int32(4)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false), tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false), tracker: tracker)
            try await a.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            let generation = b.generationId
            await a.crash()
            // Only the session timeout tells the coordinator: b ends up with everything.
            try await waitSettled([b], partitions)
            #expect(b.generationId > generation)
            #expect(b.events.lostPartitions.isEmpty)
            await b.close()
        }

        @Test func aMemberThatStopsPollingLeavesAndRejoinsOnItsNextPoll() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 4)
            let partitions = Set((0 ..< Int32(4)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let slow = MemberRunner(name: "slow", consumer: try t.consumer(group: "g", maxPollIntervalMs: 500, autoCommit: false),
                                    tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", autoCommit: false), tracker: tracker)
            try await slow.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([slow, b], partitions)
            let owned = slow.consumer.assignment()
            #expect(!owned.isEmpty)
            slow.pausePolling()
            // The slow member leaves by itself (heartbeats continue, polls don't): b takes over.
            try await waitSettled([b], partitions)
            try await waitUntil("the slow member forgot its membership") { slow.consumer.groupMetadata()?.generationId == -1 }
            // Its next poll reports the partitions lost and rejoins.
            let recordsBefore = slow.records.count
            slow.startPolling()
            try await waitSettled([slow, b], partitions)
            // It lost (not revoked) what it owned, before being assigned anything new; b was
            // assigned those partitions while slow still believed it owned them (a zombie that
            // consumed nothing: it was not polling).
            let events = slow.events.events
            let lostAt = try #require(events.firstIndex(of: .lost(owned.sorted())), "\(events)")
            #expect(events[lostAt + 1 ..< events.count].allSatisfy { if case .assigned = $0 { true } else { false } }, "\(events)")
            #expect(slow.records.count == recordsBefore)
            for m in [slow, b] { await m.close() }
        }

        @Test func recordsProcessedButNotCommittedBeforeACrashAreDeliveredAgain() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            for p in Int32(0) ..< 2 { try t.produce("t", partition: p, (0 ..< 10).map { "p\(p)-\($0)" }) }
            let first = try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false)
            try await first.subscribe(topics: ["t"])
            let read = try await pollRecords(first, count: 20)
            // Processed everything, committed only the first half of each partition, then crashed.
            try await first.commitSync([TopicPartition("t", 0): OffsetAndMetadata(5), TopicPartition("t", 1): OffsetAndMetadata(5)])
            first.simulateCrash()
            let second = try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false)
            try await second.subscribe(topics: ["t"])
            let again = try await pollRecords(second, count: 10)
            let uncommitted = read.filter { $0.offset >= 5 }.map(\.text).sorted()
            #expect(again.map(\.text).sorted() == uncommitted)
            #expect(again.allSatisfy { $0.offset >= 5 })
            await second.close()
        }

        @Test func aCommitFromAStaleGenerationIsRejected() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 2)
            try t.produce("t", partition: 0, (0 ..< 5).map { "v\($0)" })
            let partitions = Set((0 ..< Int32(2)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let stale = MemberRunner(name: "stale", consumer: try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false),
                                     tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", sessionTimeoutMs: 600, autoCommit: false), tracker: tracker)
            try await stale.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([stale, b], partitions)
            let staleGeneration = stale.generationId
            // The process hangs: no polls, no heartbeats. The group moves on without it.
            await stale.stop()
            stale.consumer.coordinator?.heartbeatsPaused = true
            try await waitSettled([b], partitions)
            #expect(b.generationId > staleGeneration)
            // It still believes in its generation; the coordinator does not.
            #expect(stale.consumer.groupMetadata()?.generationId == staleGeneration)
            let tp = TopicPartition("t", 0)
            await #expect {
                try await stale.consumer.commitSync([tp: OffsetAndMetadata(5)])
            } throws: { error in
                guard case .commitFailed = error as? ClientError else { return false }
                return true
            }
            #expect(try await b.consumer.committed([tp])[tp] == nil)
            stale.consumer.simulateCrash()
            await b.close()
        }

        @Test func consumersFindTheNewCoordinatorAndCommittedOffsetsSurviveItsBrokerDying() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 3)
            let partitions = Set((0 ..< Int32(3)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", autoCommit: false), tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", autoCommit: false), tracker: tracker)
            try await a.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            for p in Int32(0) ..< 3 { try t.produce("t", partition: p, (0 ..< 4).map { "p\(p)-\($0)" }) }
            try await waitUntil("both read every record") { a.records.count + b.records.count == 12 }
            await a.stop()
            await b.stop()
            try await a.consumer.commitSync()
            try await b.consumer.commitSync()
            a.startPolling()
            b.startPolling()
            let probe = t.client("probe")
            let coordinator = try await probe.coordinator(forGroup: "g")
            try t.cluster.killBroker(coordinator, fenceNow: true)
            probe.coordinatorFailed(forGroup: "g")
            let newCoordinator = try await probe.coordinator(forGroup: "g", timeoutMs: 10_000)
            #expect(newCoordinator != coordinator)
            // The members carry on: new records reach them, and they settle with the new coordinator.
            for p in Int32(0) ..< 3 { try t.produce("t", partition: p, ["p\(p)-after"]) }
            try await waitUntil("both read the new records") { a.records.count + b.records.count >= 15 }
            try await waitSettled([a, b], partitions)
            // The commits made before the failover are there.
            let reader = try t.consumer(group: "g", autoCommit: false)
            let committed = try await reader.committed(partitions)
            #expect(committed.mapValues(\.offset) == Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(4)) }))
            // And new commits go to the new coordinator.
            await a.stop()
            await b.stop()
            try await a.consumer.commitSync()
            try await b.consumer.commitSync()
            #expect(try await reader.committed(partitions).mapValues(\.offset) == Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(5)) }))
            await reader.close()
            for m in [a, b] { await m.close() }
            #expect(tracker.violations.isEmpty, "\(tracker.violations)")
        }

        @Test func aStaticMemberRestartingWithinItsSessionGetsItsPartitionsBack() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 4)
            let partitions = Set((0 ..< Int32(4)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", sessionTimeoutMs: 5_000, autoCommit: false, instanceId: "a"),
                                 tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", sessionTimeoutMs: 5_000, autoCommit: false, instanceId: "b"),
                                 tracker: tracker)
            try await a.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            let aOwned = a.consumer.assignment()
            let bEvents = b.events.events.count
            // A static member sends no LeaveGroup on close; its replacement takes its place.
            await a.close()
            let a2 = MemberRunner(name: "a", consumer: try t.consumer(group: "g", sessionTimeoutMs: 5_000, autoCommit: false, instanceId: "a"),
                                  tracker: tracker)
            try await a2.start(topics: ["t"])
            try await waitUntil("the restarted static member owns its partitions") { a2.isStable && a2.consumer.assignment() == aOwned }
            // KIP-345: no rebalance, so b keeps its partitions without a revocation (the
            // coordinator compares only the group's selected protocol, as Kafka's does).
            #expect(b.events.events.count == bEvents, "b saw a rebalance: \(b.events.events)")
            #expect(a2.consumer.assignment() == aOwned)
            for m in [a2, b] { await m.close() }
        }

        @Test func patternSubscriptionFollowsMatchingTopics() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("orders-eu", partitions: 2)
            try await t.createTopic("audit", partitions: 1)
            var config = t.config(group: "g", autoCommit: false)
            config.metadataMaxAgeMs = 100
            let c = try Consumer(client: t.client(), config: config)
            let runner = MemberRunner(name: "c", consumer: c, tracker: OwnershipTracker())
            try await c.subscribe(pattern: "orders-.*", listener: runner)
            runner.startPolling()
            try await waitUntil("the matching topic is assigned") { c.assignment() == [TopicPartition("orders-eu", 0), TopicPartition("orders-eu", 1)] }
            try await t.createTopic("orders-us", partitions: 1)
            try await waitUntil("a new matching topic is assigned after a metadata refresh") { c.assignment().count == 3 }
            #expect(c.subscription() == ["orders-eu", "orders-us"])
            #expect(!c.assignment().contains { $0.topic == "audit" })
            await runner.close()
        }
    }
}
