import EddyProtocol
import EddyStorage

/// What the group APIs share (their handlers are `Broker`'s, in `Broker/Handlers/`, one file per API:
/// FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
/// DescribeGroups, ListGroups, DeleteGroups, OffsetDelete): protocol structs in and out of the
/// broker's `GroupCoordinator`. Every function here expects the cluster lock held; responses go
/// to `deferred`.
///
/// A group is served by the leader of its `__consumer_offsets` partition once that partition is
/// loaded. Elsewhere a group request gets NOT_COORDINATOR, and COORDINATOR_LOAD_IN_PROGRESS while
/// the leader loads (Kafka's `validateGroupStatus` order: invalid group id first).
extension Cluster {
    /// The client host coordinators record for members (Kafka shows the connection's address).
    static let inProcessClientHost = "/in-process"

    /// The client host of a request: its connection's address, or `inProcessClientHost`.
    static func clientHost(_ context: RequestContext) -> String {
        context.clientHost.isEmpty ? inProcessClientHost : context.clientHost
    }

    /// Whether `node` coordinates `groupId` now: nil if it does, else the error to report.
    func coordinatorError(for groupId: String, on node: Broker) -> ErrorCode? {
        guard metadata.image.topic(named: OffsetsTopic.name) != nil else { return .notCoordinator }
        switch node.groups.partitions[node.groups.partition(of: groupId)] {
        case .loaded: return nil
        case .loading, .reading: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        }
    }
}
