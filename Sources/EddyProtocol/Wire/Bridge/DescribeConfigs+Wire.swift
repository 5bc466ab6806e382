extension DescribeConfigsRequest {
    /// The request as read off the wire in `version`: no synonyms before v1, no documentation
    /// before v3 (false).
    public init(wire: Wire.DescribeConfigsRequest, version: Int16) {
        self.init(resources: wire.resources.map {
            DescribeConfigsResource(resourceType: ConfigResourceType(wire: $0.resourceType), resourceName: $0.resourceName,
                                    configurationKeys: $0.configurationKeys)
        }, includeSynonyms: wire.includeSynonyms, includeDocumentation: wire.includeDocumentation)
    }

    /// The wire form of the request for `version`: only fields that version carries are set.
    /// `includeSynonyms` (v1+) and `includeDocumentation` (v3+) are dropped where the version
    /// lacks them; the answer then has no synonyms or documentation.
    public func wire(version: Int16) -> Wire.DescribeConfigsRequest {
        Wire.DescribeConfigsRequest(resources: resources.map {
            .init(resourceType: $0.resourceType.rawValue, resourceName: $0.resourceName, configurationKeys: $0.configurationKeys)
        }, includeSynonyms: version >= 1 ? includeSynonyms : false, includeDocumentation: version >= 3 ? includeDocumentation : false)
    }
}

extension DescribeConfigsResponse {
    /// The response as read off the wire in `version`. v0 has `IsDefault` instead of a source:
    /// as Kafka's client reads it, a default is DEFAULT_CONFIG, anything else STATIC_BROKER_CONFIG
    /// for a broker, TOPIC_CONFIG for a topic, UNKNOWN otherwise. Synonyms exist from v1, the
    /// config type and documentation from v3 (unknown and nil before). An unknown source or type
    /// id reads as `.unknown`, as Kafka's `ConfigSource.forId`.
    public init(wire: Wire.DescribeConfigsResponse, version: Int16) {
        self.init(throttleTimeMs: wire.throttleTimeMs, results: wire.results.map { r in
            let resourceType = ConfigResourceType(wire: r.resourceType)
            return DescribeConfigsResult(
                errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: resourceType, resourceName: r.resourceName,
                configs: r.configs.map { c in
                    DescribeConfigsResourceResult(
                        name: c.name, value: c.value, readOnly: c.readOnly,
                        configSource: version >= 1 ? ConfigSource(wire: c.configSource) : .v0(isDefault: c.isDefault, resourceType),
                        isSensitive: c.isSensitive,
                        synonyms: c.synonyms.map { DescribeConfigsSynonym(name: $0.name, value: $0.value, source: ConfigSource(wire: $0.source)) },
                        configType: ConfigType(rawValue: c.configType) ?? .unknown, documentation: version >= 3 ? c.documentation : nil)
                })
        })
    }

    /// The wire form of the response for `version`: only fields that version carries are set.
    /// v0 sends `IsDefault` (the source is DEFAULT_CONFIG) instead of the source; synonyms go
    /// from v1, the config type and documentation from v3.
    public func wire(version: Int16) -> Wire.DescribeConfigsResponse {
        Wire.DescribeConfigsResponse(throttleTimeMs: throttleTimeMs, results: results.map { r in
            .init(errorCode: r.errorCode, errorMessage: r.errorMessage, resourceType: r.resourceType.rawValue, resourceName: r.resourceName,
                  configs: r.configs.map { c in
                      .init(name: c.name, value: c.value, readOnly: c.readOnly,
                            isDefault: version == 0 ? c.configSource == .defaultConfig : false,
                            configSource: version >= 1 ? c.configSource.rawValue : -1, isSensitive: c.isSensitive,
                            synonyms: version >= 1 ? c.synonyms.map { .init(name: $0.name, value: $0.value, source: $0.source.rawValue) } : [],
                            configType: version >= 3 ? c.configType.rawValue : 0, documentation: version >= 3 ? c.documentation : "")
                  })
        })
    }
}

extension DescribeConfigsResponse.ConfigSource {
    init(wire: Int8) {
        self = Self(rawValue: wire) ?? .unknown
    }

    /// The source Kafka's client gives a v0 entry, which has only `IsDefault`.
    static func v0(isDefault: Bool, _ resourceType: ConfigResourceType) -> Self {
        if isDefault { return .defaultConfig }
        switch resourceType {
        case .broker: return .staticBrokerConfig
        case .topic: return .topicConfig
        default: return .unknown
        }
    }
}
