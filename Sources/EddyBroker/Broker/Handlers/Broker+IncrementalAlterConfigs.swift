import EddyProtocol
import EddyStorage

/// Topics only carry configs in eddy; other resource types are INVALID_REQUEST. Served by any
/// running broker for the controller. Expects the cluster lock held.
extension Broker {
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
                let image = cluster.metadata.latestImage
                guard image.topic(named: resource.resourceName) != nil else { throw Controller.unknownTopic(resource.resourceName) }
                let names = resource.configs.map(\.name)
                if Set(names).count != names.count { throw .invalidRequest("Error due to duplicate config keys") }
                let current = cluster.topicLogConfig(resource.resourceName, image: image)
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
                        guard Broker.topicConfigType(op.name) == .list, LogConfig.knownKeys.contains(op.name) else {
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
                let records = try cluster.controller.alterConfigs(topic: resource.resourceName, set: set, delete: delete, image: image)
                if !request.validateOnly { try cluster.commit(records) }
            } catch {
                response.errorCode = error.errorCode
                response.errorMessage = error.description
            }
            return response
        })
    }
}
