/// Fetch (API key 1): read record batches; consumers and follower replicas both use it.
/// Fields follow Kafka's `FetchRequest.json` / `FetchResponse.json` (v17).
///
/// A consumer (`replicaId` -1) reads only below the high watermark; a follower (`replicaId` =
/// its broker id) reads up to the leader's log end offset, and its `fetchOffset` tells the leader
/// how far it has replicated. Topics are named by `topic` (v0-12) or `topicId` (v13+); eddy
/// fills `topic` and leaves `topicId` zero unless it knows it.
public struct FetchRequest: Sendable, Equatable {
    /// Kafka's `CONSUMER_REPLICA_ID`.
    public static let consumerReplicaId: Int32 = -1

    /// -1 for a consumer, else the fetching follower's broker id.
    public var replicaId: Int32
    /// The follower's broker epoch (v15+ `ReplicaState.ReplicaEpoch`), -1 if unknown.
    public var replicaEpoch: Int64
    /// How long the leader may hold the request waiting for `minBytes`.
    public var maxWaitMs: Int32
    public var minBytes: Int32
    /// Response size limit over all partitions; at least one batch is returned even if larger (KIP-74).
    public var maxBytes: Int32
    public var isolationLevel: IsolationLevel
    /// KIP-227 fetch session: 0 and epoch -1 mean a full fetch outside any session.
    public var sessionId: Int32
    public var sessionEpoch: Int32
    public var topics: [FetchTopic]
    /// Incremental fetch: partitions to drop from the session.
    public var forgottenTopicsData: [ForgottenTopic]
    /// The consumer's rack (`client.rack`), "" if none.
    public var rackId: String

    public init(replicaId: Int32 = -1, replicaEpoch: Int64 = -1, maxWaitMs: Int32 = 500, minBytes: Int32 = 1,
                maxBytes: Int32 = Int32.max, isolationLevel: IsolationLevel = .readUncommitted,
                sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [FetchTopic],
                forgottenTopicsData: [ForgottenTopic] = [], rackId: String = "") {
        self.replicaId = replicaId
        self.replicaEpoch = replicaEpoch
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackId = rackId
    }

    /// One partition from `fetchOffset`.
    public init(topic: String, partition: Int32, fetchOffset: Int64, partitionMaxBytes: Int32 = 1_048_576,
                currentLeaderEpoch: Int32 = -1, lastFetchedEpoch: Int32 = -1, logStartOffset: Int64 = -1,
                replicaId: Int32 = -1, maxWaitMs: Int32 = 500, minBytes: Int32 = 1, maxBytes: Int32 = Int32.max,
                isolationLevel: IsolationLevel = .readUncommitted) {
        self.init(replicaId: replicaId, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes,
                  isolationLevel: isolationLevel,
                  topics: [FetchTopic(topic: topic, partitions: [FetchPartition(
                      partition: partition, currentLeaderEpoch: currentLeaderEpoch, fetchOffset: fetchOffset,
                      lastFetchedEpoch: lastFetchedEpoch, logStartOffset: logStartOffset,
                      partitionMaxBytes: partitionMaxBytes)])])
    }

    /// Whether a follower replica (not a consumer) sent this.
    public var isFromFollower: Bool { replicaId >= 0 }

    public struct FetchTopic: Sendable, Equatable {
        public var topic: String
        public var topicId: KafkaUuid
        public var partitions: [FetchPartition]

        public init(topic: String, topicId: KafkaUuid = .zero, partitions: [FetchPartition]) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }
    }

    public struct FetchPartition: Sendable, Equatable {
        public var partition: Int32
        /// The fetcher's idea of the leader epoch, -1 to skip the check. Older than the
        /// leader's -> FENCED_LEADER_EPOCH; newer -> UNKNOWN_LEADER_EPOCH.
        public var currentLeaderEpoch: Int32
        public var fetchOffset: Int64
        /// Epoch of the last batch the follower has (-1 if none): the leader checks it against
        /// its epoch cache and answers `divergingEpoch` if the logs diverged (KIP-595).
        public var lastFetchedEpoch: Int32
        /// The follower's log start offset, -1 from consumers.
        public var logStartOffset: Int64
        public var partitionMaxBytes: Int32

        public init(partition: Int32, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64, lastFetchedEpoch: Int32 = -1,
                    logStartOffset: Int64 = -1, partitionMaxBytes: Int32 = 1_048_576) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    public struct ForgottenTopic: Sendable, Equatable {
        public var topic: String
        public var topicId: KafkaUuid
        public var partitions: [Int32]

        public init(topic: String, topicId: KafkaUuid = .zero, partitions: [Int32]) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0.partition) } }
    }

    /// Kafka's `FetchRequest.getErrorResponse` (pre-v13 form, which newer clients also accept):
    /// `error` at the top level and in every partition, offsets -1, no records.
    public func errorResponse(_ error: ErrorCode) -> FetchResponse {
        FetchResponse(errorCode: error, sessionId: sessionId, responses: topics.map { t in
            .init(topic: t.topic, topicId: t.topicId, partitions: t.partitions.map {
                .init(partitionIndex: $0.partition, errorCode: error)
            })
        })
    }
}

