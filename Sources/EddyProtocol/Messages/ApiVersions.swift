/// ApiVersions (API key 18): which APIs, at which versions, a broker serves. Fields follow
/// Kafka's `ApiVersionsRequest.json` / `ApiVersionsResponse.json` (v4), without the
/// feature-flag fields.
public struct ApiVersionsRequest: Sendable, Equatable {
    /// The client library's name and version (KIP-511), "" if not sent.
    public var clientSoftwareName: String
    public var clientSoftwareVersion: String

    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    /// Kafka's `ApiVersionsRequest.getErrorResponse`: `error` with no API list. (Kafka lists
    /// ApiVersions' own range for UNSUPPORTED_VERSION; that needs version numbers a wire codec owns.)
    public func errorResponse(_ error: ErrorCode) -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: error, apiKeys: [])
    }
}

public struct ApiVersionsResponse: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var apiKeys: [ApiVersion]
    public var throttleTimeMs: Int32

    public init(errorCode: ErrorCode = .none, apiKeys: [ApiVersion], throttleTimeMs: Int32 = 0) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
    }

    /// One API's supported version range, inclusive. `apiKey` stays a raw Int16 so a response
    /// from a real Kafka broker, which lists APIs eddy has no `ApiKey` case for, is representable.
    public struct ApiVersion: Sendable, Hashable {
        public var apiKey: Int16
        public var minVersion: Int16
        public var maxVersion: Int16

        public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }

        public init(_ apiKey: ApiKey, minVersion: Int16, maxVersion: Int16) {
            self.init(apiKey: apiKey.rawValue, minVersion: minVersion, maxVersion: maxVersion)
        }
    }

    /// The range listed for `key`, nil if the broker does not serve it.
    public func version(for key: ApiKey) -> ApiVersion? {
        apiKeys.first { $0.apiKey == key.rawValue }
    }
}
