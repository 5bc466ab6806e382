/// DescribeQuorum (API key 55, KIP-595): a KRaft cluster's metadata quorum, as
/// `kafka-metadata-quorum describe --status/--replication` shows it: the leader, its epoch and
/// high watermark, and each voter's and observer's log end offset with when it last fetched and
/// last caught up. Fields follow Kafka's schemas (v0-2). eddy's client asks it of clusters that
/// offer it; eddy's brokers answer it for their metadata quorum (`Cluster.describeQuorum`).
public struct DescribeQuorumRequest: Sendable, Equatable {
    /// Kafka's metadata log and its one partition.
    public static let metadataTopic = "__cluster_metadata"

    public var topic: String
    public var partition: Int32

    public init(topic: String = DescribeQuorumRequest.metadataTopic, partition: Int32 = 0) {
        self.topic = topic
        self.partition = partition
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeQuorumResponse {
        DescribeQuorumResponse(errorCode: error, errorMessage: message, partition: nil)
    }
}

public struct DescribeQuorumResponse: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var errorMessage: String?
    /// The metadata partition's quorum; nil when the response carries none.
    public var partition: Quorum?

    public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, partition: Quorum?) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.partition = partition
    }

    public struct Quorum: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var leaderId: Int32
        public var leaderEpoch: Int32
        public var highWatermark: Int64
        public var voters: [Replica]
        public var observers: [Replica]

        public init(errorCode: ErrorCode = .none, leaderId: Int32, leaderEpoch: Int32, highWatermark: Int64, voters: [Replica], observers: [Replica]) {
            self.errorCode = errorCode
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.highWatermark = highWatermark
            self.voters = voters
            self.observers = observers
        }

        /// How far a replica's log is behind the leader's high watermark (`kafka-metadata-quorum`'s
        /// lag), nil when its log end is unknown.
        public func lag(_ r: Replica) -> Int64? { r.logEndOffset < 0 ? nil : max(0, highWatermark - r.logEndOffset) }
    }

    public struct Replica: Sendable, Equatable {
        public var replicaId: Int32
        public var logEndOffset: Int64
        /// ms since the epoch; -1 when unknown (and for the leader itself).
        public var lastFetchTimestampMs: Int64
        public var lastCaughtUpTimestampMs: Int64

        public init(replicaId: Int32, logEndOffset: Int64, lastFetchTimestampMs: Int64 = -1, lastCaughtUpTimestampMs: Int64 = -1) {
            self.replicaId = replicaId
            self.logEndOffset = logEndOffset
            self.lastFetchTimestampMs = lastFetchTimestampMs
            self.lastCaughtUpTimestampMs = lastCaughtUpTimestampMs
        }
    }
}
