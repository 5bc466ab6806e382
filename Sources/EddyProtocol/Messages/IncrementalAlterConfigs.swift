/// IncrementalAlterConfigs (API key 44): set, delete, append to or subtract from individual
/// configuration entries, leaving the others as they are (KIP-339). Fields follow Kafka's
/// `IncrementalAlterConfigsRequest.json` / `IncrementalAlterConfigsResponse.json` (v1).
public struct IncrementalAlterConfigsRequest: Sendable, Equatable {
    public var resources: [AlterConfigsResource]
    /// Check only: validate and answer as if altered, but change nothing.
    public var validateOnly: Bool

    public init(resources: [AlterConfigsResource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    /// Kafka's `AlterConfigOp.OpType` (the wire `ConfigOperation`).
    public enum OpType: Int8, Sendable, CaseIterable {
        /// Set the value (a per-resource override).
        case set = 0
        /// Remove the override: the value reverts to its default.
        case delete = 1
        /// Add to a list-type value.
        case append = 2
        /// Remove from a list-type value.
        case subtract = 3
    }

    public struct AlterConfigsResource: Sendable, Equatable {
        public var resourceType: ConfigResourceType
        public var resourceName: String
        public var configs: [AlterableConfig]

        public init(resourceType: ConfigResourceType, resourceName: String, configs: [AlterableConfig]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public struct AlterableConfig: Sendable, Equatable {
        public var name: String
        public var configOperation: OpType
        /// nil for `delete`.
        public var value: String?

        public init(name: String, configOperation: OpType, value: String?) {
            self.name = name
            self.configOperation = configOperation
            self.value = value
        }
    }

    /// Kafka's `IncrementalAlterConfigsRequest.getErrorResponse`: `error` (and `message`) for
    /// every resource.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse(responses: resources.map {
            .init(errorCode: error, errorMessage: message, resourceType: $0.resourceType, resourceName: $0.resourceName)
        })
    }
}

public struct IncrementalAlterConfigsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var responses: [AlterConfigsResourceResponse]

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResponse]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public struct AlterConfigsResourceResponse: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var resourceType: ConfigResourceType
        public var resourceName: String

        public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, resourceType: ConfigResourceType, resourceName: String) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
        }
    }

    /// The first result for the resource, nil if none.
    public func response(_ type: ConfigResourceType, _ name: String) -> AlterConfigsResourceResponse? {
        responses.first { $0.resourceType == type && $0.resourceName == name }
    }
}
