extension OffsetCommitRequest {
    /// The request as read off the wire in `version`. v0 carries no membership (generation -1,
    /// no member id: a commit from outside the group); the commit timestamp exists in v1 only and
    /// the retention time in v2-4 only, so both are -1 in other versions.
    public init(wire: Wire.OffsetCommitRequest, version: Int16) {
        self.init(groupId: wire.groupId, generationIdOrMemberEpoch: wire.generationIdOrMemberEpoch, memberId: wire.memberId,
                  groupInstanceId: wire.groupInstanceId, retentionTimeMs: wire.retentionTimeMs,
                  topics: wire.topics.map { t in
                      OffsetCommitRequestTopic(name: t.name, partitions: t.partitions.map {
                          OffsetCommitRequestPartition(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                                                       committedLeaderEpoch: $0.committedLeaderEpoch, commitTimestamp: $0.commitTimestamp,
                                                       committedMetadata: $0.committedMetadata)
                      })
                  })
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// Kafka's builder refuses a `groupInstanceId` before v7; here it is dropped (the commit then
    /// comes from the dynamic member `memberId`). The leader epoch is dropped before v6, the
    /// commit timestamp outside v1, the retention time outside v2-4.
    public func wire(version: Int16) -> Wire.OffsetCommitRequest {
        Wire.OffsetCommitRequest(
            groupId: groupId,
            generationIdOrMemberEpoch: version >= 1 ? generationIdOrMemberEpoch : -1,
            memberId: version >= 1 ? memberId : "",
            groupInstanceId: version >= 7 ? groupInstanceId : nil,
            retentionTimeMs: (2 ... 4).contains(version) ? retentionTimeMs : -1,
            topics: topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                          committedLeaderEpoch: version >= 6 ? $0.committedLeaderEpoch : -1,
                          commitTimestamp: version == 1 ? $0.commitTimestamp : -1,
                          committedMetadata: $0.committedMetadata)
                })
            })
    }
}

extension OffsetCommitResponse {
    /// The response as read off the wire in `version` (no throttle time before v3: 0).
    public init(wire: Wire.OffsetCommitResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: wire.topics.map { t in
            OffsetCommitResponseTopic(name: t.name, partitions: t.partitions.map {
                OffsetCommitResponsePartition(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode)
            })
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.OffsetCommitResponse {
        Wire.OffsetCommitResponse(throttleTimeMs: version >= 3 ? throttleTimeMs : 0, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: $0.errorCode) })
        })
    }
}
