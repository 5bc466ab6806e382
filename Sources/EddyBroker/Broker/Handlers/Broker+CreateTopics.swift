import EddyProtocol
import EddyStorage

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// CreateTopics: each topic validated and created on its own (one metadata batch each), or
    /// only validated with `validateOnly`. A name given twice fails both entries with
    /// INVALID_REQUEST. Successful entries carry the topic id, partition count, replication
    /// factor and every config with its value and source (1 topic override, 5 default).
    func handleCreateTopics(_ request: CreateTopicsRequest) -> CreateTopicsResponse {
        let counts = Dictionary(request.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        return CreateTopicsResponse(topics: request.topics.map { t in
            guard counts[t.name] == 1 else {
                return .init(name: t.name, errorCode: .invalidRequest, errorMessage: "Duplicate topic name.")
            }
            do throws(BrokerError) {
                var configs: [String: String] = [:]
                for c in t.configs {
                    guard let value = c.value else { throw .invalidConfig("Null value not supported for topic configs: \(c.name)") }
                    configs[c.name] = value
                }
                let manual = t.assignments.isEmpty ? nil : try Broker.manualAssignment(t.assignments)
                let (id, start) = cluster.drawTopicIdAndAssignmentStart()
                let created = try cluster.controller.createTopic(name: t.name, partitions: t.numPartitions, replicationFactor: t.replicationFactor,
                                                         configs: configs, topicId: id, image: cluster.metadata.latestImage,
                                                         assignmentStart: start, assignments: manual)
                if !request.validateOnly { try cluster.commit(created.records) }
                let effective = (try? LogConfig(overrides: created.configs)) ?? LogConfig()
                return .init(name: t.name, topicId: created.topicId, numPartitions: created.partitions,
                             replicationFactor: created.replicationFactor,
                             configs: effective.effectiveValues.map {
                                 .init(name: $0.key, value: $0.value, configSource: $0.isDefault ? 5 : 1)
                             })
            } catch {
                return .init(name: t.name, errorCode: error.errorCode, errorMessage: error.description)
            }
        })
    }

    /// The replica lists of a manual assignment, by partition 0, 1, ...
    static func manualAssignment(_ a: [CreateTopicsRequest.CreatableReplicaAssignment]) throws(BrokerError) -> [[Int32]] {
        var byPartition: [Int32: [Int32]] = [:]
        for entry in a {
            guard byPartition.updateValue(entry.brokerIds, forKey: entry.partitionIndex) == nil else {
                throw .invalidReplicaAssignment("Found multiple manual partition assignments for partition \(entry.partitionIndex)")
            }
        }
        let ids = byPartition.keys.sorted()
        guard ids == Array(0 ..< Int32(ids.count)) else {
            throw .invalidReplicaAssignment("Partitions should be a consecutive 0-based integer sequence")
        }
        return ids.map { byPartition[$0]! }
    }
}
