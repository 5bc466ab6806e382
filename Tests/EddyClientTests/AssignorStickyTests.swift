import Testing
import EddyProtocol
@testable import EddyClient

/// Stickiness of "sticky" and "cooperative-sticky" through joins and leaves, KIP-429's two-step
/// transfer, and conflicting ownership claims.
struct AssignorStickyTests {
    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic, partition) }

    /// StickyAssignor javadoc: three members on t0..t3 with two partitions each, then C1 leaves;
    /// C0 and C2 keep what they had and split C1's partitions.
    @Test func stickyKafkaJavadocMemberLeaves() {
        let perTopic = ["t0": 2, "t1": 2, "t2": 2, "t3": 2]
        let topics = ["t0", "t1", "t2", "t3"]
        let before = ["C0": [tp("t0", 0), tp("t1", 1), tp("t3", 0)],
                      "C1": [tp("t0", 1), tp("t2", 0), tp("t3", 1)],
                      "C2": [tp("t1", 0), tp("t2", 1)]]
        let subscriptions = ["C0": Subscription(topics: topics, ownedPartitions: before["C0"]!, generationId: 1),
                             "C2": Subscription(topics: topics, ownedPartitions: before["C2"]!, generationId: 1)]
        let result = StickyAssignor().assign(partitionsPerTopic: perTopic, subscriptions: subscriptions)
        #expect(Set(before["C0"]!).isSubset(of: result["C0"]!))
        #expect(Set(before["C2"]!).isSubset(of: result["C2"]!))
        #expect(result["C0"]!.count == 4 && result["C2"]!.count == 4)
    }

    /// Identical subscriptions: from a balanced assignment, a member joining moves only as many
    /// partitions as balance requires, and a member leaving moves none that survivors own.
    @Test(arguments: [3, 6, 7])
    func joinAndLeaveMoveTheMinimum(partitions: Int) {
        let perTopic = ["t": partitions]
        for assignor in [StickyAssignor(), CooperativeStickyAssignor()] as [any PartitionAssignor] {
            for memberCount in 1...5 {
                let subscriptions = AssignorCheck.members(memberCount, topics: ["t"])
                let stable = assignor.assign(partitionsPerTopic: perTopic, subscriptions: subscriptions)

                // Join (sticky: the final result; cooperative: the result after its follow-up).
                var joined = AssignorCheck.owning(subscriptions, stable, generation: 1)
                joined["new"] = Subscription(topics: ["t"])
                let afterJoin = settle(assignor, perTopic, joined, generation: 2)
                let target = partitions / (memberCount + 1)
                let ceiling = (partitions + memberCount) / (memberCount + 1)
                let excess = stable.values.map { max(0, $0.count - ceiling) }.reduce(0, +)
                #expect(AssignorCheck.spread(afterJoin) <= 1, "\(assignor.name) n=\(memberCount)")
                #expect(AssignorCheck.moves(from: stable, to: afterJoin) == max(target, excess),
                        "\(assignor.name) join n=\(memberCount) partitions=\(partitions)")

                // Leave: each survivor keeps everything it had.
                guard memberCount > 1 else { continue }
                var left = AssignorCheck.owning(subscriptions, stable, generation: 1)
                left["m0"] = nil
                let afterLeave = assignor.assign(partitionsPerTopic: perTopic, subscriptions: left)
                for member in left.keys {
                    #expect(Set(stable[member]!).isSubset(of: afterLeave[member]!), "\(assignor.name) leave")
                }
                #expect(AssignorCheck.assigned(afterLeave).count == partitions)
                #expect(AssignorCheck.spread(afterLeave) <= 1)
            }
        }
    }

    /// Runs `assignor` until nothing is withheld, members adopting each result; checks after every
    /// round that no partition is owned by two members. Returns the final assignment.
    private func settle(_ assignor: any PartitionAssignor, _ perTopic: [String: Int],
                        _ subscriptions: [String: Subscription], generation: Int32) -> [String: [TopicPartition]] {
        var current = subscriptions
        for round in 0..<3 {
            let result = assignor.assign(partitionsPerTopic: perTopic, subscriptions: current)
            #expect(AssignorCheck.contractViolations(result, perTopic, current) == [])
            if AssignorCheck.assigned(result) == AssignorCheck.subscribedPartitions(perTopic, current) {
                return result
            }
            #expect(assignor.name == "cooperative-sticky" && round == 0, "only cooperative withholds, once")
            current = AssignorCheck.owning(current, result, generation: generation + Int32(round))
        }
        Issue.record("\(assignor.name) did not settle")
        return [:]
    }

    @Test func cooperativeRevokesBeforeReassigning() {
        let perTopic = ["t": 6]
        let owned = ["m0": [tp("t", 0), tp("t", 1), tp("t", 2)], "m1": [tp("t", 3), tp("t", 4), tp("t", 5)]]
        var subscriptions = AssignorCheck.owning(AssignorCheck.members(2, topics: ["t"]), owned, generation: 4)
        subscriptions["m2"] = Subscription(topics: ["t"])
        let assignor = CooperativeStickyAssignor()
        let (first, transferring) = assignor.assignWithRevocations(partitionsPerTopic: perTopic,
                                                                   subscriptions: subscriptions)
        // The new member gets nothing yet; m0 and m1 each give one partition up.
        #expect(first["m2"] == [])
        #expect(first["m0"]!.count == 2 && first["m1"]!.count == 2)
        #expect(Set(first["m0"]!).isSubset(of: owned["m0"]!) && Set(first["m1"]!).isSubset(of: owned["m1"]!))
        #expect(transferring.count == 2 && transferring.values.allSatisfy { $0 == "m2" })
        // Follow-up rebalance: the revoked partitions reach m2, nothing else moves.
        let second = assignor.assign(partitionsPerTopic: perTopic,
                                     subscriptions: AssignorCheck.owning(subscriptions, first, generation: 5))
        #expect(second["m0"] == first["m0"] && second["m1"] == first["m1"])
        #expect(Set(second["m2"]!) == Set(transferring.keys))
        // Eager sticky does it in one step.
        let sticky = StickyAssignor().assign(partitionsPerTopic: perTopic, subscriptions: subscriptions)
        #expect(sticky["m2"]!.count == 2 && AssignorCheck.spread(sticky) == 0)
    }

    @Test func newerGenerationWinsConflictingClaims() {
        let subscriptions = [
            "old": Subscription(topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generationId: 3),
            "new": Subscription(topics: ["t"], ownedPartitions: [tp("t", 0)], generationId: 5),
        ]
        let sticky = StickyAssignment(partitionsPerTopic: ["t": 2], subscriptions: subscriptions)
        #expect(sticky.previousOwner == [tp("t", 0): "new", tp("t", 1): "old"])
        #expect(sticky.assignment == ["new": [tp("t", 0)], "old": [tp("t", 1)]])
        // Cooperative still never hands t-0 to "new" while "old" claims it.
        let cooperative = CooperativeStickyAssignor().assign(partitionsPerTopic: ["t": 2], subscriptions: subscriptions)
        #expect(cooperative == ["new": [], "old": [tp("t", 1)]])
    }

    @Test func sameGenerationConflictInvalidatesBothClaims() {
        let subscriptions = [
            "a": Subscription(topics: ["t"], ownedPartitions: [tp("t", 0), tp("t", 1)], generationId: 2),
            "b": Subscription(topics: ["t"], ownedPartitions: [tp("t", 1)], generationId: 2),
        ]
        let sticky = StickyAssignment(partitionsPerTopic: ["t": 2], subscriptions: subscriptions)
        #expect(sticky.previousOwner == [tp("t", 0): "a"])
        #expect(sticky.assignment == ["a": [tp("t", 0)], "b": [tp("t", 1)]])
    }

    @Test func claimsOnUnsubscribedOrMissingPartitionsAreIgnored() {
        let subscriptions = [
            "a": Subscription(topics: ["t"], ownedPartitions: [tp("gone", 0), tp("t", 9), tp("t", -1), tp("t", 1)]),
            "b": Subscription(topics: ["t"]),
        ]
        let sticky = StickyAssignment(partitionsPerTopic: ["t": 2, "gone": 1], subscriptions: subscriptions)
        #expect(sticky.previousOwner == [tp("t", 1): "a"])
        #expect(sticky.assignment == ["a": [tp("t", 1)], "b": [tp("t", 0)]])
    }

    @Test func stickyBalancesDifferentSubscriptions() {
        // a subscribes to x only; b and c to x and y. x: 4 partitions, y: 2.
        let subscriptions = ["a": Subscription(topics: ["x"]), "b": Subscription(topics: ["x", "y"]),
                             "c": Subscription(topics: ["x", "y"])]
        let result = StickyAssignor().assign(partitionsPerTopic: ["x": 4, "y": 2], subscriptions: subscriptions)
        #expect(result.values.map(\.count).sorted() == [2, 2, 2])
        #expect(result["a"]!.allSatisfy { $0.topic == "x" })
    }
}
