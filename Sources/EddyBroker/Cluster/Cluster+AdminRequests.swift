import EddyProtocol
import EddyStorage

/// CreateTopics, DeleteTopics, DeleteRecords and InitProducerId through the transport. Any
/// running broker serves the controller's requests (Kafka forwards them to the controller; here
/// it is in the same process). Every function here expects the cluster lock held.
extension Cluster {
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
                let manual = t.assignments.isEmpty ? nil : try Cluster.manualAssignment(t.assignments)
                let (id, start) = drawTopicIdAndAssignmentStart()
                let created = try controller.createTopic(name: t.name, partitions: t.numPartitions, replicationFactor: t.replicationFactor,
                                                         configs: configs, topicId: id, image: metadataLog.image,
                                                         assignmentStart: start, assignments: manual)
                if !request.validateOnly { try commit(created.records) }
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
            let image = metadataLog.image
            let topic = t.name.map { image.topic(named: $0) } ?? image.topic(id: t.topicId)
            guard let topic else {
                if let name = t.name { return .init(name: name, errorCode: .unknownTopicOrPartition, errorMessage: "Topic '\(name)' does not exist.") }
                return .init(name: nil, topicId: t.topicId, errorCode: .unknownTopicId, errorMessage: "Topic ID \(t.topicId) does not exist.")
            }
            do throws(BrokerError) {
                try commit(controller.deleteTopic(name: topic.name, image: image))
                return .init(name: topic.name, topicId: topic.id)
            } catch {
                return .init(name: topic.name, topicId: topic.id, errorCode: error.errorCode, errorMessage: error.description)
            }
        })
    }

    /// DeleteRecords on this broker's leader replicas: offset -1 means the high watermark; an
    /// offset above the high watermark (or below -1) is OFFSET_OUT_OF_RANGE; one below the log
    /// start offset changes nothing. The low watermark reported is the leader's new log start
    /// offset, answered at once (followers follow it as they fetch; Kafka's broker waits for them).
    func handleDeleteRecords(_ request: DeleteRecordsRequest, on node: BrokerNode) -> DeleteRecordsResponse {
        DeleteRecordsResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitions.map { p in
                let tp = TopicPartition(t.name, p.partitionIndex)
                let replica: Replica
                switch leaderReplica(tp, on: node) {
                case let .success(r): replica = r
                case let .failure(e): return .init(partitionIndex: p.partitionIndex, errorCode: e)
                }
                let log = replica.log
                let target = p.offset == DeleteRecordsRequest.highWatermark ? log.highWatermark : p.offset
                do {
                    let low = try log.deleteRecords(before: target)
                    completeDelayedFetches(tp, node: node.id)
                    return .init(partitionIndex: p.partitionIndex, lowWatermark: low)
                } catch let e as StorageError {
                    return .init(partitionIndex: p.partitionIndex, errorCode: e.errorCode)
                } catch {
                    return .init(partitionIndex: p.partitionIndex, errorCode: .unknownServerError)
                }
            })
        })
    }

    /// InitProducerId for an idempotent producer (no transactional id): a producer id unique
    /// across the cluster and its restarts, epoch 0. Each broker hands out ids from a block of
    /// `Controller.producerIdBlockSize` the controller allocated it in the metadata log, and asks
    /// for the next block when it runs out. The producer id and epoch a re-initialising producer
    /// sends are ignored (as Kafka does without a transactional id). An empty transactional id is
    /// INVALID_REQUEST; any other is UNSUPPORTED_VERSION: eddy has no transactions.
    func handleInitProducerId(_ request: InitProducerIdRequest, on node: BrokerNode) -> InitProducerIdResponse {
        if let id = request.transactionalId {
            return request.errorResponse(id.isEmpty ? .invalidRequest : .unsupportedVersion)
        }
        if node.producerIds.isEmpty {
            do throws(BrokerError) {
                let allocation = try controller.allocateProducerIds(brokerId: node.id, brokerEpoch: node.incarnation, image: metadataLog.image)
                try commit(allocation.records)
                node.producerIds = allocation.block
            } catch {
                logger.error("could not allocate producer ids", metadata: ["broker": "\(node.id)", "error": "\(error)"])
                return request.errorResponse(error.errorCode)
            }
        }
        let id = node.producerIds.lowerBound
        node.producerIds = id + 1 ..< node.producerIds.upperBound
        return InitProducerIdResponse(producerId: id, producerEpoch: 0)
    }
}
