import EddyProtocol
import EddyStorage

/// Topics only carry configs in eddy; other resource types are INVALID_REQUEST. Served by any
/// running broker for the controller. Expects the cluster lock held.
extension Broker {
    /// DescribeConfigs: every topic config (or the keys asked for; unknown keys are left out)
    /// with its effective value, source (a topic override or the default) and type; synonyms, when
    /// asked, list the override (if any) then the default. Unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
    func handleDescribeConfigs(_ request: DescribeConfigsRequest) -> DescribeConfigsResponse {
        let image = cluster.metadata.image
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
            let config = cluster.topicLogConfig(resource.resourceName, image: image)
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
                             configType: Broker.topicConfigType(entry.key))
            }
            return result
        })
    }

    /// Kafka's declared type of each topic config.
    static func topicConfigType(_ key: String) -> DescribeConfigsResponse.ConfigType {
        switch key {
        case "cleanup.policy": .list
        case "compression.type", "message.timestamp.type": .string
        case "index.interval.bytes", "max.message.bytes", "min.insync.replicas", "segment.bytes", "segment.index.bytes",
             "compression.gzip.level", "compression.lz4.level", "compression.zstd.level": .int
        case "min.cleanable.dirty.ratio": .double
        case "unclean.leader.election.enable": .boolean
        default: .long
        }
    }
}
