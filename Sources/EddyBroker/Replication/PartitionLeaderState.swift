import EddyProtocol

/// The leader's view of one partition for one leader epoch: the ISR, the high watermark and
/// each follower's progress (Kafka's `Partition` on its leader, with KIP-497 AlterPartition).
///
/// A pure state machine: each event returns the actions the caller carries out (advance the
/// log's high watermark and complete acks=all requests waiting on it; send an AlterPartition
/// to the controller). No clock and no I/O; times are ms passed in.
///
/// Created when a broker becomes leader in a new leader epoch and discarded when the epoch
/// ends (a new epoch gets a new state, even for the same leader).
///
/// ISR changes go through the controller, one at a time:
/// - Expand: a follower joins once its log end offset is at least the high watermark and at
///   least `leaderEpochStartOffset` (so it holds everything committed by earlier leaders).
/// - Shrink (on `onTick`): an ISR follower leaves once it is not at the leader's log end and
///   was last caught up more than `replica.lag.time.max.ms` ago. The leader never leaves.
/// While a change is pending the high watermark counts the "maximal ISR": the committed ISR
/// plus a pending addition (a pending removal still counts), so it never advances past what a
/// member of either the old or the new ISR lacks.
///
/// High watermark: the minimum log end offset over the maximal ISR, leader included; a member
/// whose position is still unknown holds it back. It never decreases.
///
/// Invariants (`checkInvariants()`): the leader is in the ISR; ISR ⊆ maximal ISR ⊆ replicas;
/// high watermark ≤ leader log end offset, and ≤ the known log end offset of every maximal-ISR
/// member (which holds as long as an ISR member never loses committed records: a crashed broker
/// must be fenced, and so removed from every ISR, before it fetches again); a pending change is
/// based on the current partition epoch.
public struct PartitionLeaderState: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// The high watermark moved up to this offset.
        case highWatermarkAdvanced(Int64)
        /// Send AlterPartition(leaderId, leaderEpoch, partitionEpoch, newIsr: isr) to the controller;
        /// report the answer with `onIsrCommitted` or `onIsrChangeFailed`.
        case proposeIsr(isr: [Int32], partitionEpoch: Int32)
    }

    /// The AlterPartition in flight (at most one).
    public struct PendingIsrChange: Sendable, Hashable {
        /// The ISR proposed.
        public var isr: [Int32]
        /// The partition epoch the proposal is based on.
        public var partitionEpoch: Int32
        /// Whether it adds a member (else it removes some).
        public var isExpansion: Bool
    }

    public let leaderId: Int32
    public let leaderEpoch: Int32
    /// The partition epoch of the latest committed ISR this leader knows.
    public private(set) var partitionEpoch: Int32
    public let replicas: [Int32]
    /// The committed ISR, as the controller last confirmed it.
    public private(set) var isr: [Int32]
    public private(set) var pendingIsrChange: PendingIsrChange?
    /// The leader's log end offset.
    public private(set) var logEndOffset: Int64
    public private(set) var highWatermark: Int64
    /// The leader's log end offset when this leader epoch began: the first offset of the epoch.
    public let leaderEpochStartOffset: Int64
    /// Every other replica, by broker ID.
    public private(set) var followers: [Int32: FollowerReplicaState]
    /// Brokers the metadata shows fenced or shutting down: they are not proposed for the ISR
    /// (the controller would answer INELIGIBLE_REPLICA). The caller keeps this current.
    public var ineligibleReplicas: Set<Int32> = []

    /// A new leadership.
    /// - Parameters:
    ///   - isr: the ISR of the registration that made this broker leader (contains `leaderId`).
    ///   - logEndOffset: the leader's log end offset now.
    ///   - highWatermark: the log's high watermark now (≤ `logEndOffset`).
    ///   - leaderEpochStartOffset: the epoch's first offset; by default `logEndOffset`.
    ///   - now: ISR followers count as caught up at this time.
    /// After `init`, `highWatermark` may already be above the one given (when the leader is the
    /// only ISR member); the caller applies it to the log.
    public init(leaderId: Int32, leaderEpoch: Int32, partitionEpoch: Int32, replicas: [Int32], isr: [Int32],
                logEndOffset: Int64, highWatermark: Int64, leaderEpochStartOffset: Int64? = nil, now: Int64) {
        precondition(isr.contains(leaderId) && Set(isr).isSubset(of: replicas), "leader \(leaderId) must be in the ISR \(isr) ⊆ replicas \(replicas)")
        precondition(highWatermark <= logEndOffset, "high watermark \(highWatermark) above log end offset \(logEndOffset)")
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.replicas = replicas
        self.isr = isr
        self.logEndOffset = logEndOffset
        self.highWatermark = highWatermark
        self.leaderEpochStartOffset = leaderEpochStartOffset ?? logEndOffset
        var followers: [Int32: FollowerReplicaState] = [:]
        for r in replicas where r != leaderId {
            followers[r] = FollowerReplicaState(replicaId: r, inSync: isr.contains(r), now: now)
        }
        self.followers = followers
        _ = maybeIncrementHighWatermark()
    }

    /// The committed ISR plus a pending addition: the members the high watermark waits for,
    /// in replica order.
    public var maximalIsr: [Int32] {
        guard let pending = pendingIsrChange, pending.isExpansion else { return isr }
        return replicas.filter { isr.contains($0) || pending.isr.contains($0) }
    }

    // MARK: Events

    /// The leader appended to its log, which now ends at `logEndOffset`.
    public mutating func onLocalAppend(logEndOffset: Int64) -> [Action] {
        guard logEndOffset > self.logEndOffset else { return [] }
        self.logEndOffset = logEndOffset
        return maybeIncrementHighWatermark()
    }

    /// A follower fetched from `fetchOffset` at `now`, when the leader's log ended at
    /// `leaderLogEndOffset` (read before serving the fetch). The caller answers fetches from
    /// non-replicas and out-of-range or diverging fetches itself without reporting them here;
    /// such reports are ignored.
    public mutating func onFollowerFetch(replicaId: Int32, fetchOffset: Int64, leaderLogEndOffset: Int64,
                                         now: Int64) -> [Action] {
        guard var follower = followers[replicaId], fetchOffset >= 0,
              fetchOffset <= max(logEndOffset, leaderLogEndOffset) else { return [] }
        var actions: [Action] = []
        if leaderLogEndOffset > logEndOffset {
            logEndOffset = leaderLogEndOffset
            actions += maybeIncrementHighWatermark()
        }
        let previous = follower.logEndOffset
        follower.updateFetchState(fetchOffset: fetchOffset, leaderLogEndOffset: leaderLogEndOffset, now: now)
        followers[replicaId] = follower
        if let proposal = maybeExpandIsr(follower) { actions.append(proposal) }
        if follower.logEndOffset != previous { actions += maybeIncrementHighWatermark() }
        return actions
    }

    /// Periodic check (Kafka runs it every `replica.lag.time.max.ms` / 2): proposes removing
    /// the ISR followers that are out of sync at `now`.
    public mutating func onTick(now: Int64, replicaLagTimeMaxMs: Int64) -> [Action] {
        guard pendingIsrChange == nil else { return [] }
        let outOfSync = isr.filter { id in
            guard id != leaderId else { return false }
            guard let f = followers[id] else { return true }
            return !f.isCaughtUp(leaderLogEndOffset: logEndOffset, now: now, replicaLagTimeMaxMs: replicaLagTimeMaxMs)
        }
        guard !outOfSync.isEmpty else { return [] }
        let proposed = isr.filter { !outOfSync.contains($0) }
        pendingIsrChange = PendingIsrChange(isr: proposed, partitionEpoch: partitionEpoch, isExpansion: false)
        return [.proposeIsr(isr: proposed, partitionEpoch: partitionEpoch)]
    }

    /// The controller committed `isr` at `partitionEpoch` for this leader epoch: an
    /// AlterPartition answer, or the partition's registration in new metadata (which also
    /// covers ISR changes the controller made itself, such as removing a fenced broker). Clears
    /// any pending change. Ignored if older than the partition epoch already known, or if it
    /// does not keep this leader in an ISR of replicas (then the caller must act on a new
    /// leader epoch instead).
    public mutating func onIsrCommitted(isr: [Int32], partitionEpoch: Int32) -> [Action] {
        guard partitionEpoch >= self.partitionEpoch, isr.contains(leaderId),
              Set(isr).isSubset(of: replicas), Set(isr).count == isr.count else { return [] }
        self.isr = isr
        self.partitionEpoch = partitionEpoch
        pendingIsrChange = nil
        return maybeIncrementHighWatermark()
    }

    /// The AlterPartition proposing `isr` at `partitionEpoch` failed with `error` (Kafka's
    /// `handleAlterPartitionError`). Ignored unless it is the pending proposal.
    /// - INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED: the controller did not apply it; back to
    ///   the committed ISR, which may advance the high watermark past a member that was to be
    ///   added (the next fetch or tick may propose again).
    /// - FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INVALID_REQUEST, UNKNOWN_TOPIC_OR_PARTITION,
    ///   UNKNOWN_TOPIC_ID, NEW_LEADER_ELECTED: this leader's view is stale; stay pending until new
    ///   metadata arrives (`onIsrCommitted` or a new leader epoch).
    /// - Anything else (a timeout, NOT_CONTROLLER, ...): send the same proposal again.
    public mutating func onIsrChangeFailed(isr: [Int32], partitionEpoch: Int32, error: ErrorCode) -> [Action] {
        guard let pending = pendingIsrChange, pending.isr == isr, pending.partitionEpoch == partitionEpoch else { return [] }
        switch error {
        case .ineligibleReplica, .operationNotAttempted:
            pendingIsrChange = nil
            return maybeIncrementHighWatermark()
        case .fencedLeaderEpoch, .invalidUpdateVersion, .invalidRequest, .unknownTopicOrPartition, .unknownTopicId,
             .newLeaderElected:
            return []
        default:
            return [.proposeIsr(isr: pending.isr, partitionEpoch: pending.partitionEpoch)]
        }
    }

    // MARK: Rules

    /// Proposes adding `follower` if it may join (see the type's documentation).
    private mutating func maybeExpandIsr(_ follower: FollowerReplicaState) -> Action? {
        let id = follower.replicaId
        guard pendingIsrChange == nil, !isr.contains(id), !ineligibleReplicas.contains(id),
              follower.logEndOffset >= highWatermark, follower.logEndOffset >= leaderEpochStartOffset else { return nil }
        let proposed = replicas.filter { isr.contains($0) || $0 == id }
        pendingIsrChange = PendingIsrChange(isr: proposed, partitionEpoch: partitionEpoch, isExpansion: true)
        return .proposeIsr(isr: proposed, partitionEpoch: partitionEpoch)
    }

    /// Moves the high watermark up to the minimum log end offset over the maximal ISR.
    private mutating func maybeIncrementHighWatermark() -> [Action] {
        var candidate = logEndOffset
        for id in maximalIsr where id != leaderId {
            candidate = min(candidate, followers[id]?.logEndOffset ?? FollowerReplicaState.unknownOffset)
        }
        guard candidate > highWatermark else { return [] }
        highWatermark = candidate
        return [.highWatermarkAdvanced(candidate)]
    }

    // MARK: Checks

    /// Violated invariants (see the type's documentation); empty when consistent.
    public func checkInvariants() -> [String] {
        var out: [String] = []
        let maximal = maximalIsr
        if !isr.contains(leaderId) { out.append("leader \(leaderId) is not in the ISR \(isr)") }
        if Set(isr).count != isr.count { out.append("duplicate ISR members \(isr)") }
        if !Set(isr).isSubset(of: maximal) { out.append("ISR \(isr) is not within the maximal ISR \(maximal)") }
        if !Set(maximal).isSubset(of: replicas) { out.append("maximal ISR \(maximal) is not within the replicas \(replicas)") }
        if highWatermark > logEndOffset { out.append("high watermark \(highWatermark) > leader log end offset \(logEndOffset)") }
        for id in maximal where id != leaderId {
            guard let f = followers[id] else { out.append("ISR member \(id) has no follower state"); continue }
            if f.logEndOffset != FollowerReplicaState.unknownOffset, highWatermark > f.logEndOffset {
                out.append("high watermark \(highWatermark) > log end offset \(f.logEndOffset) of ISR member \(id)")
            }
        }
        if let pending = pendingIsrChange {
            if pending.partitionEpoch != partitionEpoch {
                out.append("pending ISR change based on partition epoch \(pending.partitionEpoch), current \(partitionEpoch)")
            }
            if !pending.isr.contains(leaderId) { out.append("pending ISR \(pending.isr) drops the leader") }
        }
        return out
    }
}
