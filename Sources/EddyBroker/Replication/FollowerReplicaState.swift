/// What a partition leader knows about one follower, updated by the follower's fetches
/// (Kafka's `Replica` / `ReplicaState`). Times are ms on the leader's clock.
public struct FollowerReplicaState: Sendable, Hashable {
    /// `logEndOffset` before the follower's first fetch in this leadership.
    public static let unknownOffset: Int64 = -1

    public let replicaId: Int32
    /// The follower's log end offset: the offset of its latest fetch.
    public internal(set) var logEndOffset: Int64
    /// When the latest fetch arrived, 0 if none yet.
    public internal(set) var lastFetchTimeMs: Int64
    /// The leader's log end offset when the latest fetch arrived.
    public internal(set) var lastFetchLeaderLogEndOffset: Int64
    /// The latest time t at which the follower had fetched everything the leader had at t.
    public internal(set) var lastCaughtUpTimeMs: Int64

    /// A follower of a new leader: its position is unknown; an ISR member counts as caught up
    /// at `now` (so it is not dropped at once), any other replica as never.
    init(replicaId: Int32, inSync: Bool, now: Int64) {
        self.replicaId = replicaId
        logEndOffset = FollowerReplicaState.unknownOffset
        lastFetchTimeMs = 0
        lastFetchLeaderLogEndOffset = FollowerReplicaState.unknownOffset
        lastCaughtUpTimeMs = inSync ? now : 0
    }

    /// Records a fetch from `fetchOffset` received at `now`, when the leader's log ended at
    /// `leaderLogEndOffset` (Kafka's `Replica.updateFetchState`). If the fetch reaches the
    /// leader's end now, the follower is caught up now; else if it reaches where the leader
    /// ended at the previous fetch, it was caught up as of that fetch. This lets a follower of
    /// a leader that appends constantly stay in sync while it keeps up.
    mutating func updateFetchState(fetchOffset: Int64, leaderLogEndOffset: Int64, now: Int64) {
        if fetchOffset >= leaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
        }
        logEndOffset = fetchOffset
        lastFetchLeaderLogEndOffset = max(leaderLogEndOffset, lastFetchLeaderLogEndOffset)
        lastFetchTimeMs = now
    }

    /// Kafka's `ReplicaState.isCaughtUp`: at the leader's end, or caught up within the last
    /// `replicaLagTimeMaxMs` (inclusive: out of sync only once strictly more has passed).
    public func isCaughtUp(leaderLogEndOffset: Int64, now: Int64, replicaLagTimeMaxMs: Int64) -> Bool {
        logEndOffset == leaderLogEndOffset || now - lastCaughtUpTimeMs <= replicaLagTimeMaxMs
    }
}
