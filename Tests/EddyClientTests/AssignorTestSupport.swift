import EddyProtocol
@testable import EddyClient

/// Shared checks for the assignor tests.
enum AssignorCheck {
    static let all: [any PartitionAssignor] = [
        RangeAssignor(), RoundRobinAssignor(), StickyAssignor(), CooperativeStickyAssignor(),
    ]

    /// Members named m0, m1, ... all subscribed to `topics`.
    static func members(_ count: Int, topics: [String]) -> [String: Subscription] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("m\($0)", Subscription(topics: topics)) })
    }

    /// Every partition of every topic that some member subscribes to and the metadata knows.
    static func subscribedPartitions(_ partitionsPerTopic: [String: Int],
                                     _ subscriptions: [String: Subscription]) -> Set<TopicPartition> {
        Set(Set(subscriptions.values.flatMap(\.topics)).flatMap { topic in
            (0..<max(0, partitionsPerTopic[topic] ?? 0)).map { TopicPartition(topic, Int32($0)) }
        })
    }

    /// The `PartitionAssignor` contract; returns problems found (empty when valid).
    static func contractViolations(_ result: [String: [TopicPartition]], _ partitionsPerTopic: [String: Int],
                                   _ subscriptions: [String: Subscription]) -> [String] {
        var problems: [String] = []
        if Set(result.keys) != Set(subscriptions.keys) { problems.append("members \(result.keys.sorted())") }
        var seen: [TopicPartition: String] = [:]
        for (member, partitions) in result {
            if partitions != partitions.sorted() { problems.append("\(member) list not sorted") }
            for tp in partitions {
                if let other = seen[tp] { problems.append("\(tp) to both \(other) and \(member)") }
                seen[tp] = member
                if subscriptions[member]?.topics.contains(tp.topic) != true {
                    problems.append("\(member) got \(tp) of an unsubscribed topic")
                }
                if tp.partition < 0 || Int(tp.partition) >= partitionsPerTopic[tp.topic] ?? 0 {
                    problems.append("\(member) got nonexistent \(tp)")
                }
            }
        }
        return problems
    }

    static func assigned(_ result: [String: [TopicPartition]]) -> Set<TopicPartition> {
        Set(result.values.flatMap { $0 })
    }

    static func spread(_ result: [String: [TopicPartition]]) -> Int {
        let counts = result.values.map(\.count)
        return (counts.max() ?? 0) - (counts.min() ?? 0)
    }

    /// Kafka's `isBalanced`: no partition could move to another eligible member that has at least
    /// two fewer partitions.
    static func isLocallyBalanced(_ result: [String: [TopicPartition]],
                                  _ subscriptions: [String: Subscription]) -> Bool {
        for (from, partitions) in result {
            for tp in partitions {
                for (to, subscription) in subscriptions where to != from && subscription.topics.contains(tp.topic) {
                    if result[to]!.count < partitions.count - 1 { return false }
                }
            }
        }
        return true
    }

    /// Partitions a member owned before and another member has now.
    static func moves(from old: [String: [TopicPartition]], to new: [String: [TopicPartition]]) -> Int {
        var owner: [TopicPartition: String] = [:]
        for (member, partitions) in new { for tp in partitions { owner[tp] = member } }
        return old.reduce(0) { sum, entry in
            sum + entry.value.filter { owner[$0] != nil && owner[$0] != entry.key }.count
        }
    }

    /// `subscriptions` with each member's owned partitions set from `assignment`.
    static func owning(_ subscriptions: [String: Subscription], _ assignment: [String: [TopicPartition]],
                       generation: Int32) -> [String: Subscription] {
        var result = subscriptions
        for member in result.keys {
            result[member]!.ownedPartitions = assignment[member] ?? []
            result[member]!.generationId = generation
        }
        return result
    }
}