public struct FetchResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    /// Top-level error (v7+): set when the whole request failed, e.g. a session error.
    public var errorCode: ErrorCode
    public var sessionId: Int32
    public var responses: [FetchableTopicResponse]
    /// Endpoints of the leaders named in `currentLeader` fields (v16+, tagged).
    public var nodeEndpoints: [NodeEndpoint]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, sessionId: Int32 = 0,
                responses: [FetchableTopicResponse], nodeEndpoints: [NodeEndpoint] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
        self.nodeEndpoints = nodeEndpoints
    }

    public typealias LeaderIdAndEpoch = EddyProtocol.LeaderIdAndEpoch

    public struct FetchableTopicResponse: Sendable, Equatable {
        public var topic: String
        public var topicId: KafkaUuid
        public var partitions: [PartitionData]

        public init(topic: String, topicId: KafkaUuid = .zero, partitions: [PartitionData]) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }
    }

    public struct PartitionData: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        /// -1 when unknown (e.g. on error).
        public var highWatermark: Int64
        /// Highest offset below which every transaction is decided; -1 when unknown.
        public var lastStableOffset: Int64
        public var logStartOffset: Int64
        /// Set instead of records when the follower's `lastFetchedEpoch`/`fetchOffset` lie past
        /// the end of that epoch on the leader: the follower truncates to at most `endOffset`.
        public var divergingEpoch: EpochEndOffset?
        /// Set with NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH when the leader is known.
        public var currentLeader: LeaderIdAndEpoch?
        /// Below the log start offset: the snapshot to fetch instead (KRaft; tagged).
        public var snapshotId: SnapshotId?
        /// For read_committed: transactions whose records in `records` must be skipped.
        public var abortedTransactions: [AbortedTransaction]?
        /// KIP-392 follower fetching: the replica the consumer should use next, -1 for none.
        public var preferredReadReplica: Int32
        /// Whole RecordBatch v2 batches (Kafka's nullable `records`; empty for null).
        public var records: [UInt8]
        /// Instead of `records` (which is then empty): the batches as a range of a segment file,
        /// for the network server to send without copying them. Only a broker serving a
        /// connection that asked for them (`RequestContext.acceptsFileRecords`) answers so.
        public var recordsFile: FileRecords?

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none, highWatermark: Int64 = -1,
                    lastStableOffset: Int64 = -1, logStartOffset: Int64 = -1, divergingEpoch: EpochEndOffset? = nil,
                    currentLeader: LeaderIdAndEpoch? = nil, snapshotId: SnapshotId? = nil,
                    abortedTransactions: [AbortedTransaction]? = nil, preferredReadReplica: Int32 = -1,
                    records: [UInt8] = []) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.divergingEpoch = divergingEpoch
            self.currentLeader = currentLeader
            self.snapshotId = snapshotId
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
        }

        /// Bytes of records this answer carries, in `records` or in `recordsFile`.
        public var recordsByteCount: Int { recordsFile?.count ?? records.count }
    }

    /// The largest epoch the leader shares with the follower and where it ends on the leader.
    public struct EpochEndOffset: Sendable, Hashable {
        public var epoch: Int32
        public var endOffset: Int64

        public init(epoch: Int32 = -1, endOffset: Int64 = -1) {
            self.epoch = epoch
            self.endOffset = endOffset
        }
    }

    public struct SnapshotId: Sendable, Hashable {
        public var endOffset: Int64
        public var epoch: Int32

        public init(endOffset: Int64 = -1, epoch: Int32 = -1) {
            self.endOffset = endOffset
            self.epoch = epoch
        }
    }

    public struct AbortedTransaction: Sendable, Hashable {
        public var producerId: Int64
        public var firstOffset: Int64

        public init(producerId: Int64, firstOffset: Int64) {
            self.producerId = producerId
            self.firstOffset = firstOffset
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> PartitionData? {
        for t in responses where t.topic == topic {
            if let p = t.partitions.first(where: { $0.partitionIndex == partition }) { return p }
        }
        return nil
    }
}
