/// OffsetCommit (API key 8): store a group's consumed positions. Fields follow Kafka's
/// `OffsetCommitRequest.json` / `OffsetCommitResponse.json` (v9).
///
/// A committed offset is the offset of the next record to consume.
public struct OffsetCommitRequest: Sendable, Equatable {
    public var groupId: String
    /// The classic group's generation, or the consumer group member's epoch (KIP-848); -1
    /// for a commit from outside the group (simple/admin commits, which need an empty group).
    public var generationIdOrMemberEpoch: Int32
    /// Empty for a commit from outside the group.
    public var memberId: String
    public var groupInstanceId: String?
    /// How long to keep the offsets, -1 for the broker's `offsets.retention.minutes` (v2-4
    /// only; Kafka expires the commit at its commit time + this when set).
    public var retentionTimeMs: Int64
    public var topics: [OffsetCommitRequestTopic]

    public init(groupId: String, generationIdOrMemberEpoch: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil,
                retentionTimeMs: Int64 = -1, topics: [OffsetCommitRequestTopic]) {
        self.groupId = groupId
        self.generationIdOrMemberEpoch = generationIdOrMemberEpoch
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    /// Commits one partition's offset.
    public init(groupId: String, topic: String, partition: Int32, offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = "",
                generationIdOrMemberEpoch: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil) {
        self.init(groupId: groupId, generationIdOrMemberEpoch: generationIdOrMemberEpoch, memberId: memberId,
                  groupInstanceId: groupInstanceId, topics: [OffsetCommitRequestTopic(name: topic, partitions: [
                      OffsetCommitRequestPartition(partitionIndex: partition, committedOffset: offset,
                                                   committedLeaderEpoch: leaderEpoch, committedMetadata: metadata),
                  ])])
    }

    public struct OffsetCommitRequestTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [OffsetCommitRequestPartition]

        public init(name: String, partitions: [OffsetCommitRequestPartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct OffsetCommitRequestPartition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        /// The leader epoch of the last consumed record, -1 if unknown (v6+).
        public var committedLeaderEpoch: Int32
        /// The commit's timestamp, -1 for the time the broker receives it (v1 only).
        public var commitTimestamp: Int64
        /// Free-form client metadata stored with the offset; longer than
        /// `offset.metadata.max.bytes` is OFFSET_METADATA_TOO_LARGE.
        public var committedMetadata: String?

        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, commitTimestamp: Int64 = -1,
                    committedMetadata: String? = "") {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
            self.committedMetadata = committedMetadata
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partitionIndex) } }
    }

    /// Kafka's `OffsetCommitRequest.getErrorResponse`: `error` in every partition.
    public func errorResponse(_ error: ErrorCode) -> OffsetCommitResponse {
        OffsetCommitResponse(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error) })
        })
    }
}

public struct OffsetCommitResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [OffsetCommitResponseTopic]

    public init(throttleTimeMs: Int32 = 0, topics: [OffsetCommitResponseTopic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct OffsetCommitResponseTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [OffsetCommitResponsePartition]

        public init(name: String, partitions: [OffsetCommitResponsePartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct OffsetCommitResponsePartition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> OffsetCommitResponsePartition? {
        for t in topics where t.name == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
