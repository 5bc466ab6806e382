extension FetchRequest {
    /// The request as read off the wire in `version`. The follower's id is top-level in v0-14
    /// and in the tagged `ReplicaState` (with its broker epoch) from v15. Topics carry a name in
    /// v0-12 and only a topic id from v13 (`topic` is then "", for the broker to resolve). Before
    /// v7 there is no session: id 0, epoch -1, Kafka's `FetchMetadata.LEGACY` (a full fetch).
    public init(wire: Wire.FetchRequest, version: Int16) {
        self.init(replicaId: version >= 15 ? wire.replicaState.replicaId : wire.replicaId,
                  replicaEpoch: wire.replicaState.replicaEpoch, maxWaitMs: wire.maxWaitMs, minBytes: wire.minBytes,
                  maxBytes: wire.maxBytes, isolationLevel: IsolationLevel(wire: wire.isolationLevel),
                  sessionId: wire.sessionId, sessionEpoch: wire.sessionEpoch,
                  topics: wire.topics.map { t in
                      FetchTopic(topic: t.topic, topicId: t.topicId, partitions: t.partitions.map {
                          FetchPartition(partition: $0.partition, currentLeaderEpoch: $0.currentLeaderEpoch, fetchOffset: $0.fetchOffset,
                                         lastFetchedEpoch: $0.lastFetchedEpoch, logStartOffset: $0.logStartOffset,
                                         partitionMaxBytes: $0.partitionMaxBytes)
                      })
                  },
                  forgottenTopicsData: wire.forgottenTopicsData.map { ForgottenTopic(topic: $0.topic, topicId: $0.topicId, partitions: $0.partitions) },
                  rackId: wire.rackId)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// As Kafka's `FetchRequest.Builder`: topics (and forgotten topics) go by name in v0-12 and
    /// by topic id in v13+; the replica id moves into `ReplicaState` in v15. Kafka's builder
    /// refuses a last fetched epoch before v12 and forgotten topics before v7 (there are no
    /// sessions); both are dropped here, as are a read_committed level before v4 and the broker
    /// epoch before v15.
    public func wire(version: Int16) -> Wire.FetchRequest {
        let byId = version >= 13
        return Wire.FetchRequest(
            replicaId: version <= 14 ? replicaId : -1,
            replicaState: version >= 15 ? .init(replicaId: replicaId, replicaEpoch: replicaEpoch) : .init(),
            maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: version >= 3 ? maxBytes : Int32.max,
            isolationLevel: version >= 4 ? isolationLevel.rawValue : 0,
            sessionId: version >= 7 ? sessionId : 0, sessionEpoch: version >= 7 ? sessionEpoch : -1,
            topics: topics.map { t in
                .init(topic: byId ? "" : t.topic, topicId: byId ? t.topicId : .zero, partitions: t.partitions.map {
                    .init(partition: $0.partition, currentLeaderEpoch: version >= 9 ? $0.currentLeaderEpoch : -1,
                          fetchOffset: $0.fetchOffset, lastFetchedEpoch: version >= 12 ? $0.lastFetchedEpoch : -1,
                          logStartOffset: version >= 5 ? $0.logStartOffset : -1, partitionMaxBytes: $0.partitionMaxBytes)
                })
            },
            forgottenTopicsData: version >= 7 ? forgottenTopicsData.map {
                .init(topic: byId ? "" : $0.topic, topicId: byId ? $0.topicId : .zero, partitions: $0.partitions)
            } : [],
            rackId: version >= 11 ? rackId : "")
    }
}

extension FetchResponse {
    /// The response as read off the wire in `version`. Null records read as empty. Aborted
    /// transactions exist from v4 (nil before); topics carry a name in v0-12 and only a topic id
    /// from v13 (`topic` is then "").
    public init(wire: Wire.FetchResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, sessionId: wire.sessionId,
                  responses: wire.responses.map { t in
                      FetchableTopicResponse(topic: t.topic, topicId: t.topicId, partitions: t.partitions.map { p in
                          PartitionData(
                              partitionIndex: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark,
                              lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset,
                              divergingEpoch: p.divergingEpoch == .init() ? nil
                                  : EpochEndOffset(epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset),
                              currentLeader: LeaderIdAndEpoch(wire: p.currentLeader),
                              snapshotId: p.snapshotId == .init() ? nil : SnapshotId(endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch),
                              abortedTransactions: version >= 4
                                  ? p.abortedTransactions?.map { AbortedTransaction(producerId: $0.producerId, firstOffset: $0.firstOffset) } : nil,
                              preferredReadReplica: p.preferredReadReplica, records: p.records ?? [])
                      })
                  },
                  nodeEndpoints: wire.nodeEndpoints.map { NodeEndpoint(wire: $0) })
    }

    /// The partitions' `recordsFile`, in the order the encoder writes their `records` (for
    /// `Wire.encodeResponseParts`).
    public var fileRecordsInWireOrder: [FileRecords?] {
        responses.flatMap { $0.partitions.map(\.recordsFile) }
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// A partition without records sends an empty, non-null `records`, as Kafka does. The
    /// top-level error and session id exist from v7 (before, the partitions' errors are all a
    /// client sees), the diverging epoch, current leader and snapshot id (absent = nil) from
    /// v12, the preferred read replica from v11, the leaders' endpoints from v16.
    public func wire(version: Int16) -> Wire.FetchResponse {
        let byId = version >= 13, tagged = version >= 12
        return Wire.FetchResponse(
            throttleTimeMs: version >= 1 ? throttleTimeMs : 0, errorCode: version >= 7 ? errorCode : .none,
            sessionId: version >= 7 ? sessionId : 0,
            responses: responses.map { t in
                .init(topic: byId ? "" : t.topic, topicId: byId ? t.topicId : .zero, partitions: t.partitions.map { p in
                    .init(partitionIndex: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark,
                          lastStableOffset: version >= 4 ? p.lastStableOffset : -1,
                          logStartOffset: version >= 5 ? p.logStartOffset : -1,
                          divergingEpoch: tagged ? p.divergingEpoch.map { .init(epoch: $0.epoch, endOffset: $0.endOffset) } ?? .init() : .init(),
                          currentLeader: LeaderIdAndEpoch.wire(tagged ? p.currentLeader : nil),
                          snapshotId: tagged ? p.snapshotId.map { .init(endOffset: $0.endOffset, epoch: $0.epoch) } ?? .init() : .init(),
                          abortedTransactions: version >= 4
                              ? p.abortedTransactions?.map { .init(producerId: $0.producerId, firstOffset: $0.firstOffset) } : [],
                          preferredReadReplica: version >= 11 ? p.preferredReadReplica : -1, records: p.records)
                })
            },
            nodeEndpoints: version >= 16 ? nodeEndpoints.map { $0.wire() } : [])
    }
}
