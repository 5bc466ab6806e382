/// The transactional producer's requests to its transaction coordinator (KIP-98), fields as in
/// Kafka's schemas: AddPartitionsToTxn (API 24; v0-3, the client form: v4+ batches transactions
/// for brokers), AddOffsetsToTxn (API 25) and EndTxn (API 26); and its request to the group
/// coordinator, TxnOffsetCommit (API 28).

/// AddPartitionsToTxn: the partitions a transaction is about to write to.
public struct AddPartitionsToTxnRequest: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var topics: [Topic]

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.topics = topics
    }

    /// The partitions of `partitions`, grouped by topic in first-seen order.
    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TopicPartition]) {
        self.init(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                  topics: WriteTxnMarkersRequest.grouped(partitions).map { Topic(name: $0.topic, partitions: $0.partitions) })
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitions: [Int32]

        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var topicPartitions: [TopicPartition] { topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0) } } }

    /// `error` for every partition.
    public func errorResponse(_ error: ErrorCode) -> AddPartitionsToTxnResponse {
        AddPartitionsToTxnResponse(results: topics.map { .init(name: $0.name, partitions: $0.partitions.map { .init(partitionIndex: $0, errorCode: error) }) })
    }
}

public struct AddPartitionsToTxnResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var results: [TopicErrors]

    public init(throttleTimeMs: Int32 = 0, results: [TopicErrors]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    /// Every partition's error.
    public var errors: [TopicPartition: ErrorCode] { results.errors }
}

/// One topic's partitions, each with its error: how AddPartitionsToTxn and TxnOffsetCommit answer.
public struct TopicErrors: Sendable, Equatable {
    public var name: String
    public var partitions: [PartitionError]

    public init(name: String, partitions: [PartitionError]) {
        self.name = name
        self.partitions = partitions
    }

    public struct PartitionError: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }
}

extension [TopicErrors] {
    /// Every partition's error.
    public var errors: [TopicPartition: ErrorCode] {
        var out: [TopicPartition: ErrorCode] = [:]
        for t in self { for p in t.partitions { out[TopicPartition(t.name, p.partitionIndex)] = p.errorCode } }
        return out
    }
}

/// AddOffsetsToTxn: the group whose offsets the transaction will commit (TxnOffsetCommit); its
/// `__consumer_offsets` partition joins the transaction.
public struct AddOffsetsToTxnRequest: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var groupId: String

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, groupId: String) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.groupId = groupId
    }

    public func errorResponse(_ error: ErrorCode) -> AddOffsetsToTxnResponse { AddOffsetsToTxnResponse(errorCode: error) }
}

public struct AddOffsetsToTxnResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }
}

/// EndTxn: commit (`committed`) or abort the producer's transaction.
public struct EndTxnRequest: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var committed: Bool

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.committed = committed
    }

    public func errorResponse(_ error: ErrorCode) -> EndTxnResponse { EndTxnResponse(errorCode: error) }
}

public struct EndTxnResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }
}

/// TxnOffsetCommit: a transactional producer commits a consumer group's offsets inside its
/// transaction (KIP-98; v3 adds the member's generation, id and instance id, KIP-447, so that a
/// zombie member's commit is fenced). The offsets become the group's committed offsets only if
/// the transaction commits.
public struct TxnOffsetCommitRequest: Sendable, Equatable {
    public var transactionalId: String
    public var groupId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// -1 (with `memberId` "" and no instance id) when the producer does not name a member
    /// (v0-2, or a producer outside group management).
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var topics: [Topic]

    public init(transactionalId: String, groupId: String, producerId: Int64, producerEpoch: Int16, generationId: Int32 = -1,
                memberId: String = "", groupInstanceId: String? = nil, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.groupId = groupId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
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
        public var committedOffset: Int64
        public var committedLeaderEpoch: Int32
        public var committedMetadata: String?

        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    /// `error` for every partition.
    public func errorResponse(_ error: ErrorCode) -> TxnOffsetCommitResponse {
        TxnOffsetCommitResponse(topics: topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error) })
        })
    }
}

public struct TxnOffsetCommitResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var topics: [TopicErrors]

    public init(throttleTimeMs: Int32 = 0, topics: [TopicErrors]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    /// Every partition's error.
    public var errors: [TopicPartition: ErrorCode] { topics.errors }
}

/// DescribeTransactions (API 65): transactional ids' state, from their coordinators.
public struct DescribeTransactionsRequest: Sendable, Equatable {
    public var transactionalIds: [String]

    public init(transactionalIds: [String]) { self.transactionalIds = transactionalIds }

    public func errorResponse(_ error: ErrorCode) -> DescribeTransactionsResponse {
        DescribeTransactionsResponse(transactions: transactionalIds.map { .init(errorCode: error, transactionalId: $0) })
    }
}

public struct DescribeTransactionsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var transactions: [DescribedTransaction]

    public init(throttleTimeMs: Int32 = 0, transactions: [DescribedTransaction]) {
        self.throttleTimeMs = throttleTimeMs
        self.transactions = transactions
    }

    public struct DescribedTransaction: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var transactionalId: String
        /// Kafka's state name (Empty, Ongoing, PrepareCommit, ...).
        public var state: String
        public var timeoutMs: Int32
        /// When the current transaction started, -1 when none is running.
        public var startTimeMs: Int64
        public var producerId: Int64
        public var producerEpoch: Int16
        public var partitions: [TopicPartition]

        public init(errorCode: ErrorCode = .none, transactionalId: String, state: String = "", timeoutMs: Int32 = 0, startTimeMs: Int64 = -1,
                    producerId: Int64 = -1, producerEpoch: Int16 = -1, partitions: [TopicPartition] = []) {
            self.errorCode = errorCode
            self.transactionalId = transactionalId
            self.state = state
            self.timeoutMs = timeoutMs
            self.startTimeMs = startTimeMs
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.partitions = partitions
        }
    }
}

/// ListTransactions (API 66): the transactions a broker coordinates, filtered by state, producer
/// id and (v1, KIP-994) how long they have been running.
public struct ListTransactionsRequest: Sendable, Equatable {
    public var stateFilters: [String]
    public var producerIdFilters: [Int64]
    /// Only transactions running longer than this (ms); -1 for all.
    public var durationFilterMs: Int64

    public init(stateFilters: [String] = [], producerIdFilters: [Int64] = [], durationFilterMs: Int64 = -1) {
        self.stateFilters = stateFilters
        self.producerIdFilters = producerIdFilters
        self.durationFilterMs = durationFilterMs
    }

    public func errorResponse(_ error: ErrorCode) -> ListTransactionsResponse { ListTransactionsResponse(errorCode: error, transactions: []) }
}

public struct ListTransactionsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// State filters that name no state.
    public var unknownStateFilters: [String]
    public var transactions: [ListedTransaction]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, unknownStateFilters: [String] = [], transactions: [ListedTransaction]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.unknownStateFilters = unknownStateFilters
        self.transactions = transactions
    }

    public struct ListedTransaction: Sendable, Equatable {
        public var transactionalId: String
        public var producerId: Int64
        public var state: String

        public init(transactionalId: String, producerId: Int64, state: String) {
            self.transactionalId = transactionalId
            self.producerId = producerId
            self.state = state
        }
    }
}
