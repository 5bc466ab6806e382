/// OffsetForLeaderEpoch (API key 23): where a leader epoch ends on this replica (KIP-101/279).
/// Fields follow Kafka's `OffsetForLeaderEpochRequest.json` / `OffsetForLeaderEpochResponse.json` (v4).
///
/// The answer for a requested `leaderEpoch` is the largest epoch <= it that the replica knows,
/// with that epoch's end offset: the start offset of the next larger epoch, or the log end
/// offset if it is the latest. A follower truncates to min(that end offset, its own end of the
/// epoch) before fetching, so no diverged suffix survives a leader change.
public struct OffsetForLeaderEpochRequest: Sendable, Equatable {
    /// Kafka's `CONSUMER_REPLICA_ID`; the schema default is `debuggingReplicaId`.
    public static let consumerReplicaId: Int32 = -1
    public static let debuggingReplicaId: Int32 = -2

    /// The follower's broker id, -1 for a consumer (which may only ask the leader).
    public var replicaId: Int32
    public var topics: [OffsetForLeaderTopic]

    public init(replicaId: Int32 = -2, topics: [OffsetForLeaderTopic]) {
        self.replicaId = replicaId
        self.topics = topics
    }

    /// One partition's end offset for `leaderEpoch`.
    public init(topic: String, partition: Int32, leaderEpoch: Int32, currentLeaderEpoch: Int32 = -1, replicaId: Int32 = -2) {
        self.init(replicaId: replicaId, topics: [OffsetForLeaderTopic(topic: topic, partitions: [
            OffsetForLeaderPartition(partition: partition, currentLeaderEpoch: currentLeaderEpoch, leaderEpoch: leaderEpoch),
        ])])
    }

    public struct OffsetForLeaderTopic: Sendable, Equatable {
        public var topic: String
        public var partitions: [OffsetForLeaderPartition]

        public init(topic: String, partitions: [OffsetForLeaderPartition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public struct OffsetForLeaderPartition: Sendable, Equatable {
        public var partition: Int32
        /// Fences callers with stale metadata, -1 to skip: older than the replica's ->
        /// FENCED_LEADER_EPOCH, newer -> UNKNOWN_LEADER_EPOCH.
        public var currentLeaderEpoch: Int32
        /// The epoch to look up.
        public var leaderEpoch: Int32

        public init(partition: Int32, currentLeaderEpoch: Int32 = -1, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0.partition) } }
    }

    /// Kafka's `OffsetsForLeaderEpochRequest.getErrorResponse`: `error` in every partition,
    /// epoch and end offset -1 (`UNDEFINED_EPOCH`, `UNDEFINED_EPOCH_OFFSET`).
    public func errorResponse(_ error: ErrorCode) -> OffsetForLeaderEpochResponse {
        OffsetForLeaderEpochResponse(topics: topics.map { t in
            .init(topic: t.topic, partitions: t.partitions.map { .init(errorCode: error, partition: $0.partition) })
        })
    }
}

public struct OffsetForLeaderEpochResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [OffsetForLeaderTopicResult]

    public init(throttleTimeMs: Int32 = 0, topics: [OffsetForLeaderTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct OffsetForLeaderTopicResult: Sendable, Equatable {
        public var topic: String
        public var partitions: [EpochEndOffset]

        public init(topic: String, partitions: [EpochEndOffset]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public struct EpochEndOffset: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var partition: Int32
        /// The largest epoch <= the requested one that the replica knows; -1 if none.
        public var leaderEpoch: Int32
        /// Where `leaderEpoch` ends (exclusive); -1 if unknown.
        public var endOffset: Int64

        public init(errorCode: ErrorCode = .none, partition: Int32, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> EpochEndOffset? {
        for t in topics where t.topic == topic {
            if let p = t.partitions.first(where: { $0.partition == partition }) { return p }
        }
        return nil
    }
}
