extension ListOffsetsRequest {
    /// The request as read off the wire in `version`: read_uncommitted before v2, no leader
    /// epoch (-1) before v4. v0's `MaxNumOffsets` is not kept: the domain answer is one offset,
    /// which is all Kafka's clients ask for. Kafka 3.9's schemas have no timeout (v10 adds it),
    /// so `timeoutMs` keeps its default.
    public init(wire: Wire.ListOffsetsRequest, version: Int16) {
        self.init(replicaId: wire.replicaId, isolationLevel: IsolationLevel(wire: wire.isolationLevel), topics: wire.topics.map { t in
            ListOffsetsTopic(name: t.name, partitions: t.partitions.map {
                ListOffsetsPartition(partitionIndex: $0.partitionIndex, currentLeaderEpoch: $0.currentLeaderEpoch, timestamp: $0.timestamp)
            })
        })
    }

    /// The wire form of the request for `version`: only fields that version carries are set
    /// (v0 asks for one offset, `MaxNumOffsets` 1). Kafka's client picks v2+ for read_committed
    /// and v7/v8/v9 for the max-timestamp/earliest-local/latest-tiered specials; here the
    /// isolation level is dropped before v2, the leader epoch before v4, and timestamps pass as
    /// they are.
    public func wire(version: Int16) -> Wire.ListOffsetsRequest {
        Wire.ListOffsetsRequest(replicaId: replicaId, isolationLevel: version >= 2 ? isolationLevel.rawValue : 0, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map {
                .init(partitionIndex: $0.partitionIndex, currentLeaderEpoch: version >= 4 ? $0.currentLeaderEpoch : -1, timestamp: $0.timestamp)
            })
        })
    }
}

extension ListOffsetsResponse {
    /// The response as read off the wire in `version`. v0 answers with a list of old-style
    /// offsets and no timestamp: the offset is its first entry, -1 if empty (as Kafka's
    /// consumer reads it). No leader epoch (-1) before v4, no throttle time before v2.
    public init(wire: Wire.ListOffsetsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            ListOffsetsTopicResponse(name: t.name, partitions: t.partitions.map {
                ListOffsetsPartitionResponse(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode, timestamp: $0.timestamp,
                                             offset: version == 0 ? $0.oldStyleOffsets.first ?? -1 : $0.offset,
                                             leaderEpoch: $0.leaderEpoch)
            })
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// v0 sends the offset as a one-entry old-style list (empty when it is -1, as Kafka's
    /// broker answers when it has none) and no timestamp.
    public func wire(version: Int16) -> Wire.ListOffsetsResponse {
        Wire.ListOffsetsResponse(throttleTimeMs: version >= 2 ? throttleTimeMs : 0, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map {
                .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode,
                      oldStyleOffsets: version == 0 && $0.offset >= 0 ? [$0.offset] : [],
                      timestamp: version >= 1 ? $0.timestamp : -1, offset: version >= 1 ? $0.offset : -1,
                      leaderEpoch: version >= 4 ? $0.leaderEpoch : -1)
            })
        })
    }
}
