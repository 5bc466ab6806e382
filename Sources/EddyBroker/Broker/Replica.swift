import EddyProtocol
import EddyStorage
import Foundation

/// One broker's replica of one partition: its log and its current role, as last told by the
/// controller's metadata. Owned by its `Broker` (Kafka's `Partition`, in its replica manager).
///
/// Locking (Kafka's `Partition.leaderIsrUpdateLock`, per partition):
/// - `role`, the epochs and the leader state are guarded by the cluster lock: request handlers
///   check them, and change the leader state, in short in-memory sections.
/// - Writes to the log (a leader's appends, a follower's appends and truncations) happen with
///   the cluster lock released, under this replica's `writerLock`, and only while `writer` is
///   still what the handler checked under the cluster lock (`whileWriter`). A role change sets
///   `writer` (holding the cluster lock, then `writerLock`), so it waits for a write in progress
///   on this partition, and no write made for the old role lands after it. Appends to different
///   partitions never wait for each other; the cluster lock waits for one only while this
///   partition's role changes (as Kafka's makeLeader/makeFollower wait for its appends).
/// - Reads take only the log's own lock, and a log's bounds only its published state (see
///   `PartitionLog`).
/// Lock order: cluster lock, then `writerLock`, then the log's lock.
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

    /// What the log may be written as: the writes a role allows.
    enum Writer: Equatable, Sendable {
        /// Nothing writes (offline, or the replica is going away).
        case none
        /// Appends of produced records, as leader in this epoch.
        case leader(epoch: Int32)
        /// Appends and truncations copied from `leaderId`, as follower in this epoch.
        case follower(leaderId: Int32, epoch: Int32)
    }

    private let writerLock = NSLock()
    /// Guarded by `writerLock`; changed only with the cluster lock held as well.
    private var writerState: Writer = .none
    /// `writerState` as last set: guarded by the cluster lock, so that checking it needs no
    /// `writerLock` (which a write in progress holds).
    private var writerAsSet: Writer = .none

    /// The writes the current role allows. Caller holds the cluster lock.
    var writer: Writer { writerAsSet }

    /// Changes what may write, after any write in progress has finished. Unchanged, it waits
    /// for nothing: metadata is applied to every replica on every change, and only those whose
    /// role changed wait for their partition's write. Caller holds the cluster lock.
    func setWriter(_ writer: Writer) {
        guard writer != writerAsSet else { return }
        writerAsSet = writer
        writerLock.withLock { writerState = writer }
    }

    /// Runs `body` (a write to the log) if the role still allows `expected` writes, holding
    /// the role steady meanwhile. Nil when the role changed since the caller checked it.
    /// Called without the cluster lock.
    func whileWriter<R>(_ expected: Writer, _ body: () throws -> R) rethrows -> R? {
        writerLock.lock()
        defer { writerLock.unlock() }
        guard writerState == expected, expected != .none else { return nil }
        return try body()
    }

    var leaderState: PartitionLeaderState? {
        get { if case let .leader(s) = role { s } else { nil } }
        set { if let newValue { role = .leader(newValue) } }
    }

    var followedLeader: Int32? { if case let .follower(l) = role { l } else { nil } }
}
