import EddyProtocol
import EddyStorage

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// DeleteTopics, by name or (when the name is nil) by topic id. Unknown names give
    /// UNKNOWN_TOPIC_OR_PARTITION, unknown ids UNKNOWN_TOPIC_ID; an entry with both or neither,
    /// or a name or id given twice, INVALID_REQUEST (Kafka's `ControllerApis.deleteTopics`).
    func handleDeleteTopics(_ request: DeleteTopicsRequest) -> DeleteTopicsResponse {
        let names = Dictionary(request.topics.compactMap(\.name).map { ($0, 1) }, uniquingKeysWith: +)
        let ids = Dictionary(request.topics.filter { $0.name == nil }.map { ($0.topicId, 1) }, uniquingKeysWith: +)
        return DeleteTopicsResponse(responses: request.topics.map { t in
            if let name = t.name {
                if t.topicId != .zero {
                    return .init(name: name, topicId: t.topicId, errorCode: .invalidRequest, errorMessage: "You may not specify both topic name and topic id.")
                }
                if names[name, default: 0] > 1 { return .init(name: name, errorCode: .invalidRequest, errorMessage: "Duplicate topic name.") }
            } else {
                if t.topicId == .zero {
                    return .init(name: nil, errorCode: .invalidRequest, errorMessage: "Neither topic name nor id were specified.")
                }
                if ids[t.topicId, default: 0] > 1 { return .init(name: nil, topicId: t.topicId, errorCode: .invalidRequest, errorMessage: "Duplicate topic id.") }
            }
            let image = cluster.metadata.latestImage
            let topic = t.name.map { image.topic(named: $0) } ?? image.topic(id: t.topicId)
            guard let topic else {
                if let name = t.name { return .init(name: name, errorCode: .unknownTopicOrPartition, errorMessage: "Topic '\(name)' does not exist.") }
                return .init(name: nil, topicId: t.topicId, errorCode: .unknownTopicId, errorMessage: "Topic ID \(t.topicId) does not exist.")
            }
            do throws(BrokerError) {
                try cluster.commit(cluster.controller.deleteTopic(name: topic.name, image: image))
                return .init(name: topic.name, topicId: topic.id)
            } catch {
                return .init(name: topic.name, topicId: topic.id, errorCode: error.errorCode, errorMessage: error.description)
            }
        })
    }
}
