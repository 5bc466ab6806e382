import EddyProtocol

/// Kafka's `RangeAssignor` ("range"), topic by topic: the members subscribed to a topic are put in
/// `MemberOrder` and each gets a contiguous range of its partitions; with `n` partitions and `m`
/// members every member gets `n / m` and the first `n % m` members get one more.
///
/// Kafka's javadoc example: members C0 and C1 both subscribe to t0 and t1, 3 partitions each:
/// C0 gets [t0p0, t0p1, t1p0, t1p1] and C1 gets [t0p2, t1p2]. The imbalance adds up across topics;
/// that is the price of co-partitioning (partition i of every topic on the same member).
public struct RangeAssignor: PartitionAssignor {
    public let name = "range"
    public let supportedProtocols: [RebalanceProtocol] = [.eager]

    public init() {}

    public func assign(partitionsPerTopic: [String: Int],
                       subscriptions: [String: Subscription]) -> [String: [TopicPartition]] {
        var result = subscriptions.mapValues { _ in [TopicPartition]() }
        var membersPerTopic: [String: [String]] = [:]
        for (member, subscription) in subscriptions {
            for topic in Set(subscription.topics) { membersPerTopic[topic, default: []].append(member) }
        }
        for (topic, members) in membersPerTopic {
            let partitions = partitionsPerTopic.partitions(of: topic)
            guard !partitions.isEmpty else { continue }
            let ordered = MemberOrder.sorted(members, subscriptions)
            let perMember = partitions.count / ordered.count
            let withExtra = partitions.count % ordered.count
            for (i, member) in ordered.enumerated() {
                let start = perMember * i + min(i, withExtra)
                let length = perMember + (i < withExtra ? 1 : 0)
                result[member, default: []].append(contentsOf: partitions[start..<(start + length)])
            }
        }
        return result.mapValues { $0.sorted() }
    }
}
