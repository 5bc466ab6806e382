import EddyProtocol

extension Admin {
    /// A topic to create (Kafka's `NewTopic`).
    public struct NewTopic: Sendable, Equatable {
        public var name: String
        /// -1: the broker's num.partitions (or the size of `replicasAssignments`).
        public var numPartitions: Int32
        /// -1: the broker's default.replication.factor (or from `replicasAssignments`).
        public var replicationFactor: Int16
        /// Manual placement: partition -> replica broker ids, the first the preferred leader.
        /// Given, it replaces `numPartitions` and `replicationFactor` (both must then be -1).
        public var replicasAssignments: [Int32: [Int32]]
        /// Topic configuration overrides, Kafka's names (retention.ms, cleanup.policy, ...).
        public var configs: [String: String]

        public init(name: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                    replicasAssignments: [Int32: [Int32]] = [:], configs: [String: String] = [:]) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.replicasAssignments = replicasAssignments
            self.configs = configs
        }
    }

    /// What the broker created (Kafka's `CreateTopicsResult` values).
    public struct CreatedTopic: Sendable, Equatable {
        public var name: String
        public var topicId: KafkaUuid
        public var numPartitions: Int32
        public var replicationFactor: Int16
        /// The resulting configuration when the broker returned it, else empty.
        public var configs: [String: String]

        public init(name: String, topicId: KafkaUuid, numPartitions: Int32, replicationFactor: Int16,
                    configs: [String: String] = [:]) {
            self.name = name
            self.topicId = topicId
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    /// One topic of `listTopics` (Kafka's `TopicListing`).
    public struct TopicListing: Sendable, Equatable {
        public var name: String
        public var topicId: KafkaUuid
        public var isInternal: Bool

        public init(name: String, topicId: KafkaUuid, isInternal: Bool) {
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
        }
    }

    /// Kafka's `TopicDescription`: the topic's partitions with their placement.
    public struct TopicDescription: Sendable, Equatable {
        public var name: String
        public var topicId: KafkaUuid
        public var isInternal: Bool
        /// Sorted by partition.
        public var partitions: [TopicPartitionInfo]

        public init(name: String, topicId: KafkaUuid, isInternal: Bool, partitions: [TopicPartitionInfo]) {
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
        }
    }

    /// Kafka's `TopicPartitionInfo`.
    public struct TopicPartitionInfo: Sendable, Equatable {
        public var partition: Int32
        /// nil while the partition has no leader (offline).
        public var leader: Int32?
        /// In assignment order; the first is the preferred leader.
        public var replicas: [Int32]
        public var isr: [Int32]
        /// Replicas on brokers that are not running.
        public var offlineReplicas: [Int32]
        /// The leader's epoch (Metadata v7 and later); nil when the broker's answer has none
        /// (an older version, or -1). Kafka's Java `TopicPartitionInfo` leaves it out; eddy
        /// shows it, as `kafka-topics --describe` does not.
        public var leaderEpoch: Int32?

        public init(partition: Int32, leader: Int32?, replicas: [Int32], isr: [Int32], offlineReplicas: [Int32] = [],
                    leaderEpoch: Int32? = nil) {
            self.partition = partition
            self.leader = leader
            self.replicas = replicas
            self.isr = isr
            self.offlineReplicas = offlineReplicas
            self.leaderEpoch = leaderEpoch
        }
    }

    /// Kafka's internal topics: hidden from `listTopics` unless asked for.
    static let internalTopicNames: Set<String> = ["__consumer_offsets", "__transaction_state"]

    // MARK: Create

    /// CreateTopics, sent to the controller (any broker when it is unknown). Each topic
    /// succeeds or fails on its own (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
    /// INVALID_REPLICATION_FACTOR, INVALID_CONFIG, ... with the broker's message).
    public func createTopics(_ topics: [NewTopic], validateOnly: Bool = false) async throws(ClientError) -> [String: Result<CreatedTopic, ClientError>] {
        let request = CreateTopicsRequest(
            topics: topics.map { t in
                .init(name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor,
                      assignments: t.replicasAssignments.sorted { $0.key < $1.key }.map { .init(partitionIndex: $0.key, brokerIds: $0.value) },
                      configs: t.configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value) })
            },
            timeoutMs: Int32(clamping: config.defaultApiTimeoutMs), validateOnly: validateOnly)
        let response = try await controllerCall(.createTopics(request))
        guard case let .createTopics(r) = response else { throw Self.unexpected(response, expected: "CreateTopics") }
        var out: [String: Result<CreatedTopic, ClientError>] = [:]
        for t in topics {
            guard let result = r.topic(named: t.name) else {
                out[t.name] = .failure(.broker(.unknownServerError, message: "the broker did not answer for topic \(t.name)"))
                continue
            }
            if result.errorCode != .none {
                out[t.name] = .failure(.broker(result.errorCode, message: result.errorMessage))
            } else {
                var configs: [String: String] = [:]
                for c in result.configs ?? [] { if let v = c.value { configs[c.name] = v } }
                out[t.name] = .success(CreatedTopic(name: t.name, topicId: result.topicId, numPartitions: result.numPartitions,
                                                    replicationFactor: result.replicationFactor, configs: configs))
            }
        }
        if !validateOnly, out.values.contains(where: { if case .success = $0 { true } else { false } }) {
            _ = try? await client.refreshMetadata(topics: topics.map(\.name))
        }
        return out
    }

    /// Creates one topic; its failure is thrown.
    @discardableResult
    public func createTopic(_ topic: NewTopic, validateOnly: Bool = false) async throws(ClientError) -> CreatedTopic {
        guard let result = try await createTopics([topic], validateOnly: validateOnly)[topic.name] else {
            throw .broker(.unknownServerError, message: "no result for topic \(topic.name)")
        }
        return try result.get()
    }

    // MARK: Add partitions

    /// Kafka's `NewPartitions`: a topic's new total partition count, and optionally where each
    /// new partition's replicas go (in order, each list in preference order).
    public struct NewPartitions: Sendable, Equatable {
        public var totalCount: Int32
        public var newAssignments: [[Int32]]?

        public init(totalCount: Int32, newAssignments: [[Int32]]? = nil) {
            self.totalCount = totalCount
            self.newAssignments = newAssignments
        }
    }

    /// CreatePartitions (Kafka's `Admin.createPartitions`), sent to the controller. Each topic
    /// succeeds or fails on its own (INVALID_PARTITIONS when the count is not an increase,
    /// UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT, ... with the broker's message).
    /// Metadata is refreshed afterwards, so this client's producers see the new partitions.
    public func createPartitions(_ topics: [String: NewPartitions],
                                 validateOnly: Bool = false) async throws(ClientError) -> [String: Result<Void, ClientError>] {
        let names = topics.keys.sorted()
        let request = CreatePartitionsRequest(topics: names.map { .init(name: $0, count: topics[$0]!.totalCount,
                                                                        assignments: topics[$0]!.newAssignments) },
                                              timeoutMs: Int32(clamping: config.defaultApiTimeoutMs), validateOnly: validateOnly)
        let response = try await controllerCall(.createPartitions(request))
        guard case let .createPartitions(r) = response else { throw Self.unexpected(response, expected: "CreatePartitions") }
        var out: [String: Result<Void, ClientError>] = [:]
        for name in names {
            guard let result = r.results.first(where: { $0.name == name }) else {
                out[name] = .failure(.broker(.unknownServerError, message: "the broker did not answer for topic \(name)"))
                continue
            }
            out[name] = result.errorCode == .none ? .success(()) : .failure(.broker(result.errorCode, message: result.errorMessage))
        }
        if !validateOnly { _ = try? await client.refreshMetadata(topics: names) }
        return out
    }

    /// Raises one topic's partition count to `totalCount`; its failure is thrown.
    public func createPartitions(_ topic: String, totalCount: Int32, newAssignments: [[Int32]]? = nil,
                                 validateOnly: Bool = false) async throws(ClientError) {
        guard let result = try await createPartitions([topic: NewPartitions(totalCount: totalCount, newAssignments: newAssignments)],
                                                      validateOnly: validateOnly)[topic] else {
            throw .broker(.unknownServerError, message: "no result for topic \(topic)")
        }
        try result.get()
    }

    // MARK: Elect leaders

    /// ElectLeaders (Kafka's `Admin.electLeaders`), sent to the controller: each partition's
    /// result (ELECTION_NOT_NEEDED when its leader is already the one asked for,
    /// PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, ...). With `partitions`
    /// nil, every partition of the cluster, and only those that needed an election answer.
    public func electLeaders(_ type: ElectLeadersRequest.ElectionType,
                             _ partitions: Set<TopicPartition>?) async throws(ClientError) -> [TopicPartition: Result<Void, ClientError>] {
        let topics = partitions.map { tps in
            Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map {
                ElectLeadersRequest.TopicPartitions(topic: $0.key, partitions: $0.value.map(\.partition).sorted())
            }
        }
        let request = ElectLeadersRequest(electionType: type, topicPartitions: topics, timeoutMs: Int32(clamping: config.defaultApiTimeoutMs))
        let response = try await controllerCall(.electLeaders(request))
        guard case let .electLeaders(r) = response else { throw Self.unexpected(response, expected: "ElectLeaders") }
        try Self.check(r.errorCode, "ElectLeaders")
        var out: [TopicPartition: Result<Void, ClientError>] = [:]
        for t in r.replicaElectionResults {
            for p in t.partitionResult {
                out[TopicPartition(t.topic, p.partitionId)] = p.errorCode == .none ? .success(())
                    : .failure(.broker(p.errorCode, message: p.errorMessage))
            }
        }
        if out.values.contains(where: { if case .success = $0 { true } else { false } }) {
            _ = try? await client.refreshMetadata(topics: Array(Set(out.keys.map(\.topic))))
        }
        return out
    }

    // MARK: Delete

    /// DeleteTopics by name, sent to the controller. Each topic succeeds or fails on its own
    /// (UNKNOWN_TOPIC_OR_PARTITION, ...).
    public func deleteTopics(_ names: [String]) async throws(ClientError) -> [String: Result<Void, ClientError>] {
        let request = DeleteTopicsRequest(topicNames: names, timeoutMs: Int32(clamping: config.defaultApiTimeoutMs))
        let response = try await controllerCall(.deleteTopics(request))
        guard case let .deleteTopics(r) = response else { throw Self.unexpected(response, expected: "DeleteTopics") }
        var out: [String: Result<Void, ClientError>] = [:]
        for name in names {
            guard let result = r.topic(named: name) else {
                out[name] = .failure(.broker(.unknownServerError, message: "the broker did not answer for topic \(name)"))
                continue
            }
            out[name] = result.errorCode == .none ? .success(()) : .failure(.broker(result.errorCode, message: result.errorMessage))
        }
        _ = try? await client.refreshMetadata(topics: names)
        return out
    }

    /// Deletes one topic; its failure is thrown.
    public func deleteTopic(_ name: String) async throws(ClientError) {
        guard let result = try await deleteTopics([name])[name] else {
            throw .broker(.unknownServerError, message: "no result for topic \(name)")
        }
        try result.get()
    }

    // MARK: List and describe

    /// Every topic, sorted by name; internal topics (`__consumer_offsets`, ...) only when
    /// `listInternal` is set, as Kafka's `ListTopicsOptions.listInternal`.
    public func listTopics(listInternal: Bool = false) async throws(ClientError) -> [TopicListing] {
        let metadata = try await retrying(until: deadline()) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: nil)
        }
        return metadata.topics.values
            .filter { listInternal || !($0.isInternal || Self.internalTopicNames.contains($0.name)) }
            .map { TopicListing(name: $0.name, topicId: $0.topicId, isInternal: $0.isInternal || Self.internalTopicNames.contains($0.name)) }
            .sorted { $0.name < $1.name }
    }

    /// Describes topics from fresh metadata. A topic that does not exist fails the call with
    /// UNKNOWN_TOPIC_OR_PARTITION naming it.
    public func describeTopics(_ names: [String]) async throws(ClientError) -> [String: TopicDescription] {
        guard !names.isEmpty else { return [:] }
        let metadata = try await retrying(until: deadline()) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: names)
        }
        var out: [String: TopicDescription] = [:]
        for name in names {
            guard let t = metadata.topics[name] else {
                let code = metadata.topicErrors[name] ?? .unknownTopicOrPartition
                throw .broker(code, message: code == .unknownTopicOrPartition ? "Topic '\(name)' does not exist." : "topic \(name)")
            }
            out[name] = TopicDescription(
                name: name, topicId: t.topicId, isInternal: t.isInternal || Self.internalTopicNames.contains(name),
                partitions: t.partitions.map {
                    TopicPartitionInfo(partition: $0.topicPartition.partition, leader: $0.leader >= 0 ? $0.leader : nil,
                                       replicas: $0.replicas, isr: $0.isr, offlineReplicas: $0.offlineReplicas,
                                       leaderEpoch: $0.leaderEpoch >= 0 ? $0.leaderEpoch : nil)
                })
        }
        return out
    }

    /// Describes one topic.
    public func describeTopic(_ name: String) async throws(ClientError) -> TopicDescription {
        guard let d = try await describeTopics([name])[name] else { throw .broker(.unknownTopicOrPartition, message: "Topic '\(name)' does not exist.") }
        return d
    }

    // MARK: Routing

    /// Sends a controller request (CreateTopics, DeleteTopics) to the controller the metadata
    /// names, or any broker when unknown; NOT_CONTROLLER and transport failures refresh the
    /// metadata and retry.
    func controllerCall(_ request: KafkaRequest) async throws(ClientError) -> KafkaResponse {
        try await retrying(until: deadline()) { () async throws(ClientError) -> KafkaResponse in
            var metadata = client.metadata
            if metadata.brokers.isEmpty { metadata = try await client.refreshMetadata(topics: []) }
            let controller = metadata.controllerId
            let response: KafkaResponse
            if controller >= 0, metadata.brokers[controller] != nil {
                do throws(ClientError) {
                    response = try await client.send(request, to: controller)
                } catch let error {
                    _ = try? await client.refreshMetadata(topics: [])
                    throw error
                }
            } else {
                response = try await client.sendToAnyBroker(request).response
            }
            if Self.saysNotController(response) {
                _ = try? await client.refreshMetadata(topics: [])
                throw .broker(.notController, message: nil)
            }
            return response
        }
    }

    static func saysNotController(_ response: KafkaResponse) -> Bool {
        switch response {
        case let .createTopics(r): r.topics.contains { $0.errorCode == .notController }
        case let .deleteTopics(r): r.responses.contains { $0.errorCode == .notController }
        default: false
        }
    }
}
