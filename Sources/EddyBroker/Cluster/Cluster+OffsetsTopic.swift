import EddyProtocol
import EddyStorage

/// `__consumer_offsets`: its creation on demand, and each broker's coordinator loading and
/// unloading the partitions it leads (Kafka's `GroupMetadataManager.loadGroupsAndOffsets` and
/// `removeGroupsForPartition`). Every function here expects the cluster lock held, except
/// `readCoordinatorPartition`.
extension Cluster {
    /// The topic configs Kafka gives `__consumer_offsets` (`GroupCoordinator.offsetsTopicConfigs`).
    /// The coordinator writes its records uncompressed (offsets.topic.compression.codec none).
    var offsetsTopicConfigs: [String: String] {
        ["cleanup.policy": "compact", "segment.bytes": String(options.offsetsTopicSegmentBytes), "compression.type": "producer"]
    }

    /// The `__consumer_offsets` topic, created first if it does not exist yet (Kafka creates it
    /// on the first FindCoordinator): `offsets.topic.num.partitions` partitions, replication factor
    /// `offsets.topic.replication.factor` capped at the number of active brokers.
    func ensureOffsetsTopic() throws(BrokerError) -> TopicImage {
        if let topic = metadata.image.topic(named: OffsetsTopic.name) { return topic }
        let active = controller.assignableBrokerIds(in: metadata.latestImage).count
        let rf = Int16(clamping: max(1, min(Int(options.offsetsTopicReplicationFactor), active)))
        let (id, start) = drawTopicIdAndAssignmentStart()
        let created = try controller.createTopic(name: OffsetsTopic.name, partitions: options.groupCoordinator.offsetsTopicNumPartitions,
                                                 replicationFactor: rf, configs: offsetsTopicConfigs, topicId: id,
                                                 image: metadata.latestImage, assignmentStart: start)
        // Durably at once: the caller coordinates from it next (created once per cluster).
        try commitDurably(created.records)
        logger.info("created \(OffsetsTopic.name)", metadata: ["partitions": "\(created.partitions)", "replicationFactor": "\(rf)"])
        guard let topic = metadata.image.topic(named: OffsetsTopic.name) else {
            throw .unexpected("\(OffsetsTopic.name) missing right after its creation")
        }
        return topic
    }

    /// A new coordinator for a starting broker, its member ids drawn from the cluster's seed
    /// (when seeded; the cluster's own generator is left alone) mixed with the broker and its
    /// run, so no two runs hand out the same ids.
    func makeGroupCoordinator(brokerId: Int32, incarnation: Int64) -> BrokerGroupCoordinator {
        var config = options.groupCoordinator
        if let topic = metadata.image.topic(named: OffsetsTopic.name), topic.partitionCount > 0 {
            config.offsetsTopicNumPartitions = Int32(topic.partitionCount)
        }
        let base = options.randomSeed.map { $0 &* 0x9E37_79B9_7F4A_7C15 } ?? UInt64.random(in: 0 ... .max)
        var mix = SplitMix64(seed: base ^ (UInt64(UInt32(bitPattern: brokerId)) << 32) ^ UInt64(bitPattern: incarnation))
        return BrokerGroupCoordinator(config: config, seed: mix.next())
    }

    /// Called whenever a replica of `__consumer_offsets` changes role on `node`: a new leader
    /// starts loading the partition's groups (`loadCoordinatorPartitions`), a former one unloads
    /// them.
    func coordinatorRoleChanged(_ replica: Replica, on node: Broker) {
        let tp = replica.topicPartition
        guard tp.topic == OffsetsTopic.name else { return }
        if replica.isLeader {
            if node.groups.partitions[tp.partition] == nil { node.groups.partitions[tp.partition] = .loading(lastError: nil) }
        } else {
            node.groups.unload(partition: tp.partition, into: &deferred)
        }
    }

    /// Starts loading every `__consumer_offsets` partition `node` leads but has not loaded yet
    /// (see `loadPartitions`).
    func loadCoordinatorPartitions(on node: Broker) { loadPartitions(of: .groups, on: node) }

