extension IncrementalAlterConfigsRequest {
    /// The request as read off the wire (every version carries the same fields). Kafka's
    /// `OpType.forId` gives null for an unknown operation id and the broker refuses the
    /// resource; the domain has no such case, so an unknown id reads as a SET without a value,
    /// which a broker refuses with INVALID_REQUEST and which can change nothing.
    public init(wire: Wire.IncrementalAlterConfigsRequest, version: Int16) {
        self.init(resources: wire.resources.map { r in
            AlterConfigsResource(resourceType: ConfigResourceType(wire: r.resourceType), resourceName: r.resourceName, configs: r.configs.map {
                let op = OpType(rawValue: $0.configOperation)
                return AlterableConfig(name: $0.name, configOperation: op ?? .set, value: op == nil ? nil : $0.value)
            })
        }, validateOnly: wire.validateOnly)
    }

    /// The wire form of the request for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.IncrementalAlterConfigsRequest {
        Wire.IncrementalAlterConfigsRequest(resources: resources.map { r in
            .init(resourceType: r.resourceType.rawValue, resourceName: r.resourceName, configs: r.configs.map {
                .init(name: $0.name, configOperation: $0.configOperation.rawValue, value: $0.value)
            })
        }, validateOnly: validateOnly)
    }
}

extension IncrementalAlterConfigsResponse {
    /// The response as read off the wire (every version carries the same fields).
    public init(wire: Wire.IncrementalAlterConfigsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, responses: wire.responses.map {
            AlterConfigsResourceResponse(errorCode: $0.errorCode, errorMessage: $0.errorMessage,
                                         resourceType: ConfigResourceType(wire: $0.resourceType), resourceName: $0.resourceName)
        })
    }

    /// The wire form of the response for `version` (every version carries the same fields).
    public func wire(version: Int16) -> Wire.IncrementalAlterConfigsResponse {
        Wire.IncrementalAlterConfigsResponse(throttleTimeMs: throttleTimeMs, responses: responses.map {
            .init(errorCode: $0.errorCode, errorMessage: $0.errorMessage, resourceType: $0.resourceType.rawValue, resourceName: $0.resourceName)
        })
    }
}
