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
        var results: [TopicPartition: ErrorCode] = [:]
        let partition = partitionFor(groupId)
        for tp in offsets.keys.sorted() {
            let o = offsets[tp]!
            if o.metadata.utf8.count > config.offsetMetadataMaxBytes {
                results[tp] = .offsetMetadataTooLarge
                continue
            }
            let committed = CommittedOffset(offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now)
            group.offsets[tp] = committed
            results[tp] = ErrorCode.none
            actions.append(.appendRecord(
                partition: partition, key: OffsetsTopicRecord.encode(.offsetCommit(group: groupId, tp)),
                value: OffsetsTopicRecord.encode(OffsetsTopicRecord.OffsetCommitValue(
                    offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: now))))
        }
        groups[groupId] = group
        return Outcome(response: results, actions: actions)
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
                if group.offsets.removeValue(forKey: tp) != nil {
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
                group.offsets[tp] = nil
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