    /// Starts loading every partition of `shard`'s topic that `node` leads but has not loaded
    /// yet: marks it `.reading` and leaves the read to `readPartition`, which runs once the lock
    /// is released (`deferred`): the log is read from its start to its end without the cluster
    /// lock, then replayed into the coordinator under it. While a `ClusterDriver` runs the
    /// cluster, the read runs on `coordinatorLoader`, as Kafka's coordinators load on a scheduler
    /// thread of their own; otherwise (tests, the simulation, one-shot commands) on the thread
    /// that flushes. Until then the partition's keys answer COORDINATOR_LOAD_IN_PROGRESS. A
    /// partition that cannot be read or decoded goes back to loading (its error logged once) and
    /// is retried on the next call (`tick()`).
    func loadPartitions(of kind: CoordinatorKind, on node: Broker) {
        let shard = node.shard(kind)
        for p in shard.partitions.keys.sorted() {
            guard case let .loading(lastError) = shard.partitions[p] else { continue }
            let tp = TopicPartition(shard.topicName, p)
            guard let replica = node.replicas[tp], replica.isLeader, let topic = metadata.image.topic(named: shard.topicName) else {
                shard.partitions[p] = nil
                continue
            }
            shard.partitionCountChanged(Int32(max(1, topic.partitionCount)))
            shard.partitions[p] = .reading(lastError: lastError)
            let epoch = replica.leaderEpoch, log = replica.log
            let read: @Sendable () -> Void = { [self] in readPartition(p, of: kind, log: log, epoch: epoch, on: node) }
            // A live cluster reads on the loader's queue, so that neither the thread that flushes
            // (often the driver's, with the timers) nor the answers queued with it wait.
            deferred.append(driverWakeup == nil ? read : { @Sendable [self] in coordinatorLoader.async(execute: read) })
        }
    }

    /// Reads partition `p` of `shard`'s topic from `log` without the cluster lock, then, under
    /// it, replays the records into `node`'s coordinator, if `node` still runs and leads the
    /// partition with this log in `epoch`, and the log did not grow meanwhile (else the read
    /// starts over). Called without the lock (from `flushDeferred`).
    private func readPartition(_ p: Int32, of kind: CoordinatorKind, log: PartitionLog, epoch: Int32, on node: Broker) {
        let shard = node.shard(kind)
        let tp = TopicPartition(shard.topicName, p)
        let logEnd = log.logEndOffset
        let read = Result { try Cluster.storedRecords(of: log, upTo: logEnd) }
        lock.withLock {
            guard case let .reading(lastError) = shard.partitions[p] else { return }
            guard node.isRunning, let replica = node.replicas[tp], replica.log === log, replica.isLeader, replica.leaderEpoch == epoch,
                  log.logEndOffset == logEnd else {
                // Still this broker's to load, but not as read (a new epoch, records appended
                // meanwhile): read again now. A lost leadership has unloaded it already.
                shard.partitions[p] = .loading(lastError: lastError)
                if node.isRunning { loadPartitions(of: kind, on: node) }
                return
            }
            do {
                let records = try read.get()
                try shard.replay(p, epoch: epoch, records: records, cluster: self, node: node)
                shard.partitions[p] = .loaded
                logger.debug("loaded coordinator partition", metadata: ["partition": "\(tp)", "records": "\(records.count)"])
            } catch {
                let message = "\(error)"
                if message != lastError {
                    logger.error("could not load coordinator partition", metadata: ["partition": "\(tp)", "error": "\(message)"])
                }
                shard.partitions[p] = .loading(lastError: message)
            }
        }
        // What the replay carried out (answers, timers' writes, markers), or the read starting over.
        flushDeferred()
    }

    /// Every keyed record of the log, from its start to `end` (its log end when the read
    /// started), in offset order, with the transaction markers among them: records of a
    /// transactional batch name its producer (`StoredRecord.transaction`).
    static func storedRecords(of log: PartitionLog, upTo end: Int64) throws -> [GroupCoordinator.StoredRecord] {
        var out: [GroupCoordinator.StoredRecord] = []
        var next = log.logStartOffset
        while next < end {
            let data = try log.read(from: next, maxBytes: 1 << 20)
            let locations = try MemoryRecords.batches(in: data.bytes)
            guard let last = locations.last else { break }
            for location in locations {
                let h = location.header
                let batch = try RecordBatch(bytes: Array(data.bytes[location.range]))
                if h.attributes.isControl {
                    if h.baseOffset >= next, let marker = try EndTransactionMarker.parse(batch) {
                        out.append(.marker(producerId: h.producerId, committed: marker.committed))
                    }
                    continue
                }
                let transaction: GroupCoordinator.StoredRecord.Transaction? = h.attributes.isTransactional ? .record(producerId: h.producerId) : nil
                for record in try batch.records() where record.offset >= next {
                    guard let key = record.key else { continue }
                    out.append(GroupCoordinator.StoredRecord(key: key, value: record.value, transaction: transaction))
                }
            }
            next = max(next + 1, last.header.nextOffset)
        }
        return out
    }
}
