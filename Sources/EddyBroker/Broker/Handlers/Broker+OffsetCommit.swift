import EddyProtocol
import EddyStorage

/// A group API (see `Cluster+Groups.swift`: served by the coordinator of the group's
/// `__consumer_offsets` partition). Expects the cluster lock held; responses go to
/// `cluster.deferred`.
extension Broker {
    /// OffsetCommit: partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION and are not
    /// stored; the rest go to the coordinator, and the response waits until their records are
    /// committed in `__consumer_offsets` (write failures mapped as Kafka's `storeOffsets` does).
    func handleOffsetCommit(_ r: OffsetCommitRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        if let e = cluster.coordinatorError(for: r.groupId, on: self) { return cluster.queue(respond, .offsetCommit(r.errorResponse(e))) }
        let image = cluster.metadataLog.image
        var known: [TopicPartition: GroupCoordinator.OffsetToCommit] = [:]
        var fixed: [TopicPartition: ErrorCode] = [:]
        for t in r.topics {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partitionIndex)
                if image.partition(tp) == nil {
                    fixed[tp] = .unknownTopicOrPartition
                } else {
                    known[tp] = .init(offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? "")
                }
            }
        }
        var stored: [TopicPartition: ErrorCode] = [:]
        var actions: [GroupAction] = []
        if !known.isEmpty {
            let outcome = groups.coordinator.commitOffsets(
                groupId: r.groupId, generationId: r.generationIdOrMemberEpoch,
                member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId), offsets: known, now: cluster.clock.nowMs())
            stored = outcome.response
            actions = outcome.actions
        }
        let partition = groups.partition(of: r.groupId)
        let results = fixed.merging(stored) { a, _ in a }
        cluster.carryOut(actions, on: self) { errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            var response = r.errorResponse(.none)
            for t in response.topics.indices {
                for i in response.topics[t].partitions.indices {
                    let tp = TopicPartition(response.topics[t].name, response.topics[t].partitions[i].partitionIndex)
                    let e = results[tp] ?? .unknownServerError
                    response.topics[t].partitions[i].errorCode = e == .none ? writeError : e
                }
            }
            respond(.offsetCommit(response))
        }
    }
}
