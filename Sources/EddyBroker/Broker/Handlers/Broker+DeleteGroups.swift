import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// DeleteGroups: per group NOT_COORDINATOR / GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP, or deleted;
    /// answered once the tombstones are committed.
    func handleDeleteGroups(_ r: DeleteGroupsRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var results: [String: ErrorCode] = [:]
        var here: [String] = []
        for groupId in r.groupsNames {
            if let e = cluster.coordinatorError(for: groupId, on: self) { results[groupId] = e } else if !here.contains(groupId) { here.append(groupId) }
        }
        let outcome = groups.coordinator.deleteGroups(here, now: cluster.clock.nowMs())
        results.merge(outcome.response) { a, _ in a }
        let partitions = Dictionary(here.map { ($0, groups.partition(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let names = r.groupsNames
        let decided = results
        cluster.carryOut(outcome.actions, on: self) { errors in
            respond(.deleteGroups(DeleteGroupsResponse(results: names.map { groupId in
                var e = decided[groupId] ?? .unknownServerError
                if e == .none, let p = partitions[groupId] { e = Cluster.offsetWriteError(errors[p] ?? .none) }
                return .init(groupId: groupId, errorCode: e)
            })))
        }
    }
}
