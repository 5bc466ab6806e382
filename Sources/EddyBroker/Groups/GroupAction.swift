/// What the caller of `GroupCoordinator` must do after an event, in the order given.
///
/// Appends come before the responses that depend on them; a caller that cannot append must not
/// send those responses (it should fail the request with COORDINATOR_NOT_AVAILABLE instead).
public enum GroupAction: Equatable, Sendable {
    /// Send the (possibly delayed) JoinGroup response for the request with this token.
    case joinResponse(GroupRequestToken, GroupCoordinator.JoinResult)
    /// Send the (possibly delayed) SyncGroup response for the request with this token.
    case syncResponse(GroupRequestToken, GroupCoordinator.SyncResult)
    /// Call `expireTimers(now:)` no earlier than `atMs`. Timers are never cancelled: one that
    /// fires after its deadline moved is a no-op.
    case scheduleTimer(GroupTimer, atMs: Int64)
    /// Append this record to `__consumer_offsets` partition `partition` (value nil = tombstone).
    case appendRecord(partition: Int32, key: [UInt8], value: [UInt8]?)
    /// Append this offset commit to `__consumer_offsets` partition `partition` in a transactional
    /// batch of `producerId` at `producerEpoch` (TxnOffsetCommit): the transaction's marker in
    /// that partition later commits or aborts it.
    case appendTransactionalRecord(partition: Int32, producerId: Int64, producerEpoch: Int16, key: [UInt8], value: [UInt8]?)
}

/// The deadlines a group keeps.
public enum GroupTimer: Hashable, Sendable {
    /// A member's session timeout (`session.timeout.ms` after its last heartbeat).
    case heartbeat(group: String, memberId: String)
    /// The join phase of a rebalance (the largest `max.poll.interval.ms` among members, or
    /// `group.initial.rebalance.delay.ms` for a group that was Empty).
    case join(group: String)
    /// The sync phase: members that have not sent SyncGroup by then are removed.
    case sync(group: String)
}
