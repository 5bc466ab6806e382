extension CreatePartitionsRequest {
    /// The request as read off the wire (every version carries the same fields).
    public init(wire: Wire.CreatePartitionsRequest, version: Int16) {
        self.init(topics: wire.topics.map { Topic(name: $0.name, count: $0.count, assignments: $0.assignments?.map(\.brokerIds)) },
                  timeoutMs: wire.timeoutMs, validateOnly: wire.validateOnly)
    }

    public func wire(version: Int16) -> Wire.CreatePartitionsRequest {
        Wire.CreatePartitionsRequest(topics: topics.map {
            .init(name: $0.name, count: $0.count, assignments: $0.assignments?.map { .init(brokerIds: $0) })
        }, timeoutMs: timeoutMs, validateOnly: validateOnly)
    }
}

extension CreatePartitionsResponse {
    public init(wire: Wire.CreatePartitionsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs,
                  results: wire.results.map { Result(name: $0.name, errorCode: $0.errorCode, errorMessage: $0.errorMessage) })
    }

    public func wire(version: Int16) -> Wire.CreatePartitionsResponse {
        Wire.CreatePartitionsResponse(throttleTimeMs: throttleTimeMs, results: results.map {
            .init(name: $0.name, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
        })
    }
}
