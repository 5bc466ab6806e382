import EddyProtocol

/// Kafka's `CooperativeStickyAssignor` ("cooperative-sticky", KIP-429): the sticky assignment,
/// except that a partition moving to a new member is left unassigned in this rebalance. Its owner
/// sees it missing from its assignment, revokes it and rejoins; in that follow-up rebalance nobody
/// claims it any more and it goes to its new member. Members keep consuming everything that does
/// not move, throughout.
///
/// Invariant: a partition assigned to a member is never in another member's `ownedPartitions`,
/// whatever the generations (a stale claim is withheld too; it costs at most one extra rebalance).
public struct CooperativeStickyAssignor: PartitionAssignor {
    public let name = "cooperative-sticky"
    public let supportedProtocols: [RebalanceProtocol] = [.eager, .cooperative]

    public init() {}

    public func assign(partitionsPerTopic: [String: Int],
                       subscriptions: [String: Subscription]) -> [String: [TopicPartition]] {
        assignWithRevocations(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions).assignment
    }

    /// The assignment plus the partitions withheld from it because another member still owns them
    /// (Kafka's `partitionsTransferringOwnership`); when this is non-empty a follow-up rebalance is due.
    public func assignWithRevocations(partitionsPerTopic: [String: Int], subscriptions: [String: Subscription])
        -> (assignment: [String: [TopicPartition]], transferring: [TopicPartition: String]) {
        let sticky = StickyAssignment(partitionsPerTopic: partitionsPerTopic, subscriptions: subscriptions)
        var claimants: [TopicPartition: Set<String>] = [:]
        for (member, subscription) in subscriptions {
            for tp in subscription.ownedPartitions { claimants[tp, default: []].insert(member) }
        }
        var transferring: [TopicPartition: String] = [:]
        var assignment: [String: [TopicPartition]] = [:]
        for (member, partitions) in sticky.assignment {
            assignment[member] = partitions.filter { tp in
                guard claimants[tp, default: []].contains(where: { $0 != member }) else { return true }
                transferring[tp] = member
                return false
            }
        }
        return (assignment, transferring)
    }
}
