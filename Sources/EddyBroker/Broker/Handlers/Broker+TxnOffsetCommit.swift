import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// TxnOffsetCommit (Kafka's `KafkaApis.handleTxnOffsetCommitRequest`): a transactional
    /// producer commits the group's offsets inside its transaction. Partitions of unknown topics
    /// get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the group coordinator
    /// (`GroupCoordinator.commitTransactionalOffsets`), whose record is written in a
    /// transactional batch of the producer, and the answer waits until it is committed in
    /// `__consumer_offsets` (write failures mapped as OffsetCommit's are; an older producer
    /// epoch is INVALID_PRODUCER_EPOCH). The offsets stay pending until the transaction's
    /// marker reaches the partition; a failed write takes them back.
    func handleTxnOffsetCommit(_ r: TxnOffsetCommitRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return cluster.queue(respond, .txnOffsetCommit(r.errorResponse(e))) }
        var plan = OffsetCommitPlan(r.topics.flatMap { t in
            t.partitions.map { p in
                (TopicPartition(t.name, p.partitionIndex),
                 GroupCoordinator.OffsetToCommit(offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? ""))
            }
        }, image: cluster.metadata.image)
        var actions: [GroupAction] = []
        var written: [TopicPartition: UInt64] = [:]
        if !plan.known.isEmpty {
            let outcome = groups.coordinator.commitTransactionalOffsets(
                groupId: r.groupId, producerId: r.producerId, producerEpoch: r.producerEpoch, generationId: r.generationId,
                member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId), offsets: plan.known, now: cluster.clock.nowMs())
            plan.stored(outcome.response)
            actions = outcome.actions
            // What the write, if it fails, takes back: the pending offsets at the orders given now.
            written = (groups.coordinator.groups[r.groupId]?.pendingTransactionalOffsets[r.producerId] ?? [:])
                .filter { outcome.response[$0.key] == ErrorCode.none }.mapValues(\.writeOrder)
        }
        let partition = groups.partition(of: r.groupId), taken = written
        cluster.carryOut(actions, on: self) { [self, plan] errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            if writeError != .none, !taken.isEmpty {
                cluster.lock.withLock { groups.coordinator.failTransactionalOffsets(groupId: r.groupId, producerId: r.producerId, written: taken) }
            }
            var response = r.errorResponse(.none)
            for t in response.topics.indices {
                for i in response.topics[t].partitions.indices {
                    let tp = TopicPartition(response.topics[t].name, response.topics[t].partitions[i].partitionIndex)
                    response.topics[t].partitions[i].errorCode = plan.error(tp, writeError: writeError)
                }
            }
            respond(.txnOffsetCommit(response))
        }
    }
}
