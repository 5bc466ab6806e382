import EddyProtocol

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// ElectLeaders: the elections `Controller.electLeaders` decides, committed as one metadata
    /// batch; each partition's result by topic, in request order (every partition's, when the
    /// request names none, that needed an election).
    func handleElectLeaders(_ request: ElectLeadersRequest) -> ElectLeadersResponse {
        if case let .unknown(value) = request.electionType {
            return request.errorResponse(.invalidRequest, message: "Unknown election type \(value)")
        }
        // Each partition once, in request order.
        var seen = Set<TopicPartition>()
        let asked = request.topicPartitions.map { topics in
            topics.flatMap { t in t.partitions.map { TopicPartition(t.topic, $0) } }.filter { seen.insert($0).inserted }
        }
        var (records, outcomes) = cluster.controller.electLeaders(asked, type: request.electionType, image: cluster.metadata.latestImage)
        if !records.isEmpty {
            do throws(BrokerError) {
                try cluster.commit(records)
            } catch {
                for (tp, o) in outcomes where o.errorCode == .none { outcomes[tp] = .init(errorCode: error.errorCode, message: error.description) }
            }
        }
        var order: [String] = []
        var byTopic: [String: [ElectLeadersResponse.PartitionResult]] = [:]
        for tp in asked ?? outcomes.keys.sorted() {
            guard let o = outcomes[tp] else { continue }
            if byTopic[tp.topic] == nil { order.append(tp.topic) }
            byTopic[tp.topic, default: []].append(.init(partitionId: tp.partition, errorCode: o.errorCode, errorMessage: o.message))
        }
        return ElectLeadersResponse(replicaElectionResults: order.map { .init(topic: $0, partitionResult: byTopic[$0]!) })
    }
}
