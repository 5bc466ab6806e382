extension ApiVersionsRequest {
    /// The request as read off the wire in `version`: the client's software name and version
    /// exist from v3 ("" before).
    public init(wire: Wire.ApiVersionsRequest, version: Int16) {
        self.init(clientSoftwareName: wire.clientSoftwareName, clientSoftwareVersion: wire.clientSoftwareVersion)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    public func wire(version: Int16) -> Wire.ApiVersionsRequest {
        version >= 3 ? Wire.ApiVersionsRequest(clientSoftwareName: clientSoftwareName, clientSoftwareVersion: clientSoftwareVersion)
            : Wire.ApiVersionsRequest()
    }
}

extension ApiVersionsResponse {
    /// The response as read off the wire in `version` (no throttle time in v0). The feature
    /// fields of v3+ are not kept. A broker that does not know the request's version answers
    /// UNSUPPORTED_VERSION in v0 (the framing's rule), listing at least ApiVersions' own range
    /// (KIP-511), from which the client picks the version to retry with.
    public init(wire: Wire.ApiVersionsResponse, version: Int16) {
        self.init(errorCode: wire.errorCode, apiKeys: wire.apiKeys.map {
            ApiVersion(apiKey: $0.apiKey, minVersion: $0.minVersion, maxVersion: $0.maxVersion)
        }, throttleTimeMs: wire.throttleTimeMs)
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// The tagged feature fields stay empty (eddy has no feature flags).
    public func wire(version: Int16) -> Wire.ApiVersionsResponse {
        Wire.ApiVersionsResponse(errorCode: errorCode, apiKeys: apiKeys.map {
            .init(apiKey: $0.apiKey, minVersion: $0.minVersion, maxVersion: $0.maxVersion)
        }, throttleTimeMs: version >= 1 ? throttleTimeMs : 0)
    }
}
