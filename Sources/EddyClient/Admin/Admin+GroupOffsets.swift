import EddyProtocol

extension Admin {
    // MARK: List

    /// OffsetFetch from the group's coordinator: the committed offset of each partition (nil:
    /// every partition the group has one for). Partitions without a commit are left out. A
    /// group that does not exist has none.
    public func listConsumerGroupOffsets(_ groupId: String, partitions: [TopicPartition]? = nil) async throws(ClientError) -> [TopicPartition: OffsetAndMetadata] {
        let topics = partitions.map { tps in
            Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map {
                OffsetFetchRequest.OffsetFetchRequestTopic(name: $0.key, partitionIndexes: $0.value.map(\.partition).sorted())
            }
        }
        let request = OffsetFetchRequest(groupId: groupId, topics: topics)
        return try await coordinatorCall(group: groupId, deadline: deadline()) {
            (node) async throws(ClientError) -> [TopicPartition: OffsetAndMetadata] in
            let response = try await client.send(.offsetFetch(request), to: node)
            guard case let .offsetFetch(r) = response else { throw Self.unexpected(response, expected: "OffsetFetch") }
            // A broker may answer in the group form (v8+) even to the single-group form.
            let (code, results) = r.group(groupId).map { ($0.errorCode, $0.topics) } ?? (r.errorCode, r.topics)
            // A group that does not exist has no commits (Kafka answers so, without an error).
            if code == .groupIdNotFound { return [:] }
            try Self.check(code, "group \(groupId)")
            var out: [TopicPartition: OffsetAndMetadata] = [:]
            for t in results {
                for p in t.partitions {
                    let tp = TopicPartition(t.name, p.partitionIndex)
                    try Self.check(p.errorCode, "group \(groupId) partition \(tp)")
                    guard p.committedOffset >= 0 else { continue }
                    out[tp] = OffsetAndMetadata(p.committedOffset, leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : nil,
                                                metadata: p.metadata ?? "")
                }
            }
            return out
        }
    }

    // MARK: Alter

    /// OffsetCommit from outside the group (generation -1, empty member id), as Kafka's admin
    /// commits. The coordinator accepts it only while the group has no members: otherwise it
    /// answers UNKNOWN_MEMBER_ID, thrown with a message saying so.
    public func alterConsumerGroupOffsets(_ groupId: String, _ offsets: [TopicPartition: OffsetAndMetadata]) async throws(ClientError) {
        guard !offsets.isEmpty else { return }
        let request = OffsetCommitRequest(
            groupId: groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: nil,
            topics: Dictionary(grouping: offsets, by: \.key.topic).sorted { $0.key < $1.key }.map { topic, entries in
                .init(name: topic, partitions: entries.sorted { $0.key.partition < $1.key.partition }.map {
                    .init(partitionIndex: $0.key.partition, committedOffset: $0.value.offset,
                          committedLeaderEpoch: $0.value.leaderEpoch ?? -1, committedMetadata: $0.value.metadata)
                })
            })
        try await coordinatorCall(group: groupId, deadline: deadline()) { (node) async throws(ClientError) in
            let response = try await client.send(.offsetCommit(request), to: node)
            guard case let .offsetCommit(r) = response else { throw Self.unexpected(response, expected: "OffsetCommit") }
            // Coordinator errors first: the whole commit is retried elsewhere.
            let codes = r.topics.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partitionIndex), $0.errorCode) } }
            if let moved = codes.first(where: { Self.coordinatorMoved(.broker($0.1, message: nil)) || $0.1 == .coordinatorLoadInProgress }) {
                throw .broker(moved.1, message: "group \(groupId)")
            }
            for (tp, code) in codes.sorted(by: { $0.0 < $1.0 }) where code != .none {
                if code == .unknownMemberId || code == .illegalGeneration || code == .rebalanceInProgress {
                    throw .broker(code, message: "the group '\(groupId)' has active members: its offsets can only be altered "
                        + "while it has none (stop its consumers first)")
                }
                throw .broker(code, message: "group \(groupId) partition \(tp)")
            }
        }
    }

    // MARK: Delete

    /// OffsetDelete: removes the group's committed offsets of `partitions` (KIP-496). A
    /// partition of a topic the group still consumes fails with GROUP_SUBSCRIBED_TO_TOPIC; a
    /// group that does not exist with GROUP_ID_NOT_FOUND.
    public func deleteConsumerGroupOffsets(_ groupId: String, _ partitions: Set<TopicPartition>) async throws(ClientError) {
        for (tp, code) in try await deleteConsumerGroupOffsetsByPartition(groupId, partitions).sorted(by: { $0.key < $1.key }) {
            try Self.check(code, code == .groupSubscribedToTopic
                ? "the group '\(groupId)' still consumes topic \(tp.topic); partition \(tp) keeps its offset"
                : "group \(groupId) partition \(tp)")
        }
    }

    /// OffsetDelete with each partition's own result, as Kafka's
    /// `DeleteConsumerGroupOffsetsResult.partitionResult` gives them (`kafka-consumer-groups
    /// --delete-offsets` prints them). A group-level error (GROUP_ID_NOT_FOUND, ...) is thrown.
    public func deleteConsumerGroupOffsetsByPartition(_ groupId: String,
                                                      _ partitions: Set<TopicPartition>) async throws(ClientError) -> [TopicPartition: ErrorCode] {
        guard !partitions.isEmpty else { return [:] }
        let request = OffsetDeleteRequest(
            groupId: groupId,
            topics: Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }.map {
                .init(name: $0.key, partitions: $0.value.map(\.partition).sorted().map { .init(partitionIndex: $0) })
            })
        return try await coordinatorCall(group: groupId, deadline: deadline()) { (node) async throws(ClientError) -> [TopicPartition: ErrorCode] in
            let response = try await client.send(.offsetDelete(request), to: node)
            guard case let .offsetDelete(r) = response else { throw Self.unexpected(response, expected: "OffsetDelete") }
            try Self.check(r.errorCode, r.errorCode == .groupIdNotFound ? "The group id '\(groupId)' does not exist." : "group \(groupId)")
            var out: [TopicPartition: ErrorCode] = [:]
            for t in r.topics {
                for p in t.partitions { out[TopicPartition(t.name, p.partitionIndex)] = p.errorCode }
            }
            return out
        }
    }
}
