import EddyProtocol
import EddyStorage
import Foundation

extension Cluster {
    // MARK: Topics (controller)

    /// Creates a topic; replicas are assigned round-robin over the unfenced brokers, leaders
    /// spread across them, the first replica being the preferred leader.
    @discardableResult
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = -1,
                            configs: [String: String] = [:]) throws(BrokerError) -> CreatedTopic {
        try withLockThenCallbacks { () throws(BrokerError) -> CreatedTopic in
            let (id, start) = drawTopicIdAndAssignmentStart()
            let created = try controller.createTopic(name: name, partitions: partitions, replicationFactor: replicationFactor,
                                                     configs: configs, topicId: id, image: metadata.latestImage,
                                                     assignmentStart: start)
            try commit(created.records)
            return CreatedTopic(name: created.name, topicId: created.topicId, partitions: created.partitions,
                                replicationFactor: created.replicationFactor, configs: created.configs)
        }
    }

    /// A new topic's ID and where its round-robin replica placement starts, from the cluster's
    /// seeded generator when it has one. Caller holds the lock.
    func drawTopicIdAndAssignmentStart() -> (Uuid, Int) {
        var rng = seededRandom
        let id = Broker.newUuid(&rng)
        let start = Int(truncatingIfNeeded: (rng?.next() ?? UInt64.random(in: 0 ..< 1 << 32)) % 1_000_003)
        seededRandom = rng
        return (id, start)
    }

    public func deleteTopic(_ name: String) throws(BrokerError) {
        try withLockThenCallbacks { () throws(BrokerError) in
            try commit(controller.deleteTopic(name: name, image: metadata.latestImage))
        }
    }

    /// CreatePartitions: raises `name`'s partition count to `count` (see
    /// `Controller.createPartitions`); the new partitions' replicas start empty.
    public func createPartitions(_ name: String, count: Int32, assignments: [[Int32]]? = nil) throws(BrokerError) {
        try withLockThenCallbacks { () throws(BrokerError) in
            let (_, start) = drawTopicIdAndAssignmentStart()
            try commit(controller.createPartitions(topic: name, count: count, assignments: assignments, image: metadata.latestImage,
                                                   assignmentStart: start))
        }
    }

    /// ElectLeaders: preferred or unclean elections for `partitions` (nil: every partition;
    /// see `Controller.electLeaders`), committed as one batch; each partition's outcome.
    public func electLeaders(_ partitions: [TopicPartition]?,
                             type: ElectLeadersRequest.ElectionType) throws(BrokerError) -> [TopicPartition: Controller.ElectionOutcome] {
        try withLockThenCallbacks { () throws(BrokerError) -> [TopicPartition: Controller.ElectionOutcome] in
            let (records, outcomes) = controller.electLeaders(partitions, type: type, image: metadata.latestImage)
            if !records.isEmpty { try commit(records) }
            return outcomes
        }
    }

    /// IncrementalAlterConfigs for a topic; returns the overrides in force afterwards.
    @discardableResult
    public func alterConfigs(topic: String, set: [String: String] = [:], delete: [String] = []) throws(BrokerError) -> [String: String] {
        try withLockThenCallbacks { () throws(BrokerError) -> [String: String] in
            try commit(controller.alterConfigs(topic: topic, set: set, delete: delete, image: metadata.latestImage))
            return metadata.latestImage.topicConfigs(topic)
        }
    }

    public func listTopics() -> [String] { lock.withLock { metadata.image.topicNames } }

    public func describeTopic(_ name: String) throws(BrokerError) -> TopicDescription {
        guard let d = try describeTopics([name]).first else { throw Controller.unknownTopic(name) }
        return d
    }

    /// Per partition: leader, replicas, ISR, and the offsets and size of the leader's log (or,
    /// when the partition is offline, of the first running replica's log).
    public func describeTopics(_ names: [String]? = nil) throws(BrokerError) -> [TopicDescription] {
        try withLockThenCallbacks { () throws(BrokerError) -> [TopicDescription] in
            let image = metadata.image
            return try (names ?? image.topicNames).map { (name) throws(BrokerError) -> TopicDescription in
                guard let topic = image.topic(named: name) else { throw Controller.unknownTopic(name) }
                let partitions = topic.partitionIds.map { p -> PartitionDescription in
                    let reg = topic.partitions[p]!
                    let tp = TopicPartition(name, p)
                    let log = (reg.hasLeader ? nodes[reg.leader]?.replicas[tp]?.log : nil)
                        ?? reg.replicas.lazy.compactMap { self.nodes[$0]?.replicas[tp]?.log }.first
                    return PartitionDescription(partition: p, leader: reg.leader, leaderEpoch: reg.leaderEpoch,
                                                replicas: reg.replicas, isr: reg.isr,
                                                logStartOffset: log?.logStartOffset ?? -1, logEndOffset: log?.logEndOffset ?? -1,
                                                highWatermark: log?.highWatermark ?? -1, segmentCount: log?.segmentCount ?? 0,
                                                sizeInBytes: log?.sizeInBytes ?? 0)
                }
                return TopicDescription(name: name, topicId: topic.id, replicationFactor: topic.replicationFactor,
                                        configs: image.topicConfigs(name), partitions: partitions)
            }
        }
    }

    /// Every replica's log end offset and high watermark for one partition (running brokers only).
    public func replicaOffsets(_ tp: TopicPartition) -> [Int32: (logEndOffset: Int64, highWatermark: Int64)] {
        lock.withLock {
            var out: [Int32: (Int64, Int64)] = [:]
            for node in nodes.values { if let r = node.replicas[tp] { out[node.id] = (r.log.logEndOffset, r.log.highWatermark) } }
            return out
        }
    }

    public func describeCluster() -> ClusterDescription {
        lock.withLock {
            let image = metadata.image
            var leaders: [Int32: Int] = [:], replicas: [Int32: Int] = [:]
            var under = 0, offline = 0, partitions = 0
            for name in image.topicNames {
                for reg in image.topic(named: name)!.partitions.values {
                    partitions += 1
                    if reg.hasLeader { leaders[reg.leader, default: 0] += 1 } else { offline += 1 }
                    if reg.isr.count < reg.replicas.count { under += 1 }
                    for r in reg.replicas { replicas[r, default: 0] += 1 }
                }
            }
            let brokers = image.brokers.keys.sorted().map { id -> BrokerDescription in
                let state: BrokerDescription.State = nodes[id] != nil ? .running
                    : (image.brokers[id]!.fenced ? .stopped : .unresponsive)
                return BrokerDescription(id: id, state: state, leaderCount: leaders[id] ?? 0, replicaCount: replicas[id] ?? 0)
            }
            return ClusterDescription(clusterId: clusterId, controllerId: metadata.quorum.activeController ?? -1, brokers: brokers,
                                      topicCount: image.topicNames.count, partitionCount: partitions,
                                      underReplicatedPartitions: under, offlinePartitions: offline,
                                      uncleanElectionLosses: uncleanElectionLosses, quorum: describeQuorumLocked())
        }
    }

    // MARK: Requests from in-process tools

    /// Sends `request` to broker `node` and waits for the answer. Without a running
    /// `ClusterDriver`, replication is pumped here, so an acks=all produce completes (or
    /// times out by the cluster's clock) on the calling thread.
    public func call(_ request: KafkaRequest, to node: Int32) throws(TransportError) -> KafkaResponse {
        let box = ResponseBox()
        send(request, to: node, context: RequestContext(clientId: "eddy-cli")) { box.set($0) }
        while true {
            if let r = box.get() { return try r.get() }
            if driverWakeup != nil {
                box.wait()
                continue
            }
            let before = progressFingerprint()
            replicationRound()
            tick()
            if box.get() == nil, progressFingerprint() == before { Thread.sleep(forTimeInterval: 0.001) }
        }
    }

    /// The current leader of a partition, or the Kafka error that says why there is none.
    public func leader(of tp: TopicPartition) throws(BrokerError) -> Int32 {
        try lock.withLock { () throws(BrokerError) -> Int32 in
            guard let topic = metadata.image.topic(named: tp.topic) else { throw Controller.unknownTopic(tp.topic) }
            guard let reg = topic.partitions[tp.partition] else {
                throw .unknownTopicOrPartition("Partition \(tp.partition) of topic '\(tp.topic)' does not exist (the topic has \(topic.partitionCount) partitions).")
            }
            guard reg.hasLeader else { throw .leaderNotAvailable("Partition \(tp) has no leader: no in-sync replica is running.") }
            return reg.leader
        }
    }

    public func partitionCount(of topic: String) throws(BrokerError) -> Int {
        try lock.withLock { () throws(BrokerError) -> Int in
            guard let t = metadata.image.topic(named: topic) else { throw Controller.unknownTopic(topic) }
            return t.partitionCount
        }
    }

    /// Produces `records` to the partition's leader with `acks` and waits for the answer.
    /// - Throws: the Kafka error of the partition's response (NOT_ENOUGH_REPLICAS, ...).
    @discardableResult
    public func produce(_ tp: TopicPartition, records: [UInt8], acks: Int16 = -1, timeoutMs: Int32 = 30_000) throws(BrokerError) -> ProduceResponse.PartitionProduceResponse {
        let leader = try leader(of: tp)
        let response: KafkaResponse
        do { response = try call(.produce(ProduceRequest(topic: tp.topic, partition: tp.partition, records: records, acks: acks, timeoutMs: timeoutMs)), to: leader) } catch {
            throw .leaderNotAvailable("Leader \(leader) of \(tp) is not reachable: \(error)")
        }
        guard case let .produce(r) = response, let p = r.partition(topic: tp.topic, partition: tp.partition) else {
            throw .unexpected("unexpected response to Produce")
        }
        guard p.errorCode == .none else { throw BrokerError(errorCode: p.errorCode, message: p.errorMessage ?? "produce to \(tp) failed") }
        return p
    }

    /// Reads as a consumer from the partition's leader (below the high watermark), without
    /// waiting for data (fetch.max.wait.ms 0).
    public func fetch(_ tp: TopicPartition, offset: Int64, maxBytes: Int,
                      isolationLevel: IsolationLevel = .readUncommitted) throws(BrokerError) -> FetchResponse.PartitionData {
        let leader = try leader(of: tp)
        let response: KafkaResponse
        do {
            response = try call(.fetch(FetchRequest(topic: tp.topic, partition: tp.partition, fetchOffset: offset,
                                                    partitionMaxBytes: Int32(clamping: max(1, maxBytes)), maxWaitMs: 0,
                                                    isolationLevel: isolationLevel)), to: leader)
        } catch { throw .leaderNotAvailable("Leader \(leader) of \(tp) is not reachable: \(error)") }
        guard case let .fetch(r) = response, let p = r.partition(topic: tp.topic, partition: tp.partition) else {
            throw .unexpected("unexpected response to Fetch")
        }
        guard p.errorCode == .none else { throw BrokerError(errorCode: p.errorCode, message: "fetch from \(tp) at offset \(offset) failed") }
        return p
    }

    /// ListOffsets as a consumer: earliest (-2), latest (-1, the high watermark, or the last
    /// stable offset for read_committed) or a timestamp.
    public func listOffsets(_ tp: TopicPartition, _ spec: OffsetSpec,
                            isolationLevel: IsolationLevel = .readUncommitted) throws(BrokerError) -> ListedOffset {
        let leader = try leader(of: tp)
        let ts: Int64 = switch spec {
        case .earliest: ListOffsetsRequest.earliestTimestamp
        case .latest: ListOffsetsRequest.latestTimestamp
        case let .timestamp(t): t
        }
        let response: KafkaResponse
        do {
            response = try call(.listOffsets(ListOffsetsRequest(topic: tp.topic, partition: tp.partition, timestamp: ts,
                                                                isolationLevel: isolationLevel)), to: leader)
        } catch {
            throw .leaderNotAvailable("Leader \(leader) of \(tp) is not reachable: \(error)")
        }
        guard case let .listOffsets(r) = response, let p = r.partition(topic: tp.topic, partition: tp.partition) else {
            throw .unexpected("unexpected response to ListOffsets")
        }
        guard p.errorCode == .none else { throw BrokerError(errorCode: p.errorCode, message: "list offsets of \(tp) failed") }
        return p.offset < 0 ? .unknown : ListedOffset(offset: p.offset, timestamp: p.timestamp)
    }

    /// DeleteRecords on the leader; followers follow the log start offset as they fetch. Handed
    /// to the leader directly (`deliver`, never lost on the way), which answers it at once.
    @discardableResult
    public func deleteRecords(_ tp: TopicPartition, before offset: Int64) throws(BrokerError) -> Int64 {
        let leader = try leader(of: tp)
        let box = ResponseBox()
        deliver(.deleteRecords(DeleteRecordsRequest(topic: tp.topic, partition: tp.partition, offset: offset)), to: leader,
                context: RequestContext(clientId: "eddy-cli")) { box.set($0) }
        let response: KafkaResponse
        do {
            guard let answer = box.get() else { throw TransportError.timedOut(leader) }
            response = try answer.get()
        } catch {
            throw .leaderNotAvailable("Leader \(leader) of \(tp) is not running: \(error)")
        }
        guard case let .deleteRecords(r) = response,
              let p = r.topics.first(where: { $0.name == tp.topic })?.partitions.first(where: { $0.partitionIndex == tp.partition }) else {
            throw .unexpected("unexpected response to DeleteRecords")
        }
        guard p.errorCode == .none else {
            let why = p.errorCode == .offsetOutOfRange ? "offset \(offset) of \(tp) is above its high watermark: records can only be deleted below it"
                : "delete records of \(tp) failed"
            throw BrokerError(errorCode: p.errorCode, message: why)
        }
        return p.lowWatermark
    }

    /// Kafka's periodic log tasks on every running broker: retention (retention.ms,
    /// retention.bytes, the log start offset) and flush.ms. With `compactNow`, also cleans every
    /// compacted log that is dirty enough, on this thread, until none is (a short-lived process
    /// such as a CLI command cannot wait for the background cleaner's next round).
    public func runMaintenance(compactNow: Bool = false) throws(BrokerError) {
        let managers = lock.withLock { nodes.values.sorted { $0.id < $1.id }.map(\.logManager) }
        for m in managers {
            try BrokerError.storage { try m.runMaintenance() }
            if compactNow {
                // Each round cleans the dirtiest log; bounded so a log that stays dirty cannot loop forever.
                for _ in 0 ..< max(1, m.allLogs.count * 2) where m.cleaner.cleanOnce() {}
            }
        }
    }
}

/// A one-shot slot for a transport completion.
final class ResponseBox: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Result<KafkaResponse, TransportError>?

    func set(_ v: Result<KafkaResponse, TransportError>) {
        condition.lock()
        value = v
        condition.broadcast()
        condition.unlock()
    }

    func get() -> Result<KafkaResponse, TransportError>? {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    func wait() {
        condition.lock()
        while value == nil { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05)) }
        condition.unlock()
    }
}
