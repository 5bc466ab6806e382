import EddyClient
import EddyProtocol

/// One sample of everything the console shows, taken at `takenAtMs` (wall-clock ms since the
/// epoch). Values a sample could not read are nil (an offline partition's offsets, a size
/// without `ClusterInsight`), never guessed; what failed is listed in `problems`.
///
/// Ordering invariants (relied on by the views and `ConsoleModel`): `brokers` sorted by id,
/// `topics` by name, each topic's `partitions` by partition, `groups` by group id.
public struct ConsoleSnapshot: Sendable, Equatable {
    public var takenAtMs: Int64
    public var clusterId: String?
    /// The active controller's broker id, nil when unknown.
    public var controllerId: Int32?
    public var brokers: [BrokerSnapshot]
    public var topics: [TopicSnapshot]
    public var groups: [GroupSnapshot]
    /// One line per part of the sample that failed (e.g. "group audit: COORDINATOR_NOT_AVAILABLE").
    public var problems: [String]

    /// The KRaft metadata quorum, from DescribeQuorum where the cluster offers it.
    public var quorum: DescribeQuorumResponse.Quorum?
    /// The coordinators' transactions and the hanging ones, sorted by transactional id (hanging
    /// ones last); nil when the cluster does not list transactions (no ListTransactions) or
    /// listing them failed.
    public var transactions: [TransactionSnapshot]?

    public init(takenAtMs: Int64, clusterId: String? = nil, controllerId: Int32? = nil, brokers: [BrokerSnapshot] = [],
                topics: [TopicSnapshot] = [], groups: [GroupSnapshot] = [], problems: [String] = [],
                quorum: DescribeQuorumResponse.Quorum? = nil, transactions: [TransactionSnapshot]? = nil) {
        self.quorum = quorum
        self.transactions = transactions
        self.takenAtMs = takenAtMs
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers.sorted { $0.id < $1.id }
        self.topics = topics.sorted { $0.name < $1.name }
        self.groups = groups.sorted { $0.groupId < $1.groupId }
        self.problems = problems
    }

    public func topic(_ name: String) -> TopicSnapshot? {
        guard let i = topicIndex(name) else { return nil }
        return topics[i]
    }

    /// Binary search over the sorted topics.
    func topicIndex(_ name: String) -> Int? {
        var lo = 0, hi = topics.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if topics[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo < topics.count && topics[lo].name == name ? lo : nil
    }

    /// Binary search over the sorted groups (thousands of them, looked up once each per sample).
    public func group(_ id: String) -> GroupSnapshot? {
        var lo = 0, hi = groups.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if groups[mid].groupId < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < groups.count && groups[lo].groupId == id ? groups[lo] : nil
    }

    public func partition(_ tp: TopicPartition) -> PartitionSnapshot? {
        topic(tp.topic)?.partition(tp.partition)
    }

    /// Every partition, with its topic's name.
    public var partitionCount: Int { topics.reduce(0) { $0 + $1.partitions.count } }
}

/// A node of the cluster as the Cluster view lists it: a broker (in combined mode also one of
/// the controllers), or a controller-only node (`process.roles=controller`), which holds no
/// partitions and is known from the quorum's voters.
public struct BrokerSnapshot: Sendable, Equatable {
    /// Kafka's `process.roles` as the console tells nodes apart: `broker` also covers a combined
    /// node (broker and controller); `controller` is a controller and nothing else.
    public enum Role: String, Sendable { case broker, controller }

    public var id: Int32
    public var state: BrokerInsight.State
    /// Whether it is the active controller (the quorum's leader).
    public var isController: Bool
    public var role: Role
    /// Cumulative bytes appended and fetched (`ClusterInsight.brokerTraffic`); nil without insight.
    public var bytesIn: Int64?
    public var bytesOut: Int64?

    public init(id: Int32, state: BrokerInsight.State, isController: Bool, role: Role = .broker, bytesIn: Int64? = nil, bytesOut: Int64? = nil) {
        self.id = id
        self.state = state
        self.isController = isController
        self.role = role
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }

    /// What keys and captions call it: "broker 1", "controller 3000".
    public var name: String { "\(role.rawValue) \(id)" }
}

extension ConsoleSnapshot {
    /// The brokers, without controller-only nodes.
    public var brokerNodes: [BrokerSnapshot] { brokers.filter { $0.role == .broker } }
}

/// A topic, its partitions, and the configs the Topics view shows.
public struct TopicSnapshot: Sendable, Equatable {
    public var name: String
    public var isInternal: Bool
    public var partitions: [PartitionSnapshot]
    /// retention.ms (-1: unlimited), nil when the configs could not be read.
    public var retentionMs: Int64?
    /// retention.bytes (-1: unlimited).
    public var retentionBytes: Int64?
    /// cleanup.policy as configured (`delete`, `compact`, `compact,delete`).
    public var cleanupPolicy: String?

    public init(name: String, isInternal: Bool = false, partitions: [PartitionSnapshot], retentionMs: Int64? = nil,
                retentionBytes: Int64? = nil, cleanupPolicy: String? = nil) {
        self.name = name
        self.isInternal = isInternal
        self.partitions = partitions.sorted { $0.partition < $1.partition }
        self.retentionMs = retentionMs
        self.retentionBytes = retentionBytes
        self.cleanupPolicy = cleanupPolicy
    }

