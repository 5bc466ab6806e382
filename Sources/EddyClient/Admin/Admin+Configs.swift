import EddyProtocol

extension Admin {
    /// Kafka's `ConfigResource`: a topic, a broker (name: its id in decimal), ...
    public struct ConfigResource: Sendable, Hashable {
        public var type: ConfigResourceType
        public var name: String

        public init(_ type: ConfigResourceType, _ name: String) {
            self.type = type
            self.name = name
        }

        public static func topic(_ name: String) -> ConfigResource { ConfigResource(.topic, name) }
        public static func broker(_ id: Int32) -> ConfigResource { ConfigResource(.broker, String(id)) }
    }

    /// Kafka's `ConfigEntry`: one configuration value and where it comes from.
    public struct ConfigEntry: Sendable, Equatable {
        public var name: String
        /// nil for a sensitive entry or one without a value.
        public var value: String?
        public var source: DescribeConfigsResponse.ConfigSource
        public var isReadOnly: Bool
        public var isSensitive: Bool
        /// Only with `includeSynonyms`: the values this one overrides or falls back to, highest
        /// precedence first.
        public var synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym]
        public var type: DescribeConfigsResponse.ConfigType
        /// Only with `includeDocumentation`.
        public var documentation: String?

        /// True when the value is the built-in default (no override anywhere).
        public var isDefault: Bool { source == .defaultConfig }

