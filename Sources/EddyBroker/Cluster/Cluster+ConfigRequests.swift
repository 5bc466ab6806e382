import EddyProtocol
import EddyStorage

/// DescribeConfigs and IncrementalAlterConfigs for topics through the transport (any running
/// broker answers for the controller). Only topic resources carry configs in eddy; other
/// resource types are INVALID_REQUEST. Every function here expects the cluster lock held.
extension Cluster {
    /// DescribeConfigs: every topic config (or the keys asked for; unknown keys are left out)
    /// with its effective value, source (a topic override or the default) and type; synonyms, when
    /// asked, list the override (if any) then the default. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
    func handleDescribeConfigs(_ request: DescribeConfigsRequest) -> DescribeConfigsResponse {
        let image = metadataLog.image
        return DescribeConfigsResponse(results: request.resources.map { resource in
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: resource.resourceType, resourceName: resource.resourceName)
            guard resource.resourceType == .topic else {
                result.errorCode = .invalidRequest
                result.errorMessage = "eddy describes the configs of topics only."
                return result
            }
            guard image.topic(named: resource.resourceName) != nil else {
                result.errorCode = .unknownTopicOrPartition
                result.errorMessage = "The topic '\(resource.resourceName)' does not exist."
                return result
            }
            let config = topicLogConfig(resource.resourceName, image: image)
            let defaults = LogConfig()
            let wanted = resource.configurationKeys.map(Set.init)
            result.configs = config.effectiveValues.filter { wanted?.contains($0.key) ?? true }.map { entry in
                let source: DescribeConfigsResponse.ConfigSource = entry.isDefault ? .defaultConfig : .topicConfig
                var synonyms: [DescribeConfigsResponse.DescribeConfigsSynonym] = []
                if request.includeSynonyms {
                    if !entry.isDefault { synonyms.append(.init(name: entry.key, value: entry.value, source: .topicConfig)) }
                    let fallback = defaults.effectiveValues.first { $0.key == entry.key }?.value
                    synonyms.append(.init(name: entry.key, value: fallback, source: .defaultConfig))
                }
                return .init(name: entry.key, value: entry.value, configSource: source, synonyms: synonyms,
                             configType: Cluster.topicConfigType(entry.key))
            }
            return result
        })
    }

    /// Kafka's declared type of each topic config.
    static func topicConfigType(_ key: String) -> DescribeConfigsResponse.ConfigType {
        switch key {
        case "cleanup.policy": .list
        case "compression.type", "message.timestamp.type": .string
        case "index.interval.bytes", "max.message.bytes", "min.insync.replicas", "segment.bytes", "segment.index.bytes": .int
        case "min.cleanable.dirty.ratio": .double
        case "unclean.leader.election.enable": .boolean
        default: .long
        }
    }

    /// IncrementalAlterConfigs (KIP-339) for topics: SET and DELETE of any topic config, APPEND
    /// and SUBTRACT of list configs (`cleanup.policy`), each resource applied (or, with
    /// `validateOnly`, only checked) as one metadata batch. A key named twice in one resource, a
    /// SET without a value, or APPEND/SUBTRACT of a non-list config is INVALID_REQUEST; an unknown
    /// key or invalid value INVALID_CONFIG; an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
    func handleIncrementalAlterConfigs(_ request: IncrementalAlterConfigsRequest) -> IncrementalAlterConfigsResponse {
        IncrementalAlterConfigsResponse(responses: request.resources.map { resource in
            var response = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(
                resourceType: resource.resourceType, resourceName: resource.resourceName)
            do throws(BrokerError) {
                guard resource.resourceType == .topic else { throw .invalidRequest("eddy alters the configs of topics only.") }
                let image = metadataLog.image
                guard image.topic(named: resource.resourceName) != nil else { throw Controller.unknownTopic(resource.resourceName) }
                let names = resource.configs.map(\.name)
                if Set(names).count != names.count { throw .invalidRequest("Error due to duplicate config keys") }
                let current = topicLogConfig(resource.resourceName, image: image)
                var set: [String: String] = [:]
                var delete: [String] = []
                for op in resource.configs {
                    switch op.configOperation {
                    case .set:
                        guard let value = op.value else { throw .invalidRequest("Null value not supported for : \(op.name)") }
                        set[op.name] = value
                    case .delete:
                        delete.append(op.name)
                    case .append, .subtract:
                        guard Cluster.topicConfigType(op.name) == .list, LogConfig.knownKeys.contains(op.name) else {
                            throw .invalidRequest("Config value \(op.configOperation == .append ? "append" : "subtract") is not allowed for config key: \(op.name)")
                        }
                        let now = current.effectiveValues.first { $0.key == op.name }?.value ?? ""
                        var items = now.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                        let given = (op.value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                        if op.configOperation == .append {
                            for item in given where !items.contains(item) { items.append(item) }
                        } else {
                            items.removeAll(where: given.contains)
                        }
                        set[op.name] = items.joined(separator: ",")
                    }
                }
                let records = try controller.alterConfigs(topic: resource.resourceName, set: set, delete: delete, image: image)
                if !request.validateOnly { try commit(records) }
            } catch {
                response.errorCode = error.errorCode
                response.errorMessage = error.description
            }
            return response
        })
    }
}
