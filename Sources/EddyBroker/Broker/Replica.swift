import EddyProtocol
import EddyStorage
import Foundation

/// One broker's replica of one partition: its log and its current role, as last told by the
/// controller's metadata. Owned by its `Broker` (Kafka's `Partition`, in its replica manager).
///
/// Locking (Kafka's `Partition.leaderIsrUpdateLock`, per partition):
/// - `stateLock` guards the role, the epochs and the leader state. Produce and Fetch check and
///   change them under it alone: appends and fetches on different partitions share no lock.
///   A role change (`becomeLeader`, `becomeFollower`) holds the cluster lock as well, so code
///   under the cluster lock may read the role and the epochs without `stateLock`; the leader
///   state, which Produce and Fetch change, is read under `stateLock` always.
/// - Writes to the log (a leader's appends, a follower's appends and truncations) happen under
///   this replica's `writerLock`, and only while `writer` is still what the handler checked
///   (`whileWriter`). A role change sets `writer` (holding the cluster lock, then `writerLock`),
///   so it waits for a write in progress on this partition, and no write made for the old role
///   lands after it (as Kafka's makeLeader/makeFollower wait for its appends).
/// - Reads take only the log's own lock, and a log's bounds only its published state (see
///   `PartitionLog`).
/// Lock order: cluster lock, then the broker's `purgatoryLock`, then `stateLock`, then
/// `writerLock`, then the log's locks; the broker's `tableLock` and the cluster's small Mutex
/// values are leaves. Under `stateLock` only the log's published state is read or written (a
/// high watermark is published there, see `leaderEvent`), and `liveNodes` read.
final class Replica {
    let topicPartition: TopicPartition
    let log: PartitionLog
    /// Guards `role`, the epochs and `leader` (see the type's documentation).
    private let stateLock = NSLock()
    /// Written under the cluster lock and `stateLock`.
    private(set) var role: Role
    /// Leader epoch and partition epoch of the registration this role was derived from.
    /// Written under the cluster lock and `stateLock`.
    private(set) var leaderEpoch: Int32
    private(set) var partitionEpoch: Int32
    /// The leader's view of its followers, the ISR and the high watermark, while `role` is
    /// `.leader`. Guarded by `stateLock` alone.
    private var leader: PartitionLeaderState?

    enum Role: Equatable {
        /// This broker leads: it serves produce and fetch and tracks its followers.
        case leader
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

    /// This replica leads in `epoch`, starting from `state`. Caller holds the cluster lock.
    func becomeLeader(_ state: PartitionLeaderState, epoch: Int32, partitionEpoch: Int32) {
        stateLock.withLock {
            role = .leader
            leader = state
            leaderEpoch = epoch
            self.partitionEpoch = partitionEpoch
        }
    }

    /// This replica follows `leaderId` (offline when nil) in `epoch`. Caller holds the cluster lock.
    func becomeFollower(of leaderId: Int32?, epoch: Int32, partitionEpoch: Int32) {
        stateLock.withLock {
            role = leaderId.map { .follower(leaderId: $0) } ?? .offline
            leader = nil
            leaderEpoch = epoch
            self.partitionEpoch = partitionEpoch
        }
    }

    /// Runs `body` on the leader state if this replica leads (in `epoch`, when given), with
    /// `stateLock` held: nil otherwise. `body` may read the log's published state and the
    /// cluster's `liveNodes` (leaves), and take no other lock.
    func withLeaderState<R>(epoch: Int32? = nil, _ body: (inout PartitionLeaderState) throws -> R) rethrows -> R? {
        try withLeaderStateAndEpoch { state, leaderEpoch in
            epoch == nil || epoch == leaderEpoch ? .some(try body(&state)) : nil
        } ?? nil
    }

    /// The leader state as it is now, if this replica leads.
    var leaderState: PartitionLeaderState? { stateLock.withLock { role == .leader ? leader : nil } }

    /// An event for the leader state (if this replica leads, in `epoch` when given): its
    /// actions, with a high watermark it advances already published in the log before
    /// `stateLock` is released, so that nothing answered from the leader state (an acks=all
    /// produce) is ahead of what readers and elections see. Nil when it does not lead.
    func leaderEvent(epoch: Int32? = nil, _ body: (inout PartitionLeaderState) -> [PartitionLeaderState.Action]) -> [PartitionLeaderState.Action]? {
        withLeaderState(epoch: epoch) { state in
            let actions = body(&state)
            for case let .highWatermarkAdvanced(hw) in actions { log.maybeIncrementHighWatermark(hw) }
            return actions
        }
    }

    /// `withLeaderState`, with the leader epoch it leads in.
    func withLeaderStateAndEpoch<R>(_ body: (inout PartitionLeaderState, _ leaderEpoch: Int32) throws -> R) rethrows -> R? {
        stateLock.lock()
        defer { stateLock.unlock() }
        guard role == .leader, var state = leader else { return nil }
        defer { leader = state }
        return try body(&state, leaderEpoch)
    }

    /// This replica's broker stops: it leads no more, so no leader event (and no high watermark
    /// advance, or acknowledgement from the leader state) happens after this returns. Caller
    /// holds the cluster lock.
    func retire() {
        stateLock.withLock {
            role = .offline
            leader = nil
        }
    }

    /// Records a partition epoch committed for the same leadership (an ISR change). Caller
    /// holds the cluster lock.
    func setPartitionEpoch(_ epoch: Int32) { stateLock.withLock { partitionEpoch = epoch } }

    /// Whether this replica leads. Read under the cluster lock (or `stateLock`).
    var isLeader: Bool { role == .leader }

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

    var followedLeader: Int32? { if case let .follower(l) = role { l } else { nil } }
}
