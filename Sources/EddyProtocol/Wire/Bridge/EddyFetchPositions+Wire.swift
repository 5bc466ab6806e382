extension EddyFetchPositionsRequest {
    public init(wire: Wire.EddyFetchPositionsRequest, version: Int16) {
        self.init(partitions: wire.topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } })
    }

    /// Partitions grouped by topic, in order of first appearance.
    public func wire(version: Int16) -> Wire.EddyFetchPositionsRequest {
        var order: [String] = []
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions {
            if byTopic[tp.topic] == nil { order.append(tp.topic) }
            byTopic[tp.topic, default: []].append(tp.partition)
        }
        return Wire.EddyFetchPositionsRequest(topics: order.map { .init(name: $0, partitionIndexes: byTopic[$0]!) })
    }
}

extension EddyFetchPositionsResponse {
    public init(wire: Wire.EddyFetchPositionsResponse, version: Int16) {
        var fetchers: [TopicPartition: [Fetcher]] = [:]
        for t in wire.topics {
            for p in t.partitions {
                fetchers[TopicPartition(t.name, p.partitionIndex)] = p.fetchers.map {
                    Fetcher(clientId: $0.clientId, clientHost: $0.clientHost, fetchOffset: $0.fetchOffset, lastFetchMs: $0.lastFetchMs)
                }
            }
        }
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, fetchers: fetchers)
    }

    /// Topics sorted by name, partitions by index.
    public func wire(version: Int16) -> Wire.EddyFetchPositionsResponse {
        let byTopic = Dictionary(grouping: fetchers.keys, by: \.topic)
        return Wire.EddyFetchPositionsResponse(throttleTimeMs: throttleTimeMs, errorCode: errorCode, topics: byTopic.keys.sorted().map { topic in
            .init(name: topic, partitions: byTopic[topic]!.sorted { $0.partition < $1.partition }.map { tp in
                .init(partitionIndex: tp.partition, fetchers: fetchers[tp]!.map {
                    .init(clientId: $0.clientId, clientHost: $0.clientHost, fetchOffset: $0.fetchOffset, lastFetchMs: $0.lastFetchMs)
                })
            })
        })
    }
}
