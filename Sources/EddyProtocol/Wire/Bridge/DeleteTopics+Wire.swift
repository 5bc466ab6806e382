extension DeleteTopicsRequest {
    /// The request as read off the wire in `version`: v0-5 name topics in `TopicNames` (read as
    /// entries with a zero id), v6 in `Topics`, each by name or by id.
    public init(wire: Wire.DeleteTopicsRequest, version: Int16) {
        let topics = version >= 6 ? wire.topics.map { DeleteTopicState(name: $0.name, topicId: $0.topicId) }
            : wire.topicNames.map { DeleteTopicState(name: $0) }
        self.init(topics: topics, timeoutMs: wire.timeoutMs)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// v0-5 send names only; a topic named only by id cannot be sent there and is dropped
    /// (Kafka's admin client needs v6 to delete by id).
    public func wire(version: Int16) -> Wire.DeleteTopicsRequest {
        guard version >= 6 else { return Wire.DeleteTopicsRequest(topicNames: topics.compactMap(\.name), timeoutMs: timeoutMs) }
        return Wire.DeleteTopicsRequest(topics: topics.map { .init(name: $0.name, topicId: $0.topicId) }, timeoutMs: timeoutMs)
    }
}

extension DeleteTopicsResponse {
    /// The response as read off the wire in `version`: topic id zero before v6, no error
    /// message before v5.
    public init(wire: Wire.DeleteTopicsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, responses: wire.responses.map {
            DeletableTopicResult(name: $0.name, topicId: $0.topicId, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// A name can be null only from v6 (an unknown topic id); before, nil is sent as "".
    public func wire(version: Int16) -> Wire.DeleteTopicsResponse {
        Wire.DeleteTopicsResponse(throttleTimeMs: version >= 1 ? throttleTimeMs : 0, responses: responses.map {
            .init(name: version >= 6 ? $0.name : $0.name ?? "", topicId: version >= 6 ? $0.topicId : .zero, errorCode: $0.errorCode,
                  errorMessage: version >= 5 ? $0.errorMessage : nil)
        })
    }
}
