/// ListOffsets (API key 2): the offset for a timestamp, or for a special position. Fields follow
/// Kafka's `ListOffsetsRequest.json` / `ListOffsetsResponse.json` (v10).
public struct ListOffsetsRequest: Sendable, Equatable {
    /// Special `timestamp` values (Kafka's `ListOffsetsRequest` constants).
    public static let latestTimestamp: Int64 = -1
    public static let earliestTimestamp: Int64 = -2
    /// The offset of the record with the largest timestamp (KIP-734).
    public static let maxTimestamp: Int64 = -3
    /// The first offset still on local disk (tiered storage, KIP-405).
    public static let earliestLocalTimestamp: Int64 = -4
    /// The highest offset already in remote storage (KIP-1005).
    public static let latestTieredTimestamp: Int64 = -5
    /// Kafka's `CONSUMER_REPLICA_ID`; `-2` is `DEBUGGING_REPLICA_ID` (may read up to the log end).
    public static let consumerReplicaId: Int32 = -1

    public var replicaId: Int32
    /// read_committed answers "latest" with the last stable offset instead of the high watermark.
    public var isolationLevel: IsolationLevel
    public var topics: [ListOffsetsTopic]
    /// How long to wait for remote (tiered) storage (v10+).
    public var timeoutMs: Int32

    public init(replicaId: Int32 = -1, isolationLevel: IsolationLevel = .readUncommitted, topics: [ListOffsetsTopic],
                timeoutMs: Int32 = 30000) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    /// One partition's offset for `timestamp` (or a special value above).
    public init(topic: String, partition: Int32, timestamp: Int64, currentLeaderEpoch: Int32 = -1,
                isolationLevel: IsolationLevel = .readUncommitted) {
        self.init(isolationLevel: isolationLevel, topics: [ListOffsetsTopic(name: topic, partitions: [
            ListOffsetsPartition(partitionIndex: partition, currentLeaderEpoch: currentLeaderEpoch, timestamp: timestamp),
        ])])
    }

    public struct ListOffsetsTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [ListOffsetsPartition]

        public init(name: String, partitions: [ListOffsetsPartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct ListOffsetsPartition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// -1 to skip the leader epoch check.
        public var currentLeaderEpoch: Int32
        /// A record timestamp in ms, or one of the special values.
        public var timestamp: Int64

        public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partitionIndex) } }
    }

    /// Kafka's `ListOffsetsRequest.getErrorResponse`: `error` in every partition, offset,
    /// timestamp and epoch -1.
    public func errorResponse(_ error: ErrorCode) -> ListOffsetsResponse {
        ListOffsetsResponse(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error) })
        })
    }
}

public struct ListOffsetsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [ListOffsetsTopicResponse]

    public init(throttleTimeMs: Int32 = 0, topics: [ListOffsetsTopicResponse]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct ListOffsetsTopicResponse: Sendable, Equatable {
        public var name: String
        public var partitions: [ListOffsetsPartitionResponse]

        public init(name: String, partitions: [ListOffsetsPartitionResponse]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct ListOffsetsPartitionResponse: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        /// The timestamp of the record at `offset`, -1 if none (e.g. for earliest/latest).
        public var timestamp: Int64
        /// -1 when no record matches.
        public var offset: Int64
        /// The leader epoch of the record at `offset`, -1 if unknown.
        public var leaderEpoch: Int32

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none, timestamp: Int64 = -1, offset: Int64 = -1,
                    leaderEpoch: Int32 = -1) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> ListOffsetsPartitionResponse? {
        for t in topics where t.name == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
