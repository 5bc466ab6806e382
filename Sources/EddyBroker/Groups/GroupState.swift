/// The classic group protocol's states (Kafka's `GroupState`).
///
/// ```
///        +-------------------------------------------------------------+
///        v                                                             |
///  Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance --leader sync--> Stable
///    ^                 |    ^                                          |                            |
///    +--no members-----+    +---------- join / leave / expiry ---------+----------------------------+
///  any state --delete/unload--> Dead
/// ```
public enum GroupState: String, Sendable, CaseIterable, CustomStringConvertible {
    /// No members; the group may still hold committed offsets.
    case empty = "Empty"
    /// Waiting for members to (re)join until all have or the rebalance timeout expires.
    case preparingRebalance = "PreparingRebalance"
    /// Join responses sent; waiting for the leader's assignment in SyncGroup.
    case completingRebalance = "CompletingRebalance"
    /// Assignment distributed; members heartbeat.
    case stable = "Stable"
    /// Deleted or migrated away; rejects every request.
    case dead = "Dead"

    public var description: String { rawValue }

    /// The states a group may move to this state from (Kafka's `validPreviousStates`).
    public var validPreviousStates: Set<GroupState> {
        switch self {
        case .empty: [.preparingRebalance]
        case .preparingRebalance: [.stable, .completingRebalance, .empty]
        case .completingRebalance: [.preparingRebalance]
        case .stable: [.completingRebalance]
        case .dead: [.empty, .preparingRebalance, .completingRebalance, .stable, .dead]
        }
    }
}
