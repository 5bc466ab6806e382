import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// FindCoordinator for consumer groups and transactional ids: the leader of the key's
    /// `__consumer_offsets` or `__transaction_state` partition, creating the topic on first use.
    /// COORDINATOR_NOT_AVAILABLE while that partition has no running leader. eddy has no share
    /// coordinator (INVALID_REQUEST).
    func handleFindCoordinator(_ request: FindCoordinatorRequest, listener: String) -> FindCoordinatorResponse {
        guard request.keyType == .group || request.keyType == .transaction else {
            return request.errorResponse(.invalidRequest, message: "eddy has no share coordinator.")
        }
        let topic: TopicImage
        do {
            topic = try request.keyType == .group ? cluster.ensureOffsetsTopic() : cluster.ensureTransactionStateTopic()
        } catch {
            cluster.logger.warning("could not create a coordinator topic", metadata: ["error": "\(error)"])
            return request.errorResponse(.coordinatorNotAvailable, message: "The coordinator is not available: \(error)")
        }
        func lookup(_ key: String) -> FindCoordinatorResponse.Coordinator {
            let p = OffsetsTopic.partitionFor(groupId: key, partitionCount: Int32(max(1, topic.partitionCount)))
            guard let reg = topic.partitions[p], reg.hasLeader, cluster.nodes[reg.leader] != nil else {
                return .init(key: key, errorCode: .coordinatorNotAvailable, errorMessage: "The coordinator is not available.")
            }
            let endpoint = cluster.advertisedEndpoint(reg.leader, listener: listener)
            return .init(key: key, nodeId: reg.leader, host: endpoint.host, port: endpoint.port)
        }
        if request.isBatched { return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map(lookup)) }
        let c = lookup(request.key)
        return FindCoordinatorResponse(errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port)
    }
}
