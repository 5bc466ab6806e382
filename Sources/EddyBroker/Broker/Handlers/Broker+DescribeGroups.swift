import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// DescribeGroups (v6): a group this coordinator does not hold is Dead with GROUP_ID_NOT_FOUND.
    func handleDescribeGroups(_ r: DescribeGroupsRequest) -> DescribeGroupsResponse {
        DescribeGroupsResponse(groups: r.groups.map { groupId in
            if let e = cluster.coordinatorError(for: groupId, on: self) { return .init(errorCode: e, groupId: groupId) }
            let coordinator = groups.coordinator
            guard let group = coordinator.groups[groupId], group.state != .dead else {
                return .init(errorCode: .groupIdNotFound, errorMessage: "Group \(groupId) not found.", groupId: groupId,
                             groupState: GroupState.dead.rawValue)
            }
            let d = coordinator.describeGroup(groupId)
            return .init(groupId: groupId, groupState: d.state.rawValue, protocolType: d.protocolType, protocolData: d.protocolName,
                         members: d.members.map {
                             .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                                   clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                         })
        })
    }
}
