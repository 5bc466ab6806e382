import EddyProtocol
import EddyStorage

/// One broker's replica of one partition: its log and its current role, as last told by the
/// controller's metadata. Owned by `BrokerNode`; guarded by the cluster lock.
final class Replica {
    let topicPartition: TopicPartition
    let log: PartitionLog
    var role: Role
    /// Leader epoch and partition epoch of the registration this role was derived from.
    var leaderEpoch: Int32
    var partitionEpoch: Int32

    enum Role {
        /// This broker leads: it serves produce and fetch and tracks its followers.
        case leader(PartitionLeaderState)
        /// This broker copies from `leaderId` (which may be down; then fetches fail and retry).
        case follower(leaderId: Int32)
        /// No leader: the partition is offline.
        case offline
    }

    init(topicPartition: TopicPartition, log: PartitionLog, role: Role, leaderEpoch: Int32, partitionEpoch: Int32) {
        self.topicPartition = topicPartition
        self.log = log
        self.role = role
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
    }

    var isLeader: Bool { if case .leader = role { true } else { false } }

    var leaderState: PartitionLeaderState? {
        get { if case let .leader(s) = role { s } else { nil } }
        set { if let newValue { role = .leader(newValue) } }
    }

    var followedLeader: Int32? { if case let .follower(l) = role { l } else { nil } }
}

/// A running broker: its log directory and the replicas it hosts.
final class BrokerNode {
    let id: Int32
    /// Which run of this broker this is (sent as `replicaEpoch` in its fetches).
    let incarnation: Int64
    let logManager: LogManager
    var replicas: [TopicPartition: Replica] = [:]
    /// The group coordinator for the `__consumer_offsets` partitions this broker leads.
    let groups: BrokerGroupCoordinator
    /// Producer ids this broker may still hand out (from its last block, see
    /// `Controller.allocateProducerIds`); empty until the first InitProducerId.
    var producerIds: Range<Int64> = 0 ..< 0

    init(id: Int32, incarnation: Int64, logManager: LogManager, groups: BrokerGroupCoordinator) {
        self.id = id
        self.incarnation = incarnation
        self.logManager = logManager
        self.groups = groups
    }
}