    /// The partition numbered `number`, looked for first at that index (partitions are sorted
    /// and usually numbered from 0 without gaps).
    public func partition(_ number: Int32) -> PartitionSnapshot? {
        let index = Int(number)
        if partitions.indices.contains(index), partitions[index].partition == number { return partitions[index] }
        return partitions.first { $0.partition == number }
    }

    /// The replication factor: the most replicas any partition has.
    public var replicationFactor: Int { partitions.map(\.replicas.count).max() ?? 0 }

    /// Bytes on disk over all partitions; nil when any partition's size is unknown.
    public var sizeBytes: Int64? {
        var total: Int64 = 0
        for p in partitions {
            guard let s = p.sizeBytes else { return nil }
            total += s
        }
        return total
    }

    public var underReplicatedCount: Int { partitions.filter(\.isUnderReplicated).count }
    public var offlineCount: Int { partitions.filter(\.isOffline).count }
    public var unreachableCount: Int { partitions.filter(\.leaderUnreachable).count }
}

/// One partition: placement from metadata, offsets from its leader, size from the cluster.
///
/// Invariant when all offsets are known: logStartOffset <= lastStableOffset <= highWatermark <=
/// logEndOffset.
public struct PartitionSnapshot: Sendable, Equatable {
    public var partition: Int32
    /// nil while the partition has no leader (offline).
    public var leader: Int32?
    public var replicas: [Int32]
    public var isr: [Int32]
    public var logStartOffset: Int64?
    public var logEndOffset: Int64?
    public var highWatermark: Int64?
    /// Where read_committed consumers stop: the high watermark, held back by the oldest open
    /// transaction. nil when unknown.
    public var lastStableOffset: Int64?
    public var sizeBytes: Int64?
    /// The metadata names a leader, but it did not answer: a killed broker the controller has
    /// not fenced yet (broker.session.timeout.ms), or one the console cannot reach. The
    /// partition's offsets are unknown (nil) and nothing can be written to or read from it
    /// until the broker answers again or the controller elects another leader.
    public var leaderUnreachable: Bool
    /// Replicas whose broker is not running (Metadata's offline replicas). One still in the
    /// ISR holds back the high watermark, and so acks=all produces, until it leaves the ISR.
    public var offlineReplicas: [Int32]

    public init(partition: Int32, leader: Int32?, replicas: [Int32], isr: [Int32], logStartOffset: Int64? = nil,
                logEndOffset: Int64? = nil, highWatermark: Int64? = nil, sizeBytes: Int64? = nil, leaderUnreachable: Bool = false,
                offlineReplicas: [Int32] = [], lastStableOffset: Int64? = nil) {
        self.lastStableOffset = lastStableOffset
        self.partition = partition
        self.leader = leader
        self.replicas = replicas
        self.isr = isr
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.highWatermark = highWatermark
        self.sizeBytes = sizeBytes
        self.leaderUnreachable = leaderUnreachable
        self.offlineReplicas = offlineReplicas
    }

    /// An open transaction holds read_committed consumers below the high watermark.
    public var isHeldByTransaction: Bool {
        guard let lastStableOffset, let highWatermark else { return false }
        return lastStableOffset < highWatermark
    }

    /// Fewer replicas in the ISR than assigned (Kafka's UnderReplicatedPartitions).
    public var isUnderReplicated: Bool { isr.count < replicas.count }
    /// No leader (Kafka's OfflinePartitionsCount).
    public var isOffline: Bool { leader == nil }
    /// Replicas that are not in the ISR, in assignment order.
    public var outOfISR: [Int32] { replicas.filter { !isr.contains($0) } }
}

/// A consumer group: its state and members, and per partition the four positions and two lags.
public struct GroupSnapshot: Sendable, Equatable {
    public var groupId: String
    public var state: Admin.ConsumerGroupState
    /// The assignor the group chose (`range`, ...); empty unless Stable.
    public var assignor: String
    public var coordinator: Int32?
    public var members: [Admin.MemberDescription]
    /// Sorted by topic and partition.
    public var rows: [GroupPositions.Row]

    public init(groupId: String, state: Admin.ConsumerGroupState, assignor: String = "", coordinator: Int32? = nil,
                members: [Admin.MemberDescription] = [], rows: [GroupPositions.Row] = []) {
        self.groupId = groupId
        self.state = state
        self.assignor = assignor
        self.coordinator = coordinator
        self.members = members
        self.rows = rows.sorted { $0.topicPartition < $1.topicPartition }
    }

    /// Sum of the partitions' lags (high watermark − committed offset, Kafka's LAG; for a
    /// partition without a commit, high watermark − position when a live consumer reports
    /// one). nil when no partition's lag is known.
    public var totalLag: Int64? {
        var total: Int64 = 0
        var known = false
        for row in rows {
            if let lag = row.lag ?? row.positionLag {
                total += max(0, lag)
                known = true
            }
        }
        return known ? total : nil
    }

    /// Burrow's group status: the worst partition status (`LagStatus`), nil when none is known.
    public var status: LagStatus? { rows.compactMap(\.status).max() }

    /// Records deleted before the group read them, over its partitions; nil when none were.
    public var lost: Int64? {
        let counts = rows.compactMap(\.lost)
        return counts.isEmpty ? nil : counts.reduce(0, +)
    }

    /// The largest time lag over the partitions at `nowMs`; nil when none is known.
    public func timeLagMs(nowMs: Int64) -> Int64? { rows.compactMap { $0.timeLagMs(nowMs: nowMs) }.max() }
}
