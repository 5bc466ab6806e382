/// OffsetFetch (API key 9): read groups' committed offsets. Fields follow Kafka's
/// `OffsetFetchRequest.json` / `OffsetFetchResponse.json` (v8). Versions 0-7 ask about one group
/// (`groupId`, `topics`) and answer in the top-level `topics`/`errorCode`; versions 8+ ask about
/// several (`groups`) and answer in `groups`. A request uses the group form when `groups` is
/// non-empty.
public struct OffsetFetchRequest: Sendable, Equatable {
    /// Single-group form (v0-7): the group.
    public var groupId: String
    /// Single-group form: the partitions to look up, nil for every partition with a committed offset.
    public var topics: [OffsetFetchRequestTopic]?
    /// Group form (v8+).
    public var groups: [OffsetFetchRequestGroup]
    /// Answer UNSTABLE_OFFSET_COMMIT for partitions with a pending transactional commit,
    /// rather than the last stable offset (v7+).
    public var requireStable: Bool

    /// The single-group form.
    public init(groupId: String, topics: [OffsetFetchRequestTopic]?, requireStable: Bool = false) {
        self.groupId = groupId
        self.topics = topics
        self.groups = []
        self.requireStable = requireStable
    }

    /// The group form.
    public init(groups: [OffsetFetchRequestGroup], requireStable: Bool = false) {
        self.groupId = ""
        self.topics = []
        self.groups = groups
        self.requireStable = requireStable
    }

    /// One partition of one group (single-group form).
    public init(groupId: String, topic: String, partition: Int32, requireStable: Bool = false) {
        self.init(groupId: groupId, topics: [OffsetFetchRequestTopic(name: topic, partitionIndexes: [partition])], requireStable: requireStable)
    }

    public struct OffsetFetchRequestTopic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public struct OffsetFetchRequestGroup: Sendable, Equatable {
        public var groupId: String
        /// The member's id when a consumer group (KIP-848) member asks, nil otherwise (v9+).
        public var memberId: String?
        /// The member's epoch when a consumer group (KIP-848) member asks, -1 otherwise (v9+).
        public var memberEpoch: Int32
        /// nil for every partition with a committed offset.
        public var topics: [OffsetFetchRequestTopic]?

        public init(groupId: String, memberId: String? = nil, memberEpoch: Int32 = -1, topics: [OffsetFetchRequestTopic]?) {
            self.groupId = groupId
            self.memberId = memberId
            self.memberEpoch = memberEpoch
            self.topics = topics
        }
    }

    /// True when the request uses the group form (`groups`).
    public var isBatched: Bool { !groups.isEmpty }

    /// The groups asked about, whichever form the request uses.
    public var allGroups: [OffsetFetchRequestGroup] {
        isBatched ? groups : [OffsetFetchRequestGroup(groupId: groupId, topics: topics)]
    }

    /// The partitions named in the single-group form, in request order (empty when it asks
    /// for all topics, and in the group form).
    public var topicPartitions: [TopicPartition] {
        guard !isBatched, let topics else { return [] }
        return topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } }
    }

    /// Kafka's `OffsetFetchRequest.getErrorResponse` (v2+): in the group form `error` in every
    /// group, otherwise in the top-level `errorCode`; no partition results either way.
    public func errorResponse(_ error: ErrorCode) -> OffsetFetchResponse {
        if isBatched {
            return OffsetFetchResponse(groups: groups.map { .init(groupId: $0.groupId, errorCode: error) })
        }
        return OffsetFetchResponse(errorCode: error)
    }
}

public struct OffsetFetchResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    /// Single-group form (v0-7) results.
    public var topics: [OffsetFetchResponseTopic]
    /// Single-group form group-level error (v2-7).
    public var errorCode: ErrorCode
    /// Group form (v8+): one entry per requested group.
    public var groups: [OffsetFetchResponseGroup]

    public init(throttleTimeMs: Int32 = 0, topics: [OffsetFetchResponseTopic] = [], errorCode: ErrorCode = .none,
                groups: [OffsetFetchResponseGroup] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
        self.groups = groups
    }

    public struct OffsetFetchResponseGroup: Sendable, Equatable {
        public var groupId: String
        public var topics: [OffsetFetchResponseTopic]
        public var errorCode: ErrorCode

        public init(groupId: String, topics: [OffsetFetchResponseTopic] = [], errorCode: ErrorCode = .none) {
            self.groupId = groupId
            self.topics = topics
            self.errorCode = errorCode
        }

        /// The first result for `topic`/`partition`, nil if none.
        public func partition(topic: String, partition: Int32) -> OffsetFetchResponsePartition? {
            OffsetFetchResponse.find(in: topics, topic: topic, partition: partition)
        }
    }

    /// Kafka's `OffsetFetchResponseTopic` (v0-7) and `OffsetFetchResponseTopics` (v8+), which
    /// have the same fields.
    public struct OffsetFetchResponseTopic: Sendable, Equatable {
        public var name: String
        public var partitions: [OffsetFetchResponsePartition]

        public init(name: String, partitions: [OffsetFetchResponsePartition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct OffsetFetchResponsePartition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// -1 when the group has no committed offset for the partition.
        public var committedOffset: Int64
        /// -1 if unknown.
        public var committedLeaderEpoch: Int32
        public var metadata: String?
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, committedOffset: Int64 = -1, committedLeaderEpoch: Int32 = -1, metadata: String? = "",
                    errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
            self.errorCode = errorCode
        }
    }

    /// The group-form entry for `groupId`, nil if none.
    public func group(_ groupId: String) -> OffsetFetchResponseGroup? {
        groups.first { $0.groupId == groupId }
    }

    /// The first single-group-form result for `topic`/`partition`, nil if none.
    public func partition(topic: String, partition: Int32) -> OffsetFetchResponsePartition? {
        Self.find(in: topics, topic: topic, partition: partition)
    }

    static func find(in topics: [OffsetFetchResponseTopic], topic: String, partition: Int32) -> OffsetFetchResponsePartition? {
        for t in topics where t.name == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
