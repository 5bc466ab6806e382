extension OffsetFetchRequest {
    /// The request as read off the wire in `version`: the single-group form for v0-7 (null
    /// `topics`, every partition, from v2), the group form for v8+.
    public init(wire: Wire.OffsetFetchRequest, version: Int16) {
        if version >= 8 {
            self.init(groups: wire.groups.map { g in
                OffsetFetchRequestGroup(groupId: g.groupId, memberId: g.memberId, memberEpoch: g.memberEpoch,
                                        topics: g.topics?.map { OffsetFetchRequestTopic(name: $0.name, partitionIndexes: $0.partitionIndexes) })
            }, requireStable: wire.requireStable)
        } else {
            self.init(groupId: wire.groupId,
                      topics: wire.topics?.map { OffsetFetchRequestTopic(name: $0.name, partitionIndexes: $0.partitionIndexes) },
                      requireStable: wire.requireStable)
        }
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// As Kafka's `OffsetFetchRequest.Builder`: v8+ always uses `groups` (the single-group form
    /// becomes one group); v0-7 carry one group, the first of the group form (Kafka refuses more
    /// than one). Where Kafka's builder refuses, this drops: `requireStable` before v7, null
    /// topics (all partitions) before v2 (sent as an empty list), member id and epoch before v9.
    public func wire(version: Int16) -> Wire.OffsetFetchRequest {
        if version >= 8 {
            return Wire.OffsetFetchRequest(groups: allGroups.map { g in
                .init(groupId: g.groupId, memberId: version >= 9 ? g.memberId : nil, memberEpoch: version >= 9 ? g.memberEpoch : -1,
                      topics: g.topics?.map { .init(name: $0.name, partitionIndexes: $0.partitionIndexes) })
            }, requireStable: requireStable)
        }
        let group = allGroups[0]
        let topics = group.topics?.map { Wire.OffsetFetchRequest.OffsetFetchRequestTopic(name: $0.name, partitionIndexes: $0.partitionIndexes) }
        return Wire.OffsetFetchRequest(groupId: group.groupId, topics: version >= 2 ? topics : topics ?? [],
                                       requireStable: version >= 7 && requireStable)
    }
}

extension OffsetFetchResponse {
    /// The response as read off the wire in `version`: single-group form (`topics`, `errorCode`)
    /// for v0-7, group form for v8+. v0-1 have no top-level error; as Kafka's
    /// `OffsetFetchResponse`, `errorCode` is then the first partition error that is not a
    /// partition error proper (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED).
    public init(wire: Wire.OffsetFetchResponse, version: Int16) {
        if version >= 8 {
            self.init(throttleTimeMs: wire.throttleTimeMs, groups: wire.groups.map { g in
                OffsetFetchResponseGroup(groupId: g.groupId, topics: g.topics.map { t in
                    OffsetFetchResponseTopic(name: t.name, partitions: t.partitions.map {
                        OffsetFetchResponsePartition(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                                                     committedLeaderEpoch: $0.committedLeaderEpoch, metadata: $0.metadata, errorCode: $0.errorCode)
                    })
                }, errorCode: g.errorCode)
            })
            return
        }
        let topics = wire.topics.map { t in
            OffsetFetchResponseTopic(name: t.name, partitions: t.partitions.map {
                OffsetFetchResponsePartition(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                                             committedLeaderEpoch: $0.committedLeaderEpoch, metadata: $0.metadata, errorCode: $0.errorCode)
            })
        }
        var errorCode = wire.errorCode
        if version < 2 {
            let partitionErrors: Set<ErrorCode> = [.none, .unknownTopicOrPartition, .topicAuthorizationFailed]
            errorCode = topics.lazy.flatMap(\.partitions).map(\.errorCode).first { !partitionErrors.contains($0) } ?? .none
        }
        self.init(throttleTimeMs: wire.throttleTimeMs, topics: topics, errorCode: errorCode)
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// As Kafka's `OffsetFetchResponse`: v8+ answer in `groups` (a single-group-form response
    /// becomes one group with an empty id); v0-7 answer one group (the first of the group form)
    /// in `topics` and, v2+, the top-level `errorCode`. v0-1 have no top-level error: a group
    /// error goes into every partition (offset -1, no metadata), so a group error with no
    /// partitions cannot be told in v0-1.
    public func wire(version: Int16) -> Wire.OffsetFetchResponse {
        let throttle = version >= 3 ? throttleTimeMs : 0
        if version >= 8 {
            let all = !groups.isEmpty || (topics.isEmpty && errorCode == .none)
                ? groups : [OffsetFetchResponseGroup(groupId: "", topics: topics, errorCode: errorCode)]
            return Wire.OffsetFetchResponse(throttleTimeMs: throttle, groups: all.map { g in
                .init(groupId: g.groupId, topics: g.topics.map { t in
                    .init(name: t.name, partitions: t.partitions.map {
                        .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                              committedLeaderEpoch: $0.committedLeaderEpoch, metadata: $0.metadata, errorCode: $0.errorCode)
                    })
                }, errorCode: g.errorCode)
            })
        }
        let (topics, error) = groups.first.map { ($0.topics, $0.errorCode) } ?? (self.topics, errorCode)
        return Wire.OffsetFetchResponse(throttleTimeMs: throttle, topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map {
                if version < 2 && error != .none {
                    return .init(partitionIndex: $0.partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: "", errorCode: error)
                }
                return .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                             committedLeaderEpoch: version >= 5 ? $0.committedLeaderEpoch : -1, metadata: $0.metadata, errorCode: $0.errorCode)
            })
        }, errorCode: version >= 2 ? error : .none)
    }
}
