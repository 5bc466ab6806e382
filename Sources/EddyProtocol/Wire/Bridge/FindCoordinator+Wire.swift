extension FindCoordinatorRequest {
    /// The request as read off the wire in `version`: the single-key form (`key`) for v0-3, the
    /// batch form (`coordinatorKeys`) for v4+. v0 has no key type: the key is a group. Kafka
    /// answers an unknown key type with INVALID_REQUEST; it is read as `.share`, a type eddy's
    /// broker refuses with the same error.
    public init(wire: Wire.FindCoordinatorRequest, version: Int16) {
        let keyType = CoordinatorType(rawValue: wire.keyType) ?? .share
        if version >= 4 {
            self.init(keyType: keyType, coordinatorKeys: wire.coordinatorKeys)
        } else {
            self.init(key: wire.key, keyType: keyType)
        }
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// As Kafka's `FindCoordinatorRequest.Builder`: v4+ always send `coordinatorKeys` (a single
    /// key becomes a one-key batch); v0-3 send one `key`, the first of a batch (Kafka refuses a
    /// batch of several). v0 has no key type (Kafka refuses a transaction key there); it is dropped.
    public func wire(version: Int16) -> Wire.FindCoordinatorRequest {
        let keyType = version >= 1 ? keyType.rawValue : 0
        if version >= 4 {
            return Wire.FindCoordinatorRequest(keyType: keyType, coordinatorKeys: isBatched ? coordinatorKeys : [key])
        }
        return Wire.FindCoordinatorRequest(key: isBatched ? coordinatorKeys[0] : key, keyType: keyType)
    }
}

extension FindCoordinatorResponse {
    /// The response as read off the wire in `version`: the top-level fields for v0-3 (no error
    /// message in v0), `coordinators` for v4+ (top-level fields at their defaults).
    public init(wire: Wire.FindCoordinatorResponse, version: Int16) {
        if version >= 4 {
            self.init(throttleTimeMs: wire.throttleTimeMs, coordinators: wire.coordinators.map {
                Coordinator(key: $0.key, nodeId: $0.nodeId, host: $0.host, port: $0.port, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
            })
        } else {
            self.init(throttleTimeMs: wire.throttleTimeMs, errorCode: wire.errorCode, errorMessage: version >= 1 ? wire.errorMessage : nil,
                      nodeId: wire.nodeId, host: wire.host, port: wire.port)
        }
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// v4+ answer in `coordinators`; a single-key-form response (one with top-level fields set)
    /// becomes one entry with an empty key (as Kafka's `FindCoordinatorResponse.coordinators()` reads a v0-3 response). v0-3
    /// answer in the top-level fields, from the first coordinator of a batch-form response.
    public func wire(version: Int16) -> Wire.FindCoordinatorResponse {
        let throttle = version >= 1 ? throttleTimeMs : 0
        if version >= 4 {
            let hasSingle = coordinators.isEmpty && self != FindCoordinatorResponse(throttleTimeMs: throttleTimeMs)
            let all = hasSingle ? [Coordinator(key: "", nodeId: nodeId, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)]
                : coordinators
            return Wire.FindCoordinatorResponse(throttleTimeMs: throttle, coordinators: all.map {
                .init(key: $0.key, nodeId: $0.nodeId, host: $0.host, port: $0.port, errorCode: $0.errorCode, errorMessage: $0.errorMessage)
            })
        }
        let single = coordinators.first
            ?? Coordinator(key: "", nodeId: nodeId, host: host, port: port, errorCode: errorCode, errorMessage: errorMessage)
        return Wire.FindCoordinatorResponse(throttleTimeMs: throttle, errorCode: single.errorCode,
                                            errorMessage: version >= 1 ? single.errorMessage : "",
                                            nodeId: single.nodeId, host: single.host, port: single.port)
    }
}
