extension OffsetForLeaderEpochRequest {
    /// The request as read off the wire in `version`. Before v3 there is no replica id: it reads
    /// as -2, the debugging consumer that may look past the high watermark, which is how Kafka
    /// treats the followers that sent those versions. No current leader epoch (-1) before v2.
    public init(wire: Wire.OffsetForLeaderEpochRequest, version: Int16) {
        self.init(replicaId: wire.replicaId, topics: wire.topics.map { t in
            OffsetForLeaderTopic(topic: t.topic, partitions: t.partitions.map {
                OffsetForLeaderPartition(partition: $0.partition, currentLeaderEpoch: $0.currentLeaderEpoch, leaderEpoch: $0.leaderEpoch)
            })
        })
    }

    /// The wire form of the request for `version`: only fields that version carries are set
    /// (the replica id from v3, the current leader epoch from v2).
    public func wire(version: Int16) -> Wire.OffsetForLeaderEpochRequest {
        Wire.OffsetForLeaderEpochRequest(replicaId: version >= 3 ? replicaId : -2, topics: topics.map { t in
            .init(topic: t.topic, partitions: t.partitions.map {
                .init(partition: $0.partition, currentLeaderEpoch: version >= 2 ? $0.currentLeaderEpoch : -1, leaderEpoch: $0.leaderEpoch)
            })
        })
    }
}

extension OffsetForLeaderEpochResponse {
    /// The response as read off the wire in `version`: no leader epoch (-1) in v0, no throttle
    /// time before v2.
    public init(wire: Wire.OffsetForLeaderEpochResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            OffsetForLeaderTopicResult(topic: t.topic, partitions: t.partitions.map {
                EpochEndOffset(errorCode: $0.errorCode, partition: $0.partition, leaderEpoch: $0.leaderEpoch, endOffset: $0.endOffset)
            })
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.OffsetForLeaderEpochResponse {
        Wire.OffsetForLeaderEpochResponse(throttleTimeMs: version >= 2 ? throttleTimeMs : 0, topics: topics.map { t in
            .init(topic: t.topic, partitions: t.partitions.map {
                .init(errorCode: $0.errorCode, partition: $0.partition, leaderEpoch: version >= 1 ? $0.leaderEpoch : -1, endOffset: $0.endOffset)
            })
        })
    }
}