        public init(name: String, value: String?, source: DescribeConfigsResponse.ConfigSource, isReadOnly: Bool = false,
                    isSensitive: Bool = false, synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym] = [],
                    type: DescribeConfigsResponse.ConfigType = .unknown, documentation: String? = nil) {
            self.name = name
            self.value = value
            self.source = source
            self.isReadOnly = isReadOnly
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.type = type
            self.documentation = documentation
        }
    }

    /// Kafka's `AlterConfigOp`: one incremental change.
    public struct AlterConfigOp: Sendable, Equatable {
        public var name: String
        public var opType: IncrementalAlterConfigsRequest.OpType
        /// nil for `.delete`.
        public var value: String?

        public init(name: String, opType: IncrementalAlterConfigsRequest.OpType, value: String?) {
            self.name = name
            self.opType = opType
            self.value = value
        }

        public static func set(_ name: String, _ value: String) -> AlterConfigOp { AlterConfigOp(name: name, opType: .set, value: value) }
        /// Removes the override, so the default applies again.
        public static func delete(_ name: String) -> AlterConfigOp { AlterConfigOp(name: name, opType: .delete, value: nil) }
    }

    // MARK: Describe

    /// DescribeConfigs: broker resources go to that broker, the others to any broker (as
    /// Kafka's admin routes them). Each resource's entries are sorted by name. A resource error
    /// (UNKNOWN_TOPIC_OR_PARTITION, ...) fails the call.
    public func describeConfigs(_ resources: [ConfigResource], keys: [String]? = nil, includeSynonyms: Bool = false,
                                includeDocumentation: Bool = false) async throws(ClientError) -> [ConfigResource: [ConfigEntry]] {
        var out: [ConfigResource: [ConfigEntry]] = [:]
        // Tansu drops the connection on a DescribeConfigs that names its keys (it cannot encode
        // its answer): on a cluster eddy did not make, every key is asked for and the wanted
        // ones are kept here.
        var askedKeys = keys
        if keys != nil {
            if client.advertisesEddyExtension == nil { _ = try? await client.refreshMetadata(topics: []) }
            if client.advertisesEddyExtension == false { askedKeys = nil }
        }
        for (node, group) in Self.routeByBroker(resources) {
            let request = DescribeConfigsRequest(
                resources: group.map { .init(resourceType: $0.type, resourceName: $0.name, configurationKeys: askedKeys) },
                includeSynonyms: includeSynonyms, includeDocumentation: includeDocumentation)
            let response = try await configCall(.describeConfigs(request), node: node)
            guard case let .describeConfigs(r) = response else { throw Self.unexpected(response, expected: "DescribeConfigs") }
            for resource in group {
                guard let result = r.result(resource.type, resource.name) else {
                    throw .broker(.unknownServerError, message: "no DescribeConfigs result for \(resource.name)")
                }
                try Self.check(result.errorCode, result.errorMessage ?? Self.describe(resource))
                out[resource] = result.configs.filter { keys?.contains($0.name) ?? true }.map {
                    ConfigEntry(name: $0.name, value: $0.value, source: $0.configSource, isReadOnly: $0.readOnly,
                                isSensitive: $0.isSensitive, synonyms: $0.synonyms, type: $0.configType,
                                documentation: $0.documentation)
                }.sorted { $0.name < $1.name }
            }
        }
        return out
    }

    /// Every configuration entry of one topic, sorted by name.
    public func describeTopicConfigs(_ topic: String) async throws(ClientError) -> [ConfigEntry] {
        try await describeConfigs([.topic(topic)])[.topic(topic)] ?? []
    }

    // MARK: Alter

    /// IncrementalAlterConfigs: changes only the named entries of each resource (KIP-339).
    /// A resource error (INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION, ...) fails the call; with
    /// several resources, the ones before it may already be altered, as in Kafka.
    public func incrementalAlterConfigs(_ changes: [ConfigResource: [AlterConfigOp]], validateOnly: Bool = false) async throws(ClientError) {
        for (node, group) in Self.routeByBroker(Array(changes.keys)) {
            let request = IncrementalAlterConfigsRequest(
                resources: group.map { resource in
                    .init(resourceType: resource.type, resourceName: resource.name,
                          configs: changes[resource, default: []].map { .init(name: $0.name, configOperation: $0.opType, value: $0.value) })
                },
                validateOnly: validateOnly)
            let response = try await configCall(.incrementalAlterConfigs(request), node: node)
            guard case let .incrementalAlterConfigs(r) = response else {
                throw Self.unexpected(response, expected: "IncrementalAlterConfigs")
            }
            for resource in group {
                guard let result = r.response(resource.type, resource.name) else {
                    throw .broker(.unknownServerError, message: "no IncrementalAlterConfigs result for \(resource.name)")
                }
                try Self.check(result.errorCode, result.errorMessage ?? Self.describe(resource))
            }
        }
    }

    /// Sets and removes overrides of one topic.
    public func alterTopicConfigs(_ topic: String, set: [String: String] = [:], delete: [String] = [],
                                  validateOnly: Bool = false) async throws(ClientError) {
        let ops = set.sorted { $0.key < $1.key }.map { AlterConfigOp.set($0.key, $0.value) } + delete.map { AlterConfigOp.delete($0) }
        try await incrementalAlterConfigs([.topic(topic): ops], validateOnly: validateOnly)
    }

    // MARK: Routing

    /// Broker resources to their broker (nil: any broker for the rest), in a stable order.
    static func routeByBroker(_ resources: [ConfigResource]) -> [(Int32?, [ConfigResource])] {
        var byNode: [Int32?: [ConfigResource]] = [:]
        for r in resources {
            let node: Int32? = (r.type == .broker || r.type == .brokerLogger) ? Int32(r.name) : nil
            byNode[node, default: []].append(r)
        }
        return byNode.sorted { ($0.key ?? -1) < ($1.key ?? -1) }
    }

    func configCall(_ request: KafkaRequest, node: Int32?) async throws(ClientError) -> KafkaResponse {
        try await retrying(until: deadline()) { () async throws(ClientError) -> KafkaResponse in
            if let node { return try await client.send(request, to: node) }
            return try await client.sendToAnyBroker(request).response
        }
    }

    static func describe(_ resource: ConfigResource) -> String {
        switch resource.type {
        case .topic: "topic \(resource.name)"
        case .broker: "broker \(resource.name)"
        default: "\(resource.type) \(resource.name)"
        }
    }
}
