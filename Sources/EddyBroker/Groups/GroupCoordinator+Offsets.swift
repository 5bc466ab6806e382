import EddyProtocol

/// OffsetCommit, OffsetFetch, OffsetDelete and DeleteGroups.
extension GroupCoordinator {
    /// What a member commits for one partition; the commit timestamp is `now`.
    public struct OffsetToCommit: Equatable, Sendable {
        public var offset: Int64
        public var leaderEpoch: Int32
        public var metadata: String
        public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "") {
            self.offset = offset
            self.leaderEpoch = leaderEpoch
            self.metadata = metadata
        }
    }

    /// OffsetCommit. Generation -1 with member "" is a commit outside group management (simple
    /// consumers, admin tools): accepted only while the group is Empty, creating it if needed.
    /// Otherwise the member must belong to the current generation: a stale generation gets
    /// ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID, and a group waiting for
    /// SyncGroup REBALANCE_IN_PROGRESS. Commits during PreparingRebalance are accepted.
    public mutating func commitOffsets(groupId: String, generationId: Int32 = -1, member: MemberIdentity = MemberIdentity(memberId: ""),
                                       offsets: [TopicPartition: OffsetToCommit], now: Int64) -> Outcome<[TopicPartition: ErrorCode]> {
        func all(_ e: ErrorCode) -> Outcome<[TopicPartition: ErrorCode]> {
            Outcome(response: offsets.mapValues { _ in e }, actions: [])
        }
        if groupId.isEmpty { return all(.invalidGroupId) }
        var group: ClassicGroup
        if let existing = groups[groupId] {
            group = existing
        } else {
            guard generationId < 0 else { return all(.illegalGeneration) }
            group = ClassicGroup(groupId: groupId, now: now)
        }
        var actions: [GroupAction] = []
        if group.state == .dead { return all(.coordinatorNotAvailable) }
        if group.isStaticMemberFenced(memberId: member.memberId, instanceId: member.groupInstanceId) { return all(.fencedInstanceId) }
        if !(generationId < 0 && group.state == .empty) {
            if group.state == .completingRebalance { return all(.rebalanceInProgress) }
            guard group.has(member.memberId) else { return all(.unknownMemberId) }
            guard generationId == group.generationId else { return all(.illegalGeneration) }
            scheduleHeartbeat(&group, member.memberId, now: now, &actions)
        }
        let partition = partitionFor(groupId)
        let (results, accepted) = offsetRecords(groupId: groupId, offsets, now: now)
        for a in accepted {
            group.offsets[a.tp] = a.offset
            group.offsetWriteOrder[a.tp] = nextWriteOrder()
            actions.append(.appendRecord(partition: partition, key: a.key, value: a.value))
        }
        groups[groupId] = group
        return Outcome(response: results, actions: actions)
    }

    /// The offsets a commit may store (metadata within offset.metadata.max.bytes, else
    /// OFFSET_METADATA_TOO_LARGE), with their `__consumer_offsets` records, in partition order.
    private func offsetRecords(groupId: String, _ offsets: [TopicPartition: OffsetToCommit], now: Int64)
        -> (results: [TopicPartition: ErrorCode], accepted: [(tp: TopicPartition, offset: CommittedOffset, key: [UInt8], value: [UInt8])]) {
        var results: [TopicPartition: ErrorCode] = [:]
        var accepted: [(tp: TopicPartition, offset: CommittedOffset, key: [UInt8], value: [UInt8])] = []
        for tp in offsets.keys.sorted() {
            let o = offsets[tp]!
            if o.metadata.utf8.count > config.offsetMetadataMaxBytes {
                results[tp] = .offsetMetadataTooLarge
                continue
            }
            results[tp] = ErrorCode.none
            accepted.append((tp, CommittedOffset(offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now),
                             OffsetsTopicRecord.encode(.offsetCommit(group: groupId, tp)),
                             OffsetsTopicRecord.encode(OffsetsTopicRecord.OffsetCommitValue(
                                 offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now))))
        }
        return (results, accepted)
    }

    /// TxnOffsetCommit (Kafka's `handleTxnCommitOffsets`): a transactional producer commits
    /// offsets for the group inside its transaction. They are written at once, in a
    /// transactional batch of the producer, but stay pending (`ClassicGroup.pendingTransactionalOffsets`)
    /// until the transaction's marker reaches the group's partition (`completeTransaction`).
    ///
    /// The group is created (Empty) if unknown. A commit that names a member (a generation ≥ 0,
    /// a member id or an instance id: KIP-447's v3) is checked as Kafka's
    /// `validateOffsetCommit` checks it: FENCED_INSTANCE_ID for a fenced static member,
    /// UNKNOWN_MEMBER_ID for a member id the group does not have, ILLEGAL_GENERATION for a
    /// generation ≥ 0 that is not the group's; one that names none is accepted in any state
    /// (v0-2 carry no member). A Dead group: COORDINATOR_NOT_AVAILABLE.
    public mutating func commitTransactionalOffsets(groupId: String, producerId: Int64, producerEpoch: Int16, generationId: Int32 = -1,
                                                    member: MemberIdentity = MemberIdentity(memberId: ""),
                                                    offsets: [TopicPartition: OffsetToCommit], now: Int64) -> Outcome<[TopicPartition: ErrorCode]> {
        func all(_ e: ErrorCode) -> Outcome<[TopicPartition: ErrorCode]> {
            Outcome(response: offsets.mapValues { _ in e }, actions: [])
        }
        if groupId.isEmpty { return all(.invalidGroupId) }
        var group = groups[groupId] ?? ClassicGroup(groupId: groupId, now: now)
        if group.state == .dead { return all(.coordinatorNotAvailable) }
        if generationId >= 0 || !member.memberId.isEmpty || member.groupInstanceId != nil {
            if group.isStaticMemberFenced(memberId: member.memberId, instanceId: member.groupInstanceId) { return all(.fencedInstanceId) }
            if !member.memberId.isEmpty, !group.has(member.memberId) { return all(.unknownMemberId) }
            if generationId >= 0, generationId != group.generationId { return all(.illegalGeneration) }
        }
        var actions: [GroupAction] = []
        let partition = partitionFor(groupId)
        let (results, accepted) = offsetRecords(groupId: groupId, offsets, now: now)
        for a in accepted {
            group.pendingTransactionalOffsets[producerId, default: [:]][a.tp] = PendingTransactionalOffset(offset: a.offset, writeOrder: nextWriteOrder())
            actions.append(.appendTransactionalRecord(partition: partition, producerId: producerId, producerEpoch: producerEpoch,
                                                      key: a.key, value: a.value))
        }
        groups[groupId] = group
        return Outcome(response: results, actions: actions)
    }

    /// A transaction marker of `producerId` was written to `__consumer_offsets` partition
    /// `partition` (Kafka's `onTransactionCompleted`): the offsets its transaction committed for
    /// the partition's groups become committed (when written after the group's current ones)
    /// or are dropped (abort).
    public mutating func completeTransaction(producerId: Int64, committed: Bool, partition: Int32) {
        // Each group ends on its own: no order is needed, and only groups the producer wrote to
        // are touched.
        let ending = groups.filter { $0.value.pendingTransactionalOffsets[producerId] != nil && partitionFor($0.key) == partition }.keys
        for groupId in ending { groups[groupId]?.completeTransaction(producerId: producerId, committed: committed) }
    }

    /// Forgets offsets a failed write of a TxnOffsetCommit left pending (Kafka's
    /// `failPendingTxnOffsetCommit`): those of `producerId` for `partitions` still at the
    /// write orders that commit gave them.
    public mutating func failTransactionalOffsets(groupId: String, producerId: Int64, written: [TopicPartition: UInt64]) {
        guard var pending = groups[groupId]?.pendingTransactionalOffsets[producerId] else { return }
        for (tp, order) in written where pending[tp]?.writeOrder == order { pending[tp] = nil }
        groups[groupId]?.pendingTransactionalOffsets[producerId] = pending.isEmpty ? nil : pending
    }

    /// The partitions among `partitions` with an offset a transaction committed and has not
    /// ended (UNSTABLE_OFFSET_COMMIT for an OffsetFetch with require_stable).
    public func unstablePartitions(groupId: String, _ partitions: [TopicPartition]) -> Set<TopicPartition> {
        guard let group = groups[groupId] else { return [] }
        return Set(partitions.filter { group.hasPendingTransactionalOffset($0) })
    }

    /// OffsetFetch: the committed offsets of `partitions`, or of every partition with one when nil.
    /// A partition without a committed offset is absent (the wire response reports offset -1).
    public func fetchOffsets(groupId: String, partitions: [TopicPartition]? = nil) -> [TopicPartition: CommittedOffset] {
        guard let group = groups[groupId], group.state != .dead else { return [:] }
        guard let partitions else { return group.offsets }
        var out: [TopicPartition: CommittedOffset] = [:]
        for tp in partitions { out[tp] = group.offsets[tp] }
        return out
    }

    /// OffsetDelete (KIP-496): removes committed offsets, writing tombstones. Refused
    /// (GROUP_SUBSCRIBED_TO_TOPIC) for a topic a member subscribes to (`ClassicGroup.subscribedTopics`;
    /// when the subscriptions cannot be read, every topic of a group with members counts).
    public mutating func deleteOffsets(groupId: String, partitions: [TopicPartition], now: Int64) -> Outcome<[TopicPartition: ErrorCode]> {
        guard var group = groups[groupId], group.state != .dead else {
            return Outcome(response: Dictionary(partitions.map { ($0, ErrorCode.groupIdNotFound) }, uniquingKeysWith: { a, _ in a }), actions: [])
        }
        var results: [TopicPartition: ErrorCode] = [:]
        var actions: [GroupAction] = []
        for tp in partitions {
            if !group.members.isEmpty, group.subscribedTopics?.contains(tp.topic) ?? true {
                results[tp] = .groupSubscribedToTopic
            } else {
                results[tp] = ErrorCode.none
                if group.removeOffset(tp) != nil {
                    actions.append(.appendRecord(partition: partitionFor(groupId),
                                                 key: OffsetsTopicRecord.encode(.offsetCommit(group: groupId, tp)), value: nil))
                }
            }
        }
        groups[groupId] = group
        return Outcome(response: results, actions: actions)
    }

    /// DeleteGroups: an Empty group becomes Dead and is dropped, with tombstones for its offsets
    /// and metadata. NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND if unknown.
    public mutating func deleteGroups(_ groupIds: [String], now: Int64) -> Outcome<[String: ErrorCode]> {
        var results: [String: ErrorCode] = [:]
        var actions: [GroupAction] = []
        for groupId in groupIds {
            guard var group = groups[groupId], group.state != .dead else { results[groupId] = .groupIdNotFound; continue }
            guard group.state == .empty else { results[groupId] = .nonEmptyGroup; continue }
            group.transition(to: .dead, now: now)
            let partition = partitionFor(groupId)
            for tp in group.offsets.keys.sorted() {
                actions.append(.appendRecord(partition: partition, key: OffsetsTopicRecord.encode(.offsetCommit(group: groupId, tp)), value: nil))
            }
            actions.append(.appendRecord(partition: partition, key: OffsetsTopicRecord.encode(.groupMetadata(group: groupId)), value: nil))
            groups[groupId] = nil
            results[groupId] = ErrorCode.none
        }
        return Outcome(response: results, actions: actions)
    }
}

extension GroupCoordinator {
    /// The topics were deleted (Kafka's `onPartitionsDeleted`): their committed offsets go, with
    /// tombstones, from every group; a group left Empty without offsets is dropped (Dead) with a
    /// tombstone for its metadata.
    public mutating func removeOffsets(ofTopics topics: Set<String>, now: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        for groupId in groups.keys.sorted() {
            guard var group = groups[groupId], group.state != .dead else { continue }
            let gone = group.offsets.keys.filter { topics.contains($0.topic) }.sorted()
            guard !gone.isEmpty else { continue }
            let partition = partitionFor(groupId)
            for tp in gone {
                _ = group.removeOffset(tp)
                actions.append(.appendRecord(partition: partition, key: OffsetsTopicRecord.encode(.offsetCommit(group: groupId, tp)), value: nil))
            }
            if group.state == .empty && group.offsets.isEmpty {
                group.transition(to: .dead, now: now)
                actions.append(.appendRecord(partition: partition, key: OffsetsTopicRecord.encode(.groupMetadata(group: groupId)), value: nil))
                groups[groupId] = nil
            } else {
                groups[groupId] = group
            }
        }
        return actions
    }
}
