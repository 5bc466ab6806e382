/// DeleteTopics (API key 20). Fields follow Kafka's `DeleteTopicsRequest.json` /
/// `DeleteTopicsResponse.json` (v6). Versions 0-5 send a list of names (`TopicNames`); they map
/// to `topics` entries with a zero `topicId`.
public struct DeleteTopicsRequest: Sendable, Equatable {
    public var topics: [DeleteTopicState]
    /// How long to wait for the deletions to complete.
    public var timeoutMs: Int32

    public init(topics: [DeleteTopicState], timeoutMs: Int32 = 30000) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    /// Deletes by name.
    public init(topicNames: [String], timeoutMs: Int32 = 30000) {
        self.init(topics: topicNames.map { DeleteTopicState(name: $0) }, timeoutMs: timeoutMs)
    }

    /// A topic named by `name`, or (when `name` is nil) by `topicId`.
    public struct DeleteTopicState: Sendable, Equatable {
        public var name: String?
        public var topicId: KafkaUuid

        public init(name: String? = nil, topicId: KafkaUuid = .zero) {
            self.name = name
            self.topicId = topicId
        }
    }

    /// Kafka's `DeleteTopicsRequest.getErrorResponse`: `error` (and `message`) for every topic.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DeleteTopicsResponse {
        DeleteTopicsResponse(responses: topics.map {
            .init(name: $0.name, topicId: $0.topicId, errorCode: error, errorMessage: message)
        })
    }
}

public struct DeleteTopicsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var responses: [DeletableTopicResult]

    public init(throttleTimeMs: Int32 = 0, responses: [DeletableTopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public struct DeletableTopicResult: Sendable, Equatable {
        /// nil only for a topic requested by an ID the broker does not know.
        public var name: String?
        public var topicId: KafkaUuid
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(name: String?, topicId: KafkaUuid = .zero, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// The first result for `name`, nil if none.
    public func topic(named name: String) -> DeletableTopicResult? {
        responses.first { $0.name == name }
    }
}
