/// CreatePartitions (API key 37): raise topics' partition counts (`kafka-topics --alter
/// --partitions`, Kafka's `Admin.createPartitions`). Fields follow Kafka's
/// `CreatePartitionsRequest.json` / `CreatePartitionsResponse.json` (v3); every version has
/// the same fields.
public struct CreatePartitionsRequest: Sendable, Equatable {
    public var topics: [Topic]
    public var timeoutMs: Int32
    /// Check only: validate and answer as if done, but add nothing.
    public var validateOnly: Bool

    public init(topics: [Topic], timeoutMs: Int32 = 60000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        /// The new partition count (the total, not the number added).
        public var count: Int32
        /// Replicas for each new partition, in order (each list in preference order), or nil
        /// to let the controller place them.
        public var assignments: [[Int32]]?

        public init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }
    }

    /// Kafka's `CreatePartitionsRequest.getErrorResponse`: `error` (and `message`) for every topic.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> CreatePartitionsResponse {
        CreatePartitionsResponse(results: topics.map { .init(name: $0.name, errorCode: error, errorMessage: message) })
    }
}

public struct CreatePartitionsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public struct Result: Sendable, Equatable {
        public var name: String
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(name: String, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }
}
