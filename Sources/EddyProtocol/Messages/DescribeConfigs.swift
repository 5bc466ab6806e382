/// Kafka's `ConfigResource.Type`: what kind of entity a configuration belongs to (the wire
/// `ResourceType` of DescribeConfigs, AlterConfigs and IncrementalAlterConfigs).
public enum ConfigResourceType: Int8, Sendable, CaseIterable {
    case unknown = 0
    case topic = 2
    case broker = 4
    case brokerLogger = 8
    case clientMetrics = 16
    case group = 32
}

/// DescribeConfigs (API key 32): the configuration of topics, brokers and other resources.
/// Fields follow Kafka's `DescribeConfigsRequest.json` / `DescribeConfigsResponse.json` (v4).
public struct DescribeConfigsRequest: Sendable, Equatable {
    public var resources: [DescribeConfigsResource]
    /// Also return each entry's synonyms, highest precedence first (v1+).
    public var includeSynonyms: Bool
    /// Also return each entry's documentation (v3+).
    public var includeDocumentation: Bool

    public init(resources: [DescribeConfigsResource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    /// Every configuration of one topic.
    public init(topic: String, configurationKeys: [String]? = nil) {
        self.init(resources: [DescribeConfigsResource(resourceType: .topic, resourceName: topic, configurationKeys: configurationKeys)])
    }

    public struct DescribeConfigsResource: Sendable, Equatable {
        public var resourceType: ConfigResourceType
        /// The topic name, the broker id as a decimal string, ...
        public var resourceName: String
        /// The keys to describe; nil for every key.
        public var configurationKeys: [String]?

        public init(resourceType: ConfigResourceType, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }
    }

    /// Kafka's `DescribeConfigsRequest.getErrorResponse`: `error` (and `message`) for every
    /// resource, with no configs.
    public func errorResponse(_ error: ErrorCode, message: String? = nil) -> DescribeConfigsResponse {
        DescribeConfigsResponse(results: resources.map {
            .init(errorCode: error, errorMessage: message, resourceType: $0.resourceType, resourceName: $0.resourceName)
        })
    }
}

public struct DescribeConfigsResponse: Sendable, Equatable {
    public var throttleTimeMs: Int32
    public var results: [DescribeConfigsResult]

    public init(throttleTimeMs: Int32 = 0, results: [DescribeConfigsResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    /// Kafka's `DescribeConfigsResponse.ConfigSource`: where an entry's value comes from.
    public enum ConfigSource: Int8, Sendable, CaseIterable {
        case unknown = 0
        /// A per-topic override (Kafka's `TOPIC_CONFIG`, shown as DYNAMIC_TOPIC_CONFIG).
        case topicConfig = 1
        case dynamicBrokerConfig = 2
        case dynamicDefaultBrokerConfig = 3
        /// From the broker's properties file.
        case staticBrokerConfig = 4
        /// The built-in default.
        case defaultConfig = 5
        case dynamicBrokerLoggerConfig = 6
        case clientMetricsConfig = 7
        case groupConfig = 8
    }

    /// Kafka's `ConfigDef.Type` as DescribeConfigs reports it (v3+).
    public enum ConfigType: Int8, Sendable, CaseIterable {
        case unknown = 0
        case boolean = 1
        case string = 2
        case int = 3
        case short = 4
        case long = 5
        case double = 6
        case list = 7
        case `class` = 8
        case password = 9
    }

    public struct DescribeConfigsResult: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var resourceType: ConfigResourceType
        public var resourceName: String
        public var configs: [DescribeConfigsResourceResult]

        public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, resourceType: ConfigResourceType,
                    resourceName: String, configs: [DescribeConfigsResourceResult] = []) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public struct DescribeConfigsResourceResult: Sendable, Equatable {
        public var name: String
        /// nil for a sensitive entry or one without a value.
        public var value: String?
        public var readOnly: Bool
        public var configSource: ConfigSource
        public var isSensitive: Bool
        /// Only when `includeSynonyms` was asked; highest precedence first.
        public var synonyms: [DescribeConfigsSynonym]
        public var configType: ConfigType
        /// Only when `includeDocumentation` was asked.
        public var documentation: String?

        public init(name: String, value: String?, readOnly: Bool = false, configSource: ConfigSource = .unknown,
                    isSensitive: Bool = false, synonyms: [DescribeConfigsSynonym] = [], configType: ConfigType = .unknown,
                    documentation: String? = nil) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }
    }

    public struct DescribeConfigsSynonym: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var source: ConfigSource

        public init(name: String, value: String?, source: ConfigSource) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    /// The first result for the resource, nil if none.
    public func result(_ type: ConfigResourceType, _ name: String) -> DescribeConfigsResult? {
        results.first { $0.resourceType == type && $0.resourceName == name }
    }
}
