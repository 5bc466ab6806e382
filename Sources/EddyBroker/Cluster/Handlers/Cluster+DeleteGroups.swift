import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to `deferred`.
extension Cluster {
    /// DeleteGroups: per group NOT_COORDINATOR / GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP, or deleted;
    /// answered once the tombstones are committed.
    func handleDeleteGroups(_ r: DeleteGroupsRequest, on node: BrokerNode, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var results: [String: ErrorCode] = [:]
        var here: [String] = []
        for groupId in r.groupsNames {
            if let e = coordinatorError(for: groupId, on: node) { results[groupId] = e } else if !here.contains(groupId) { here.append(groupId) }
        }
        let outcome = node.groups.coordinator.deleteGroups(here, now: clock.nowMs())
        results.merge(outcome.response) { a, _ in a }
        let partitions = Dictionary(here.map { ($0, node.groups.partition(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let names = r.groupsNames
        let decided = results
        carryOut(outcome.actions, on: node) { errors in
            respond(.deleteGroups(DeleteGroupsResponse(results: names.map { groupId in
                var e = decided[groupId] ?? .unknownServerError
                if e == .none, let p = partitions[groupId] { e = Cluster.offsetWriteError(errors[p] ?? .none) }
                return .init(groupId: groupId, errorCode: e)
            })))
        }
    }
}
