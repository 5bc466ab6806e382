/// DescribeLogDirs (API key 35): a broker's log directories and the size of every partition
/// replica it holds there, as `kafka-log-dirs.sh --describe` shows them. Fields follow Kafka's
/// `DescribeLogDirsRequest.json` / `DescribeLogDirsResponse.json` (v4). Each broker answers
/// for itself: a client asks every broker whose replicas it wants to know.
public struct DescribeLogDirsRequest: Sendable, Equatable {
    /// The partitions to describe, or nil for every partition the broker holds.
    public var topics: [Topic]?

    public init(topics: [Topic]? = nil) {
        self.topics = topics
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitions: [Int32]

        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// Whether the request names `tp` (every partition when `topics` is nil).
    public func names(_ tp: TopicPartition) -> Bool {
        guard let topics else { return true }
        return topics.contains { $0.name == tp.topic && $0.partitions.contains(tp.partition) }
    }

    /// The request failed as a whole: `error` at the top level (v3+), no directories.
    public func errorResponse(_ error: ErrorCode) -> DescribeLogDirsResponse {
        DescribeLogDirsResponse(errorCode: error, results: [])
    }
}

public struct DescribeLogDirsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    /// An error for the whole request (on the wire from v3).
    public var errorCode: ErrorCode
    public var results: [LogDir]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, results: [LogDir]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    /// One log directory of the broker.
    public struct LogDir: Sendable, Equatable {
        public var errorCode: ErrorCode
        /// The directory's absolute path.
        public var logDir: String
        public var topics: [Topic]
        /// Bytes of the volume the directory is on, and how many are usable; -1 when unknown
        /// (on the wire from v4).
        public var totalBytes: Int64
        public var usableBytes: Int64

        public init(errorCode: ErrorCode = .none, logDir: String, topics: [Topic], totalBytes: Int64 = -1, usableBytes: Int64 = -1) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
            self.totalBytes = totalBytes
            self.usableBytes = usableBytes
        }
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
        /// Bytes of the replica's log segments.
        public var partitionSize: Int64
        /// How far the replica's log end is from the partition's high watermark (0 on a
        /// replica that holds everything committed; Kafka's definition for the current log).
        public var offsetLag: Int64
        /// Whether this is a future log of AlterReplicaLogDirs (never, in eddy).
        public var isFutureKey: Bool

        public init(partitionIndex: Int32, partitionSize: Int64, offsetLag: Int64, isFutureKey: Bool = false) {
            self.partitionIndex = partitionIndex
            self.partitionSize = partitionSize
            self.offsetLag = offsetLag
            self.isFutureKey = isFutureKey
        }
    }

    /// Every replica's size, by partition, over all directories.
    public var partitionSizes: [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for dir in results where dir.errorCode == .none {
            for t in dir.topics { for p in t.partitions where !p.isFutureKey { out[TopicPartition(t.name, p.partitionIndex)] = p.partitionSize } }
        }
        return out
    }
}
