/// Produce (API key 0): append record batches to partition leaders. Fields follow Kafka's
/// `ProduceRequest.json` / `ProduceResponse.json` (v11).
///
/// `acks`: 0 = no response wanted (a transport may still complete with an empty-offset
/// response), 1 = after the leader's append, -1 = after every in-sync replica has it (the
/// high watermark passes the batch). Anything else is INVALID_REQUIRED_ACKS.
public struct ProduceRequest: Sendable, Equatable {
    /// nil unless the producer is transactional.
    public var transactionalId: String?
    public var acks: Int16
    /// How long the broker may wait for acks=all before answering REQUEST_TIMED_OUT.
    public var timeoutMs: Int32
    public var topicData: [TopicProduceData]

    public init(transactionalId: String? = nil, acks: Int16 = -1, timeoutMs: Int32 = 30000, topicData: [TopicProduceData]) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
    }

    /// One partition's records.
    public init(topic: String, partition: Int32, records: [UInt8], acks: Int16 = -1, timeoutMs: Int32 = 30000,
                transactionalId: String? = nil) {
        self.init(transactionalId: transactionalId, acks: acks, timeoutMs: timeoutMs,
                  topicData: [TopicProduceData(name: topic, partitionData: [PartitionProduceData(index: partition, records: records)])])
    }

    public struct TopicProduceData: Sendable, Equatable {
        public var name: String
        public var partitionData: [PartitionProduceData]

        public init(name: String, partitionData: [PartitionProduceData]) {
            self.name = name
            self.partitionData = partitionData
        }
    }

    public struct PartitionProduceData: Sendable, Equatable {
        public var index: Int32
        /// One or more whole RecordBatch v2 batches (Kafka's nullable `records`; empty for null).
        public var records: [UInt8]

        public init(index: Int32, records: [UInt8]) {
            self.index = index
            self.records = records
        }
    }

    /// Every partition named, in request order.
    public var topicPartitions: [TopicPartition] {
        topicData.flatMap { t in t.partitionData.map { TopicPartition(t.name, $0.index) } }
    }

    /// Kafka's `ProduceRequest.getErrorResponse`: `error` (and `message`) for every partition,
    /// offsets -1. (Kafka sends nothing at all for acks=0; that choice is the caller's.)
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> ProduceResponse {
        ProduceResponse(responses: topicData.map { t in
            .init(name: t.name, partitionResponses: t.partitionData.map {
                .init(index: $0.index, errorCode: error, errorMessage: message)
            })
        })
    }
}

public struct ProduceResponse: Sendable, Equatable {
    public var responses: [TopicProduceResponse]
    public var throttleTimeMs: Int32
    /// Endpoints of the leaders named in `currentLeader` fields (v10+, tagged).
    public var nodeEndpoints: [NodeEndpoint]

    public init(responses: [TopicProduceResponse], throttleTimeMs: Int32 = 0, nodeEndpoints: [NodeEndpoint] = []) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
        self.nodeEndpoints = nodeEndpoints
    }

    public typealias LeaderIdAndEpoch = EddyProtocol.LeaderIdAndEpoch

    public struct TopicProduceResponse: Sendable, Equatable {
        public var name: String
        public var partitionResponses: [PartitionProduceResponse]

        public init(name: String, partitionResponses: [PartitionProduceResponse]) {
            self.name = name
            self.partitionResponses = partitionResponses
        }
    }

    public struct PartitionProduceResponse: Sendable, Equatable {
        public var index: Int32
        public var errorCode: ErrorCode
        /// Offset of the first record appended; -1 on error (and for acks=0).
        public var baseOffset: Int64
        /// The broker's append time when the topic uses LogAppendTime, else -1.
        public var logAppendTimeMs: Int64
        /// The partition's log start offset after the append, or -1.
        public var logStartOffset: Int64
        /// Which batches (by index within the request) were rejected, for INVALID_RECORD.
        public var recordErrors: [BatchIndexAndErrorMessage]
        public var errorMessage: String?
        /// Set with NOT_LEADER_OR_FOLLOWER when the broker knows the new leader (v10+, tagged).
        public var currentLeader: LeaderIdAndEpoch?

        public init(index: Int32, errorCode: ErrorCode = .none, baseOffset: Int64 = -1, logAppendTimeMs: Int64 = -1,
                    logStartOffset: Int64 = -1, recordErrors: [BatchIndexAndErrorMessage] = [], errorMessage: String? = nil,
                    currentLeader: LeaderIdAndEpoch? = nil) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
            self.currentLeader = currentLeader
        }
    }

    public struct BatchIndexAndErrorMessage: Sendable, Equatable {
        public var batchIndex: Int32
        public var batchIndexErrorMessage: String?

        public init(batchIndex: Int32, batchIndexErrorMessage: String? = nil) {
            self.batchIndex = batchIndex
            self.batchIndexErrorMessage = batchIndexErrorMessage
        }
    }

    /// The first result for `topic`/`partition`, nil if the response has none.
    public func partition(topic: String, partition: Int32) -> PartitionProduceResponse? {
        for t in responses where t.name == topic {
            if let p = t.partitionResponses.first(where: { $0.index == partition }) { return p }
        }
        return nil
    }
}
