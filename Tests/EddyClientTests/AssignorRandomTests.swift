import Testing
import EddyProtocol
@testable import EddyClient

/// Seeded random groups: random topics, subscriptions and (partly bogus, partly conflicting)
/// ownership claims; every assignor must keep its invariants.
struct AssignorRandomTests {
    private struct Scenario {
        var partitionsPerTopic: [String: Int]
        var subscriptions: [String: Subscription]
    }

    private func scenario(_ rng: inout SplitMix64) -> Scenario {
        let topicNames = ["a", "b", "c"].prefix(Int.random(in: 1...3, using: &rng))
        var perTopic: [String: Int] = [:]
        for topic in topicNames { perTopic[topic] = Int.random(in: 0...8, using: &rng) }
        let identical = Bool.random(using: &rng)
        var subscriptions: [String: Subscription] = [:]
        for i in 0..<Int.random(in: 1...6, using: &rng) {
            var topics = identical ? Array(topicNames) : topicNames.filter { _ in Bool.random(using: &rng) }
            if topics.isEmpty { topics = [topicNames.randomElement(using: &rng)!] }
            var owned: [TopicPartition] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                owned.append(TopicPartition(topicNames.randomElement(using: &rng)!, Int32.random(in: -1...9, using: &rng)))
            }
            let generation: Int32? = Bool.random(using: &rng) ? Int32.random(in: 1...3, using: &rng) : nil
            let instance: String? = Bool.random(using: &rng) ? "i\(Int.random(in: 0...9, using: &rng))" : nil
            subscriptions["m\(i)"] = Subscription(topics: topics, ownedPartitions: owned,
                                                  generationId: generation, groupInstanceId: instance)
        }
        return Scenario(partitionsPerTopic: perTopic, subscriptions: subscriptions)
    }

    @Test func invariantsHoldForRandomGroups() {
        for seed in UInt64(1)...400 {
            var rng = SplitMix64(seed: seed)
            let s = scenario(&rng)
            let all = AssignorCheck.subscribedPartitions(s.partitionsPerTopic, s.subscriptions)
            for assignor in AssignorCheck.all {
                let result = assignor.assign(partitionsPerTopic: s.partitionsPerTopic, subscriptions: s.subscriptions)
                let context = "seed=\(seed) assignor=\(assignor.name)"
                #expect(AssignorCheck.contractViolations(result, s.partitionsPerTopic, s.subscriptions) == [],
                        "\(context)")
                #expect(assignor.assign(partitionsPerTopic: s.partitionsPerTopic, subscriptions: s.subscriptions)
                        == result, "\(context) deterministic")
                if assignor.name == "cooperative-sticky" {
                    let (_, transferring) = CooperativeStickyAssignor().assignWithRevocations(
                        partitionsPerTopic: s.partitionsPerTopic, subscriptions: s.subscriptions)
                    #expect(AssignorCheck.assigned(result).union(transferring.keys) == all, "\(context)")
                    #expect(AssignorCheck.assigned(result).isDisjoint(with: transferring.keys), "\(context)")
                    for (member, partitions) in result {
                        for tp in partitions {
                            let others = s.subscriptions.filter { $0.key != member && $0.value.ownedPartitions.contains(tp) }
                            #expect(others.isEmpty, "\(context): \(tp) to \(member) while owned by \(others.keys.sorted())")
                        }
                    }
                } else {
                    #expect(AssignorCheck.assigned(result) == all, "\(context)")
                }
                if assignor.name == "sticky" {
                    #expect(AssignorCheck.isLocallyBalanced(result, s.subscriptions), "\(context)")
                    if Set(s.subscriptions.values.map { Set($0.topics) }).count == 1 {
                        #expect(AssignorCheck.spread(result) <= 1, "\(context)")
                    }
                }
            }
        }
    }

    /// Cooperative rebalances with members adopting each result: never two owners for a partition,
    /// and one follow-up rebalance always finishes the transfer.
    @Test func cooperativeConvergesWithoutDoubleOwnership() {
        let assignor = CooperativeStickyAssignor()
        for seed in UInt64(1)...200 {
            var rng = SplitMix64(seed: seed)
            var s = scenario(&rng)
            for member in s.subscriptions.keys { s.subscriptions[member]!.ownedPartitions = [] }
            var generation: Int32 = 1
            for step in 0..<6 {
                // Membership change: a random member leaves or a new one joins.
                if Bool.random(using: &rng), s.subscriptions.count > 1 {
                    s.subscriptions[s.subscriptions.keys.sorted().randomElement(using: &rng)!] = nil
                } else {
                    let topics = Array(Set(s.subscriptions.values.flatMap(\.topics))).sorted()
                    s.subscriptions["j\(step)"] = Subscription(topics: topics)
                }
                let required = AssignorCheck.subscribedPartitions(s.partitionsPerTopic, s.subscriptions)
                var rounds = 0
                while true {
                    let result = assignor.assign(partitionsPerTopic: s.partitionsPerTopic, subscriptions: s.subscriptions)
                    generation += 1
                    // Members adopt: after it, ownership is exactly `result`, so no double ownership
                    // can arise as long as result never hands out a partition owned elsewhere.
                    for (member, partitions) in result {
                        for tp in partitions {
                            let owners = s.subscriptions.filter { $0.key != member && $0.value.ownedPartitions.contains(tp) }
                            #expect(owners.isEmpty, "seed=\(seed) step=\(step) \(tp)")
                        }
                    }
                    s.subscriptions = AssignorCheck.owning(s.subscriptions, result, generation: generation)
                    rounds += 1
                    if AssignorCheck.assigned(result) == required || rounds == 3 { break }
                }
                #expect(rounds <= 2, "seed=\(seed) step=\(step) took \(rounds) rounds")
                let final = s.subscriptions.mapValues(\.ownedPartitions)
                #expect(AssignorCheck.isLocallyBalanced(final, s.subscriptions), "seed=\(seed) step=\(step)")
            }
        }
    }
}
