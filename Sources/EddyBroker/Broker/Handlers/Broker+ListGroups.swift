import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// ListGroups: the groups this broker coordinates (clients ask every broker), filtered by
    /// state (case-insensitive) and type (eddy's groups are all `classic`).
    /// COORDINATOR_LOAD_IN_PROGRESS, with the groups loaded so far, while a partition loads.
    func handleListGroups(_ r: ListGroupsRequest) -> ListGroupsResponse {
        let error: ErrorCode = groups.isLoading ? .coordinatorLoadInProgress : .none
        if !r.typesFilter.isEmpty, !r.typesFilter.contains(where: { $0.lowercased() == "classic" }) {
            return ListGroupsResponse(errorCode: error)
        }
        let wanted = Set(r.statesFilter.map { $0.lowercased() })
        let states = wanted.isEmpty ? nil : Set(GroupState.allCases.filter { wanted.contains($0.rawValue.lowercased()) })
        return ListGroupsResponse(errorCode: error, groups: groups.coordinator.listGroups(states: states).map {
            .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.state.rawValue, groupType: "classic")
        })
    }
}
