/// DeleteRecords (API key 21): advance partitions' log start offsets. Fields follow Kafka's
/// `DeleteRecordsRequest.json` / `DeleteRecordsResponse.json` (v2).
public struct DeleteRecordsRequest: Sendable, Equatable {
    /// Kafka's `DeleteRecordsRequest.HIGH_WATERMARK`: an `offset` meaning "up to the high watermark".
    public static let highWatermark: Int64 = -1

    public var topics: [DeleteRecordsTopic]
    /// How long to wait for every replica's log start offset to advance.
    public var timeoutMs: Int32

    public init(topics: [DeleteRecordsTopic], timeoutMs: Int32 = 30000) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    /// Deletes one partition's records below `offset`.
    public init(topic: String, partition: Int32, offset: Int64, timeoutMs: Int32 = 30000) {
        self.init(topics: [DeleteRecordsTopic(name: topic, partitions: [DeleteRecordsPartition(partitionIndex: partition, offset: offset)])],
                  timeoutMs: timeoutMs)
    }

    public struct DeleteRecordsTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [DeleteRecordsPartition]

        public init(name: String, partitions: [DeleteRecordsPartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct DeleteRecordsPartition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// The new log start offset (records below it are deleted), or `highWatermark`.
        public var offset: Int64

        public init(partitionIndex: Int32, offset: Int64) {
            self.partitionIndex = partitionIndex
            self.offset = offset
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partitionIndex) } }
    }

    /// Kafka's `DeleteRecordsRequest.getErrorResponse`: `error` in every partition, low watermark -1.
    public func errorResponse(_ error: ErrorCode) -> DeleteRecordsResponse {
        DeleteRecordsResponse(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error) })
        })
    }
}

public struct DeleteRecordsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [DeleteRecordsTopicResult]

    public init(throttleTimeMs: Int32 = 0, topics: [DeleteRecordsTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct DeleteRecordsTopicResult: Sendable, Equatable {
        public var name: String
        public var partitions: [DeleteRecordsPartitionResult]

        public init(name: String, partitions: [DeleteRecordsPartitionResult]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct DeleteRecordsPartitionResult: Sendable, Equatable {
        public var partitionIndex: Int32
        /// The partition's log start offset after the deletion, -1 on error.
        public var lowWatermark: Int64
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, lowWatermark: Int64 = -1, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
            self.errorCode = errorCode
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> DeleteRecordsPartitionResult? {
        for t in topics where t.name == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
