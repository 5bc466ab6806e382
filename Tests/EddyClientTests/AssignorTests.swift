import Testing
import EddyProtocol
@testable import EddyClient

/// Properties every assignor has, over groups of 1-5 members on 3 and 6 partitions, and each
/// assignor's own balance rule.
struct AssignorTests {
    private func tp(_ topic: String, _ partition: Int32) -> TopicPartition { TopicPartition(topic, partition) }

    @Test func namesAndProtocolsMatchKafka() throws {
        #expect(AssignorCheck.all.map(\.name) == ["range", "roundrobin", "sticky", "cooperative-sticky"])
        #expect(RangeAssignor().supportedProtocols == [.eager])
        #expect(RoundRobinAssignor().supportedProtocols == [.eager])
        #expect(StickyAssignor().supportedProtocols == [.eager])
        #expect(CooperativeStickyAssignor().supportedProtocols == [.eager, .cooperative])
        #expect(try #require(PartitionAssignors.named("sticky")).name == "sticky")
        #expect(PartitionAssignors.named("nope") == nil)
        #expect(RebalanceProtocol.cooperative.rawValue == "COOPERATIVE")
    }

    @Test(arguments: [3, 6], [["t"], ["a", "b"]])
    func everyPartitionAssignedExactlyOnce(partitions: Int, topics: [String]) {
        let perTopic = Dictionary(uniqueKeysWithValues: topics.map { ($0, partitions) })
        for assignor in AssignorCheck.all {
            for memberCount in 1...5 {
                let subscriptions = AssignorCheck.members(memberCount, topics: topics)
                let result = assignor.assign(partitionsPerTopic: perTopic, subscriptions: subscriptions)
                let context = "\(assignor.name) members=\(memberCount) partitions=\(partitions) topics=\(topics)"
                #expect(AssignorCheck.contractViolations(result, perTopic, subscriptions) == [], "\(context)")
                #expect(result.values.map(\.count).reduce(0, +) == partitions * topics.count, "\(context)")
                #expect(AssignorCheck.assigned(result) == AssignorCheck.subscribedPartitions(perTopic, subscriptions),
                        "\(context)")
                // Determinism: the same input gives the same output.
                #expect(assignor.assign(partitionsPerTopic: perTopic, subscriptions: subscriptions) == result)
            }
        }
    }

    @Test func membersBeyondPartitionCountSitIdle() {
        for assignor in AssignorCheck.all {
            let subscriptions = AssignorCheck.members(5, topics: ["t"])
            let result = assignor.assign(partitionsPerTopic: ["t": 3], subscriptions: subscriptions)
            #expect(result.values.filter(\.isEmpty).count == 2, "\(assignor.name)")
            #expect(result.values.allSatisfy { $0.count <= 1 }, "\(assignor.name)")
        }
    }

    @Test(arguments: [3, 6])
    func balancedOverallExceptRange(partitions: Int) {
        let perTopic = ["a": partitions, "b": partitions]
        for assignor in AssignorCheck.all where assignor.name != "range" {
            for memberCount in 1...5 {
                let result = assignor.assign(partitionsPerTopic: perTopic,
                                             subscriptions: AssignorCheck.members(memberCount, topics: ["a", "b"]))
                #expect(AssignorCheck.spread(result) <= 1, "\(assignor.name) members=\(memberCount)")
            }
        }
    }

    @Test(arguments: [3, 6])
    func rangeGivesContiguousRangesWithExtrasToFirstMembers(partitions: Int) {
        for memberCount in 1...5 {
            let subscriptions = AssignorCheck.members(memberCount, topics: ["a", "b"])
            let result = RangeAssignor().assign(partitionsPerTopic: ["a": partitions, "b": partitions],
                                                subscriptions: subscriptions)
            for topic in ["a", "b"] {
                var next: Int32 = 0
                var previousCount = Int.max
                for i in 0..<memberCount {
                    let mine = result["m\(i)"]!.filter { $0.topic == topic }.map(\.partition)
                    #expect(mine == Array(next..<(next + Int32(mine.count))), "member m\(i) topic \(topic)")
                    #expect(mine.count == partitions / memberCount || mine.count == partitions / memberCount + 1)
                    #expect(mine.count <= previousCount, "extras go to the first members")
                    previousCount = mine.count
                    next += Int32(mine.count)
                }
                #expect(next == Int32(partitions))
            }
        }
    }

    /// RangeAssignor javadoc: C0 and C1 subscribe to t0 and t1, three partitions each.
    @Test func rangeKafkaJavadocExample() {
        let result = RangeAssignor().assign(partitionsPerTopic: ["t0": 3, "t1": 3],
                                            subscriptions: ["C0": Subscription(topics: ["t0", "t1"]),
                                                            "C1": Subscription(topics: ["t0", "t1"])])
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 2), tp("t1", 2)])
    }

    @Test func rangeOrdersStaticMembersByInstanceIdFirst() {
        let subscriptions = [
            "a-dynamic": Subscription(topics: ["t"]),
            "b-member": Subscription(topics: ["t"], groupInstanceId: "instance-2"),
            "c-member": Subscription(topics: ["t"], groupInstanceId: "instance-1"),
        ]
        let result = RangeAssignor().assign(partitionsPerTopic: ["t": 3], subscriptions: subscriptions)
        #expect(result["c-member"] == [tp("t", 0)])
        #expect(result["b-member"] == [tp("t", 1)])
        #expect(result["a-dynamic"] == [tp("t", 2)])
        // A restarted static member gets a new member id but keeps its partitions.
        var restarted = subscriptions
        restarted["z-member"] = restarted.removeValue(forKey: "c-member")
        let again = RangeAssignor().assign(partitionsPerTopic: ["t": 3], subscriptions: restarted)
        #expect(again["z-member"] == [tp("t", 0)])
    }

    @Test func rangeSkipsTopicsWithoutMetadata() {
        let result = RangeAssignor().assign(partitionsPerTopic: ["t": 2],
                                            subscriptions: ["m": Subscription(topics: ["t", "unknown"])])
        #expect(result["m"] == [tp("t", 0), tp("t", 1)])
    }

    /// RoundRobinAssignor javadoc, first example: identical subscriptions.
    @Test func roundRobinKafkaJavadocExample() {
        let result = RoundRobinAssignor().assign(partitionsPerTopic: ["t0": 3, "t1": 3],
                                                 subscriptions: ["C0": Subscription(topics: ["t0", "t1"]),
                                                                 "C1": Subscription(topics: ["t0", "t1"])])
        #expect(result["C0"] == [tp("t0", 0), tp("t0", 2), tp("t1", 1)])
        #expect(result["C1"] == [tp("t0", 1), tp("t1", 0), tp("t1", 2)])
    }

    /// RoundRobinAssignor javadoc, second example: C0 subscribes to t0, C1 to t0 and t1, C2 to all
    /// three; t0, t1 and t2 have 1, 2 and 3 partitions.
    @Test func roundRobinKafkaJavadocUnequalSubscriptions() {
        let result = RoundRobinAssignor().assign(partitionsPerTopic: unequalTopics, subscriptions: unequalMembers)
        #expect(result["C0"] == [tp("t0", 0)])
        #expect(result["C1"] == [tp("t1", 0)])
        #expect(result["C2"] == [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)])
    }

    /// StickyAssignor javadoc, same input: the sticky assignment is balanced where roundrobin is not.
    @Test func stickyKafkaJavadocUnequalSubscriptions() {
        for assignor in [StickyAssignor(), CooperativeStickyAssignor()] as [any PartitionAssignor] {
            let result = assignor.assign(partitionsPerTopic: unequalTopics, subscriptions: unequalMembers)
            #expect(result["C0"] == [tp("t0", 0)])
            #expect(result["C1"] == [tp("t1", 0), tp("t1", 1)])
            #expect(result["C2"] == [tp("t2", 0), tp("t2", 1), tp("t2", 2)])
            // C0 leaves: only its partition moves.
            var remaining = AssignorCheck.owning(unequalMembers, result, generation: 1)
            remaining["C0"] = nil
            let after = assignor.assign(partitionsPerTopic: unequalTopics, subscriptions: remaining)
            #expect(after["C1"] == [tp("t0", 0), tp("t1", 0), tp("t1", 1)])
            #expect(after["C2"] == [tp("t2", 0), tp("t2", 1), tp("t2", 2)])
        }
    }

    private let unequalTopics = ["t0": 1, "t1": 2, "t2": 3]
    private let unequalMembers = [
        "C0": Subscription(topics: ["t0"]),
        "C1": Subscription(topics: ["t0", "t1"]),
        "C2": Subscription(topics: ["t0", "t1", "t2"]),
    ]

    @Test func emptyInputsGiveEmptyAssignments() {
        for assignor in AssignorCheck.all {
            #expect(assignor.assign(partitionsPerTopic: [:], subscriptions: [:]) == [:])
            let result = assignor.assign(partitionsPerTopic: ["t": 0, "u": -3],
                                         subscriptions: ["m": Subscription(topics: ["t", "u", "v"])])
            #expect(result == ["m": []], "\(assignor.name)")
        }
    }
}
