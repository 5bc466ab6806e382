import EddyProtocol

extension GroupPositions {
    /// The positions `registry`'s open consumers of `groupId` report, one per partition they
    /// own. When several claim a partition (one is stale, e.g. it has not noticed a rebalance
    /// yet), the member `owners` names wins, else the one that polled last.
    public static func livePositions(groupId: String, registry: LiveConsumers,
                                     owners: [TopicPartition: Admin.MemberDescription]) -> [TopicPartition: LivePosition] {
        var chosen: [TopicPartition: (position: LivePosition, lastPollMs: Int64)] = [:]
        for state in registry.snapshot(groupId: groupId) {
            for tp in state.assignment {
                let candidate = LivePosition(memberId: state.memberId, clientId: state.clientId, position: state.positions[tp])
                if let current = chosen[tp] {
                    let owner = owners[tp]?.memberId
                    let currentOwns = current.position.memberId == owner, candidateOwns = state.memberId == owner
                    guard candidateOwns && !currentOwns || candidateOwns == currentOwns && state.lastPollMs > current.lastPollMs else {
                        continue
                    }
                }
                chosen[tp] = (candidate, state.lastPollMs)
            }
        }
        return chosen.mapValues(\.position)
    }
}
