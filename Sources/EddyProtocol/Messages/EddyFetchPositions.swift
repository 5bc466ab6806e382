/// EddyFetchPositions (API key 32001, eddy's own): the latest offset each consumer client
/// fetched from some partitions. A broker sees every Fetch, so this gives the position of
/// consumers in any language, which a group coordinator alone does not know. A position is the
/// next offset the consumer fetches: at or ahead of what its application has processed. The
/// schema is `schemas/EddyFetchPositionsRequest.json`; only eddy's brokers list the API.
public struct EddyFetchPositionsRequest: Sendable, Equatable {
    public var partitions: [TopicPartition]

    public init(partitions: [TopicPartition]) {
        self.partitions = partitions
    }

    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> EddyFetchPositionsResponse {
        EddyFetchPositionsResponse(errorCode: error, fetchers: [:])
    }
}

public struct EddyFetchPositionsResponse: Sendable, Equatable {
    /// A consumer client that fetched a partition.
    public struct Fetcher: Sendable, Hashable {
        public var clientId: String
        /// As DescribeGroups shows a member's host, e.g. `/127.0.0.1`.
        public var clientHost: String
        public var fetchOffset: Int64
        public var lastFetchMs: Int64

        public init(clientId: String, clientHost: String, fetchOffset: Int64, lastFetchMs: Int64) {
            self.clientId = clientId
            self.clientHost = clientHost
            self.fetchOffset = fetchOffset
            self.lastFetchMs = lastFetchMs
        }
    }

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// Per partition asked for, the clients that fetched it recently, the latest first.
    public var fetchers: [TopicPartition: [Fetcher]]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, fetchers: [TopicPartition: [Fetcher]]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.fetchers = fetchers
    }
}
