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
        var plan = OffsetCommitPlan(r.topics.flatMap { t in
            t.partitions.map { p in
                (TopicPartition(t.name, p.partitionIndex),
                 GroupCoordinator.OffsetToCommit(offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? ""))
            }
        }, image: cluster.metadata.image)
        var actions: [GroupAction] = []
        if !plan.known.isEmpty {
            let outcome = groups.coordinator.commitOffsets(
                groupId: r.groupId, generationId: r.generationIdOrMemberEpoch,
                member: .init(memberId: r.memberId, groupInstanceId: r.groupInstanceId), offsets: plan.known, now: cluster.clock.nowMs())
            plan.stored(outcome.response)
            actions = outcome.actions
        }
        let partition = groups.partition(of: r.groupId)
        cluster.carryOut(actions, on: self) { [plan] errors in
            let writeError = Cluster.offsetWriteError(errors[partition] ?? .none)
            var response = r.errorResponse(.none)
            for t in response.topics.indices {
                for i in response.topics[t].partitions.indices {
                    let tp = TopicPartition(response.topics[t].name, response.topics[t].partitions[i].partitionIndex)
                    response.topics[t].partitions[i].errorCode = plan.error(tp, writeError: writeError)
                }
            }
            respond(.offsetCommit(response))
        }
    }
}

/// An offset commit (OffsetCommit, TxnOffsetCommit) on its way through the coordinator: the
/// partitions of unknown topics are answered UNKNOWN_TOPIC_OR_PARTITION and not stored, the
/// rest (`known`) go to the coordinator, whose verdict per partition is added (`stored`).
struct OffsetCommitPlan: Sendable {
    private(set) var known: [TopicPartition: GroupCoordinator.OffsetToCommit] = [:]
    private var results: [TopicPartition: ErrorCode] = [:]

    init(_ partitions: [(TopicPartition, GroupCoordinator.OffsetToCommit)], image: MetadataImage) {
        for (tp, offset) in partitions {
            if image.partition(tp) == nil { results[tp] = .unknownTopicOrPartition } else { known[tp] = offset }
        }
    }

    /// The coordinator's verdicts (an unknown topic's error stays).
    mutating func stored(_ verdicts: [TopicPartition: ErrorCode]) { results.merge(verdicts) { a, _ in a } }

    /// A partition's answer once the write's outcome is known: its own error, else the write's.
    func error(_ tp: TopicPartition, writeError: ErrorCode) -> ErrorCode {
        let e = results[tp] ?? .unknownServerError
        return e == .none ? writeError : e
    }
}
