import EddyProtocol

/// Kafka's `StickyAssignor` ("sticky"): a balanced assignment that keeps as many previously owned
/// partitions as possible (see `StickyAssignment` for the algorithm). Used with the eager protocol:
/// members revoke everything before the rebalance, but most get the same partitions back, so
/// caches and local state stay useful. Previous ownership comes from `Subscription.ownedPartitions`
/// and `generationId` (Kafka carries them in the subscription's user data for this assignor).
public struct StickyAssignor: PartitionAssignor {
    public let name = "sticky"
    public let supportedProtocols: [RebalanceProtocol] = [.eager]

    public init() {}

    public func assign(partitionsPerTopic: [String: Int],
                       subscriptions: [String: Subscription]) -> [String: [TopicPartition]] {
        StickyAssignment(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions).assignment
    }
}
