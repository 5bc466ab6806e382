import EddyProtocol

/// Kafka's `RoundRobinAssignor` ("roundrobin"): every partition of every subscribed topic, sorted
/// by topic then partition, is dealt in turn to the members in `MemberOrder`; a member not
/// subscribed to a partition's topic is skipped (the cursor moves on to the next one that is).
/// With identical subscriptions the counts differ by at most one.
public struct RoundRobinAssignor: PartitionAssignor {
    public let name = "roundrobin"
    public let supportedProtocols: [RebalanceProtocol] = [.eager]

    public init() {}

    public func assign(partitionsPerTopic: [String: Int],
                       subscriptions: [String: Subscription]) -> [String: [TopicPartition]] {
        var result = subscriptions.mapValues { _ in [TopicPartition]() }
        let members = MemberOrder.sorted(Array(subscriptions.keys), subscriptions)
        let topicSets = subscriptions.mapValues { Set($0.topics) }
        let topics = Set(subscriptions.values.flatMap(\.topics)).sorted()
        var cursor = 0
        for topic in topics {
            for partition in partitionsPerTopic.partitions(of: topic) {
                // Some member subscribes to `topic`, so this finds one within members.count steps.
                for _ in 0..<members.count {
                    let member = members[cursor % members.count]
                    cursor += 1
                    if topicSets[member]?.contains(topic) == true {
                        result[member, default: []].append(partition)
                        break
                    }
                }
            }
        }
        return result
    }
}
