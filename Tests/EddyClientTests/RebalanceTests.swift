import EddyBroker
import EddyProtocol
import Foundation
import Testing
@testable import EddyClient

extension ConsumerClusterTests {
    /// Groups of 1 to 5 members on 3 and 6 partitions, for every assignor: members join one by
    /// one, then leave; after each change the group settles with every partition owned by exactly
    /// one member, idle members when there are more members than partitions, balanced
    /// assignments, and at no moment a partition owned by two members.
    @Suite struct RebalanceTests {
        static let strategies = ["range", "roundrobin", "sticky", "cooperative-sticky"]

        @Test(arguments: strategies, [3, 6])
        func membersJoiningAndLeavingShareThePartitions(strategy: String, partitionCount: Int) async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: Int32(partitionCount))
            let partitions = Set((0 ..< Int32(partitionCount)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            var members: [MemberRunner] = []
            for i in 1 ... 5 {
                let m = MemberRunner(name: "m\(i)", consumer: try t.consumer(group: "g-\(strategy)", strategy: [strategy], autoCommit: false),
                                     tracker: tracker)
                try await m.start(topics: ["t"])
                members.append(m)
                try await waitSettled(members, partitions)
                checkShares(members, partitionCount: partitionCount)
            }
            // Members leave (LeaveGroup on close) until one is left.
            while members.count > 1 {
                await members.removeFirst().close()
                try await waitSettled(members, partitions)
                checkShares(members, partitionCount: partitionCount)
            }
            #expect(tracker.violations.isEmpty, "\(tracker.violations)")
            #expect(tracker.generationOverlaps().isEmpty, "\(tracker.generationOverlaps())")
            for m in members { await m.close() }
        }

        /// Balanced shares: sizes differ by at most one; with more members than partitions, the
        /// extra members are idle.
        private func checkShares(_ members: [MemberRunner], partitionCount: Int, sourceLocation: SourceLocation = #_sourceLocation) {
            let sizes = members.map { $0.consumer.assignment().count }
            #expect(sizes.max()! - sizes.min()! <= 1, "unbalanced: \(sizes)", sourceLocation: sourceLocation)
            #expect(sizes.filter { $0 == 0 }.count == max(0, members.count - partitionCount), "idle members: \(sizes)",
                    sourceLocation: sourceLocation)
        }

        @Test func cooperativeStickyKeepsUnaffectedPartitionsThroughARebalance() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 6)
            let partitions = Set((0 ..< Int32(6)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let strategy = ["cooperative-sticky"]
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", strategy: strategy, autoCommit: false), tracker: tracker)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", strategy: strategy, autoCommit: false), tracker: tracker)
            try await a.start(topics: ["t"])
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            let before = [a.consumer.assignment(), b.consumer.assignment()]
            let revokedBefore = [a.events.revokedPartitions.count, b.events.revokedPartitions.count]
            let c = MemberRunner(name: "c", consumer: try t.consumer(group: "g", strategy: strategy, autoCommit: false), tracker: tracker)
            try await c.start(topics: ["t"])
            try await waitSettled([a, b, c], partitions)
            for (i, m) in [a, b].enumerated() {
                let after = m.consumer.assignment()
                let revoked = Set(m.events.revokedPartitions.dropFirst(revokedBefore[i]))
                // What a member kept was never revoked; what it gave up went to c.
                #expect(revoked.isDisjoint(with: after), "\(m.name) revoked \(revoked) but still owns \(after)")
                #expect(revoked == before[i].subtracting(after))
                #expect(revoked.isSubset(of: c.consumer.assignment()))
                #expect(after.isSubset(of: before[i]), "\(m.name) gained partitions: \(before[i]) -> \(after)")
                #expect(m.events.lostPartitions.isEmpty)
            }
            #expect(c.consumer.assignment().count == 2)
            #expect(tracker.violations.isEmpty, "\(tracker.violations)")
            for m in [a, b, c] { await m.close() }
        }

        @Test func eagerRebalanceRevokesEverythingBeforeAnyAssignment() async throws {
            let t = try ConsumerTestCluster()
            defer { t.shutdown() }
            try await t.createTopic("t", partitions: 4)
            let partitions = Set((0 ..< Int32(4)).map { TopicPartition("t", $0) })
            let tracker = OwnershipTracker()
            let a = MemberRunner(name: "a", consumer: try t.consumer(group: "g", strategy: ["range"], autoCommit: false), tracker: tracker)
            try await a.start(topics: ["t"])
            try await waitSettled([a], partitions)
            let b = MemberRunner(name: "b", consumer: try t.consumer(group: "g", strategy: ["range"], autoCommit: false), tracker: tracker)
            try await b.start(topics: ["t"])
            try await waitSettled([a, b], partitions)
            // a: assigned all, revoked all (eager), assigned its half.
            #expect(a.events.events.count == 3, "\(a.events.events)")
            #expect(a.events.events.first == .assigned(partitions.sorted()))
            #expect(a.events.events.dropFirst().first == .revoked(partitions.sorted()))
            #expect(tracker.violations.isEmpty, "\(tracker.violations)")
            for m in [a, b] { await m.close() }
        }
    }
}
