/// The controller's record of one partition: where its replicas live, who leads, and the
/// epochs that fence stale leaders (Kafka's `PartitionRegistration`).
///
/// Invariants (checked by `MetadataImage`): `isr` ⊆ `replicas`; `leader` is `noLeader` or a
/// member of `isr`; epochs never decrease.
public struct PartitionRegistration: Sendable, Hashable {
    /// `leader` when no replica leads (the partition is offline).
    public static let noLeader: Int32 = -1

    public var replicas: [Int32]
    public var isr: [Int32]
    public var leader: Int32
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32

    public init(replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0) {
        self.replicas = replicas
        self.isr = isr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
    }

    public init(_ record: PartitionRecord) {
        self.init(replicas: record.replicas, isr: record.isr, leader: record.leader,
                  leaderEpoch: record.leaderEpoch, partitionEpoch: record.partitionEpoch)
    }

    public var hasLeader: Bool { leader != PartitionRegistration.noLeader }
    /// The first replica: the leader Kafka's preferred-leader election moves back to.
    public var preferredLeader: Int32? { replicas.first }

    /// The registration after `change`: a new leader bumps the leader epoch, and every
    /// change bumps the partition epoch (Kafka's `PartitionRegistration.merge`).
    public func merging(_ change: PartitionChangeRecord) -> PartitionRegistration {
        var next = self
        if let isr = change.isr { next.isr = isr }
        if let replicas = change.replicas { next.replicas = replicas }
        if change.leader != PartitionChangeRecord.leaderUnchanged, change.leader != leader {
            next.leader = change.leader
            next.leaderEpoch += 1
        }
        next.partitionEpoch += 1
        return next
    }

    /// The record that recreates this registration (for snapshots).
    public func record(topicId: Uuid, partitionId: Int32) -> PartitionRecord {
        PartitionRecord(partitionId: partitionId, topicId: topicId, replicas: replicas, isr: isr,
                        leader: leader, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch)
    }

    /// Why the registration breaks an invariant, or nil if it is consistent.
    var invariantViolation: String? {
        if replicas.isEmpty { return "no replicas" }
        if Set(replicas).count != replicas.count { return "duplicate replicas \(replicas)" }
        if Set(isr).count != isr.count { return "duplicate ISR members \(isr)" }
        if !Set(isr).isSubset(of: replicas) { return "ISR \(isr) is not a subset of replicas \(replicas)" }
        if hasLeader, !isr.contains(leader) { return "leader \(leader) is not in the ISR \(isr)" }
        if leaderEpoch < 0 || partitionEpoch < 0 { return "negative epoch" }
        return nil
    }
}
