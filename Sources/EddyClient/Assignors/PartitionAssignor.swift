import EddyProtocol

/// How a group moves partitions between members during a rebalance (Kafka's
/// `ConsumerPartitionAssignor.RebalanceProtocol`).
public enum RebalanceProtocol: String, Sendable, Hashable, CaseIterable {
    /// Every member revokes all of its partitions before it joins; the leader assigns from scratch.
    case eager = "EAGER"
    /// Members keep their partitions through the rebalance and revoke only those the new assignment
    /// takes away (KIP-429 incremental cooperative rebalancing).
    case cooperative = "COOPERATIVE"
}

/// What one member sent in its JoinGroup metadata (Kafka's `ConsumerPartitionAssignor.Subscription`).
public struct Subscription: Sendable, Hashable {
    /// Topics the member subscribes to. Topics missing from the metadata are ignored by assignors.
    public var topics: [String]
    /// Partitions the member owns going into this rebalance. The sticky assignors use them as the
    /// previous assignment; range and roundrobin ignore them.
    public var ownedPartitions: [TopicPartition]
    /// The generation in which `ownedPartitions` were assigned; nil means unknown (Kafka's
    /// `DEFAULT_GENERATION`, -1). When two members claim one partition, the newer generation wins.
    public var generationId: Int32?
    /// `group.instance.id` of a static member; range and roundrobin order members by it when present.
    public var groupInstanceId: String?

    public init(topics: [String], ownedPartitions: [TopicPartition] = [],
                generationId: Int32? = nil, groupInstanceId: String? = nil) {
        self.topics = topics
        self.ownedPartitions = ownedPartitions
        self.generationId = generationId
        self.groupInstanceId = groupInstanceId
    }
}

/// A client-side partition assignment strategy (Kafka's `ConsumerPartitionAssignor`). The group
/// leader runs it over every member's subscription; the coordinator only relays the result.
///
/// Contract for every implementation: the result has an entry (possibly empty) for every member;
/// a member only gets partitions of topics it subscribes to that exist in `partitionsPerTopic`;
/// no partition goes to two members; each member's list is sorted; the result is a pure function
/// of the input (the leader may be any member, so all must compute the same thing).
public protocol PartitionAssignor: Sendable {
    /// The name members advertise in JoinGroup (`partition.assignment.strategy`), e.g. "range".
    var name: String { get }
    /// Rebalance protocols this assignor can be used with, preferred last as in Kafka.
    var supportedProtocols: [RebalanceProtocol] { get }
    /// - Parameters:
    ///   - partitionsPerTopic: partition count of each topic known to the metadata.
    ///   - subscriptions: each member's subscription, keyed by member id.
    /// - Returns: the partitions assigned to each member id.
    func assign(partitionsPerTopic: [String: Int],
                subscriptions: [String: Subscription]) -> [String: [TopicPartition]]
}

/// The built-in assignors, looked up by the name members advertise.
public enum PartitionAssignors {
    public static let all: [any PartitionAssignor] = [
        RangeAssignor(), RoundRobinAssignor(), StickyAssignor(), CooperativeStickyAssignor(),
    ]

    /// The built-in assignor called `name`, or nil if none is.
    public static func named(_ name: String) -> (any PartitionAssignor)? {
        all.first { $0.name == name }
    }
}

/// Kafka's `MemberInfo` order used by range and roundrobin: static members (with a
/// `group.instance.id`) first, ordered by instance id, then dynamic members by member id. Instance
/// ids are stable across restarts, so a restarted static member gets the same partitions back.
enum MemberOrder {
    static func sorted(_ members: [String], _ subscriptions: [String: Subscription]) -> [String] {
        members.sorted { a, b in
            switch (subscriptions[a]?.groupInstanceId, subscriptions[b]?.groupInstanceId) {
            case let (ia?, ib?): (ia, a) < (ib, b)
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): a < b
            }
        }
    }
}

extension Dictionary where Key == String, Value == Int {
    /// The partitions of `topic`, empty when the metadata does not know it.
    func partitions(of topic: String) -> [TopicPartition] {
        let count = Swift.max(0, self[topic] ?? 0)
        return (0..<count).map { TopicPartition(topic, Int32($0)) }
    }
}
