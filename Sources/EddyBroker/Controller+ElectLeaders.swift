import EddyProtocol

/// ElectLeaders: leader elections asked for by an operator (`kafka-leader-election`), as
/// Kafka's `ReplicationControlManager.electLeaders` runs them.
extension Controller {
    /// One partition's outcome: NONE (a record elects it), ELECTION_NOT_NEEDED (preferred:
    /// its first replica already leads; unclean: it has a leader), PREFERRED_LEADER_NOT_AVAILABLE
    /// (the first replica is not an active ISR member, and the partition keeps its leader),
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE (unclean: no replica is alive), or
    /// UNKNOWN_TOPIC_OR_PARTITION.
    public struct ElectionOutcome: Sendable, Equatable {
        public var errorCode: ErrorCode
        public var message: String?
    }

    /// The records electing `partitions`' leaders (nil: every partition of the cluster, whose
    /// results then leave out those that needed no election, as Kafka's do), and each
    /// partition's outcome. A preferred election moves leadership to the first replica when it
    /// is active and in the ISR; an unclean one gives a partition without a leader its first
    /// active replica, in the ISR or not, whatever the topic's unclean.leader.election.enable
    /// (the records the old ISR held beyond that replica's log end are lost).
    public func electLeaders(_ partitions: [TopicPartition]?, type: ElectLeadersRequest.ElectionType,
                             image: MetadataImage) -> (records: [MetadataRecord], outcomes: [TopicPartition: ElectionOutcome]) {
        var records: [MetadataRecord] = []
        var outcomes: [TopicPartition: ElectionOutcome] = [:]
        let all = partitions == nil
        let targets = partitions ?? image.topicNames.flatMap { name in
            image.topic(named: name)!.partitionIds.map { TopicPartition(name, $0) }
        }
        for tp in targets where outcomes[tp] == nil {
            if case let .unknown(value) = type {
                outcomes[tp] = ElectionOutcome(errorCode: .invalidRequest, message: "Unknown election type \(value)")
                continue
            }
            guard let topic = image.topic(named: tp.topic) else {
                outcomes[tp] = ElectionOutcome(errorCode: .unknownTopicOrPartition, message: "No such topic as \(tp.topic)")
                continue
            }
            guard let registration = topic.partitions[tp.partition] else {
                outcomes[tp] = ElectionOutcome(errorCode: .unknownTopicOrPartition, message: "No such partition as \(tp)")
                continue
            }
            let needed = type == .preferred ? registration.leader != registration.preferredLeader : !registration.hasLeader
            guard needed else {
                if !all { outcomes[tp] = ElectionOutcome(errorCode: .electionNotNeeded, message: "Leader election not needed for topic partition.") }
                continue
            }
            var builder = PartitionChangeBuilder(registration, topicId: topic.id, partitionId: tp.partition, isAcceptableLeader: image.isActive)
            builder.election = type == .preferred ? .preferred : .unclean
            let (record, _) = builder.build()
            // A preferred election succeeds only if it gave the partition its preferred leader
            // (or, for one without a leader, any leader), as Kafka's does.
            if let record, type == .unclean || record.leader == registration.preferredLeader || !registration.hasLeader {
                records.append(.partitionChange(record))
                outcomes[tp] = ElectionOutcome(errorCode: .none, message: nil)
            } else if type == .preferred {
                outcomes[tp] = ElectionOutcome(errorCode: .preferredLeaderNotAvailable,
                                               message: "Failed to elect leader for partition \(tp) under strategy PREFERRED: its preferred replica \(registration.preferredLeader ?? -1) is not an active member of the ISR")
            } else {
                outcomes[tp] = ElectionOutcome(errorCode: .eligibleLeadersNotAvailable,
                                               message: "Failed to elect leader for partition \(tp) under strategy UNCLEAN: no replica is alive")
            }
        }
        return (records, outcomes)
    }
}
