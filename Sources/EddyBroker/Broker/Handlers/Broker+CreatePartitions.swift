import EddyProtocol

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// CreatePartitions: each topic's new partitions validated and added on their own (one
    /// metadata batch each), or only validated with `validateOnly`. A name given twice fails
    /// every entry for it with INVALID_REQUEST ("Duplicate topic name."), as Kafka's
    /// `ControllerApis.createPartitions` does; the other errors are `Controller.createPartitions`'s.
    func handleCreatePartitions(_ request: CreatePartitionsRequest) -> CreatePartitionsResponse {
        let counts = Dictionary(request.topics.map { ($0.name, 1) }, uniquingKeysWith: +)
        return CreatePartitionsResponse(results: request.topics.map { t in
            guard counts[t.name] == 1 else {
                return .init(name: t.name, errorCode: .invalidRequest, errorMessage: "Duplicate topic name.")
            }
            do throws(BrokerError) {
                let (_, start) = cluster.drawTopicIdAndAssignmentStart()
                let records = try cluster.controller.createPartitions(topic: t.name, count: t.count, assignments: t.assignments,
                                                                      image: cluster.metadata.latestImage, assignmentStart: start)
                if !request.validateOnly { try cluster.commit(records) }
                return .init(name: t.name)
            } catch {
                return .init(name: t.name, errorCode: error.errorCode, errorMessage: error.description)
            }
        })
    }
}
