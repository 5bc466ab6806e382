/// OffsetDelete (API key 47): delete a group's committed offsets for partitions it no longer
/// consumes (KIP-496). Fields follow Kafka's `OffsetDeleteRequest.json` /
/// `OffsetDeleteResponse.json` (v0).
public struct OffsetDeleteRequest: Sendable, Equatable {
    public var groupId: String
    public var topics: [OffsetDeleteRequestTopic]

    public init(groupId: String, topics: [OffsetDeleteRequestTopic]) {
        self.groupId = groupId
        self.topics = topics
    }

    /// Deletes one partition's committed offset.
    public init(groupId: String, topic: String, partition: Int32) {
        self.init(groupId: groupId, topics: [OffsetDeleteRequestTopic(name: topic, partitions: [.init(partitionIndex: partition)])])
    }

    public struct OffsetDeleteRequestTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [OffsetDeleteRequestPartition]

        public init(name: String, partitions: [OffsetDeleteRequestPartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct OffsetDeleteRequestPartition: Sendable, Equatable {
        public var partitionIndex: Int32

        public init(partitionIndex: Int32) {
            self.partitionIndex = partitionIndex
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0.partitionIndex) } }
    }

    /// Kafka's `OffsetDeleteRequest.getErrorResponse`: `error` at the top level only, no partition results.
    public func errorResponse(_ error: ErrorCode) -> OffsetDeleteResponse {
        OffsetDeleteResponse(errorCode: error)
    }
}

public struct OffsetDeleteResponse: Sendable, Equatable {
    /// Group-level error, e.g. GROUP_ID_NOT_FOUND.
    public var errorCode: ErrorCode
    public var throttleTimeMs: Int32
    public var topics: [OffsetDeleteResponseTopic]

    public init(errorCode: ErrorCode = .none, throttleTimeMs: Int32 = 0, topics: [OffsetDeleteResponseTopic] = []) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct OffsetDeleteResponseTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [OffsetDeleteResponsePartition]

        public init(name: String, partitions: [OffsetDeleteResponsePartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct OffsetDeleteResponsePartition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// GROUP_SUBSCRIBED_TO_TOPIC while the group still consumes the topic.
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> OffsetDeleteResponsePartition? {
        for t in topics where t.name == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
