/// DescribeProducers (API 61, KIP-664): a partition leader's active producers, with each one's
/// open transaction (its first offset); what `kafka-transactions find-hanging` and `abort`
/// read. Served by the partition's leader.
public struct DescribeProducersRequest: Sendable, Equatable {
    public var topics: [Topic]

    public init(topics: [Topic]) { self.topics = topics }

    /// The partitions of `partitions`, grouped by topic in first-seen order.
    public init(partitions: [TopicPartition]) {
        self.init(topics: WriteTxnMarkersRequest.grouped(partitions).map { Topic(name: $0.topic, partitionIndexes: $0.partitions) })
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var topicPartitions: [TopicPartition] { topics.flatMap { t in t.partitionIndexes.map { TopicPartition(t.name, $0) } } }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeProducersResponse {
        DescribeProducersResponse(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitionIndexes.map { .init(partitionIndex: $0, errorCode: error, errorMessage: message) })
        })
    }
}

public struct DescribeProducersResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var activeProducers: [ActiveProducer]

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none, errorMessage: String? = nil, activeProducers: [ActiveProducer] = []) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.activeProducers = activeProducers
        }
    }

    /// One producer id's state in the partition.
    public struct ActiveProducer: Sendable, Equatable {
        public var producerId: Int64
        public var producerEpoch: Int32
        /// The last sequence number written, -1 when none is retained.
        public var lastSequence: Int32
        public var lastTimestamp: Int64
        /// The coordinator epoch of the producer's last marker here, -1 before any.
        public var coordinatorEpoch: Int32
        /// The first offset of its open transaction here, -1 when none is open.
        public var currentTxnStartOffset: Int64

        public init(producerId: Int64, producerEpoch: Int32, lastSequence: Int32 = -1, lastTimestamp: Int64 = -1, coordinatorEpoch: Int32 = -1,
                    currentTxnStartOffset: Int64 = -1) {
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.lastSequence = lastSequence
            self.lastTimestamp = lastTimestamp
            self.coordinatorEpoch = coordinatorEpoch
            self.currentTxnStartOffset = currentTxnStartOffset
        }
    }

    /// One partition's answer.
    public func partition(_ tp: TopicPartition) -> Partition? {
        topics.first { $0.name == tp.topic }?.partitions.first { $0.partitionIndex == tp.partition }
    }
}
