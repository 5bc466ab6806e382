import EddyProtocol

extension Admin {
    /// eddy's EddyFetchPositions: the consumer clients that recently fetched each partition,
    /// with the offset of their latest fetch. Empty for a cluster that does not list the API
    /// (Apache Kafka): positions are then known only for this process's consumers.
    public func fetchPositions(_ partitions: [TopicPartition]) async -> [TopicPartition: [EddyFetchPositionsResponse.Fetcher]] {
        guard !partitions.isEmpty,
              let (_, response) = try? await client.sendToAnyBroker(.eddyFetchPositions(EddyFetchPositionsRequest(partitions: partitions))),
              case let .eddyFetchPositions(r) = response, r.errorCode == .none else { return [:] }
        return r.fetchers
    }

    /// The position of each assigned partition of a group: what this process's own consumers
    /// report (`registry`), else the latest fetch of the owning member's client (same client id
    /// and host) as the broker saw it, so consumers in any language have one.
    func memberPositions(_ description: ConsumerGroupDescription, registry: LiveConsumers) async -> [TopicPartition: GroupPositions.LivePosition] {
        var positions = GroupPositions.livePositions(groupId: description.groupId, registry: registry, owners: description.assignments)
        let missing = description.assignments.keys.filter { positions[$0] == nil }
        guard !missing.isEmpty else { return positions }
        let fetched = await fetchPositions(missing.sorted())
        for tp in missing {
            guard let owner = description.assignments[tp],
                  let fetch = fetched[tp]?.first(where: { $0.clientId == owner.clientId && $0.clientHost == owner.host }) else { continue }
            positions[tp] = GroupPositions.LivePosition(memberId: owner.memberId, clientId: owner.clientId, position: fetch.fetchOffset)
        }
        return positions
    }
}
