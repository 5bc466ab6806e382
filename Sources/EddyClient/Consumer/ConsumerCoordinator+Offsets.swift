import EddyProtocol

extension ConsumerCoordinator {
    /// Kafka's `CommitFailedException` message.
    static let commitFailedMessage = "Commit cannot be completed since the group has already rebalanced and assigned the partitions "
        + "to another member. This means that the time between subsequent calls to poll() was longer than the configured "
        + "max.poll.interval.ms, which typically implies that the poll loop is spending too much time message processing. "
        + "You can address this either by increasing max.poll.interval.ms or by reducing the maximum size of batches returned "
        + "in poll() with max.poll.records."

    /// The generation and member id a commit carries: the stable generation for a member of
    /// the group, -1 and "" for a consumer with user-assigned partitions (which commits as a
    /// "simple" consumer; the coordinator accepts that only while the group has no members).
    func commitIdentity(groupManaged: Bool) throws(ClientError) -> Generation {
        guard groupManaged else { return .none }
        if let g = generationIfStable() { return g }
        if rebalanceInProgress || rejoinNeededOrPending {
            throw .commitFailed("Offset commit cannot be completed since the consumer is undergoing a rebalance for auto partition "
                + "assignment. You can try completing the rebalance by calling poll() and then retry the operation.")
        }
        throw .commitFailed(Self.commitFailedMessage)
    }

    /// OffsetCommit of `offsets`, retrying coordinator moves and loads until `deadlineMs`
    /// (Kafka's `commitOffsetsSync` and its `OffsetCommitResponseHandler`).
    ///
    /// - Throws: `.commitFailed` when the coordinator rejects the generation (UNKNOWN_MEMBER_ID,
    ///   ILLEGAL_GENERATION: the membership is reset) or a rebalance is in progress;
    ///   `.timeout` when the deadline passes; the broker's error for anything else.
    func commit(_ offsets: [TopicPartition: OffsetAndMetadata], groupManaged: Bool, deadlineMs: Int64) async throws(ClientError) {
        guard !offsets.isEmpty else { return }
        var lastError: ClientError?
        while true {
            let identity = try commitIdentity(groupManaged: groupManaged)
            do throws(ClientError) {
                try await commitOnce(offsets, identity: identity, deadlineMs: deadlineMs)
                return
            } catch {
                guard error.isRetriable else { throw error }
                lastError = error
            }
            guard ClientTime.monotonicMs() + config.retryBackoffMs < deadlineMs else {
                throw .timeout("Timeout expired before successfully committing offsets \(Self.describe(offsets)) of group \(groupId)"
                    + (lastError.map { " (last error: \($0))" } ?? ""))
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
            if closed { throw .closed("the consumer of group \(groupId) is closed") }
        }
    }

    /// One OffsetCommit round trip; retriable failures are thrown as retriable errors.
    private func commitOnce(_ offsets: [TopicPartition: OffsetAndMetadata], identity: Generation, deadlineMs: Int64) async throws(ClientError) {
        let remaining = max(1, deadlineMs - ClientTime.monotonicMs())
        let node = try await client.coordinator(forGroup: groupId, timeoutMs: remaining)
        var byTopic: [String: [OffsetCommitRequest.OffsetCommitRequestPartition]] = [:]
        for (tp, o) in offsets.sorted(by: { $0.key < $1.key }) {
            byTopic[tp.topic, default: []].append(.init(partitionIndex: tp.partition, committedOffset: o.offset,
                                                        committedLeaderEpoch: o.leaderEpoch ?? -1, committedMetadata: o.metadata))
        }
        let request = OffsetCommitRequest(groupId: groupId, generationIdOrMemberEpoch: identity.generationId, memberId: identity.memberId,
                                          groupInstanceId: identity.hasGeneration ? groupInstanceId : nil,
                                          topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!) })
        let response: OffsetCommitResponse
        do throws(ClientError) {
            guard case let .offsetCommit(r) = try await client.send(.offsetCommit(request), to: node, timeoutMs: min(remaining, config.requestTimeoutMs)) else {
                throw ClientError.broker(.unknownServerError, message: "expected an OffsetCommit response")
            }
            response = r
        } catch {
            if case .transport = error { client.coordinatorFailed(forGroup: groupId) }
            throw error
        }
        let errors = response.topics.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partitionIndex), $0.errorCode) } }
            .filter { $0.1 != .none }
        guard let (tp, code) = errors.first else { return }
        switch code {
        case .coordinatorNotAvailable, .notCoordinator, .requestTimedOut:
            client.coordinatorFailed(forGroup: groupId)
            throw .broker(code, message: "committing offsets of group \(groupId)")
        case .coordinatorLoadInProgress, .unknownTopicOrPartition:
            throw .broker(code, message: "committing the offset of \(tp) for group \(groupId)")
        case .rebalanceInProgress:
            requestRejoin("OffsetCommit answered REBALANCE_IN_PROGRESS")
            throw .commitFailed("Offset commit cannot be completed since the consumer is undergoing a rebalance for auto partition "
                + "assignment. You can try completing the rebalance by calling poll() and then retry the operation.")
        case .unknownMemberId, .illegalGeneration:
            if identity.hasGeneration, currentGeneration == identity {
                resetGeneration("OffsetCommit answered \(code.name)")
            }
            throw .commitFailed(Self.commitFailedMessage + " (the coordinator answered \(code.name) for generation \(identity.generationId))")
        case .fencedInstanceId:
            throw .broker(code, message: "another consumer with group.instance.id \(groupInstanceId ?? "") joined group \(groupId)")
        default:
            throw .broker(code, message: "committing the offset of \(tp) for group \(groupId)")
        }
    }

    /// OffsetFetch: the committed offsets of `partitions` (absent: none committed), retrying
    /// coordinator moves, loads and unstable offsets until `deadlineMs`.
    func fetchCommitted(_ partitions: [TopicPartition], deadlineMs: Int64) async throws(ClientError) -> [TopicPartition: OffsetAndMetadata] {
        guard !partitions.isEmpty else { return [:] }
        var lastError: ClientError?
        while true {
            do throws(ClientError) {
                return try await fetchCommittedOnce(partitions, timeoutMs: max(1, min(config.requestTimeoutMs, deadlineMs - ClientTime.monotonicMs())))
            } catch {
                guard error.isRetriable else { throw error }
                lastError = error
            }
            guard ClientTime.monotonicMs() + config.retryBackoffMs < deadlineMs else {
                throw .timeout("Timeout expired before fetching the committed offsets of group \(groupId)"
                    + (lastError.map { " (last error: \($0))" } ?? ""))
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
            if closed { throw .closed("the consumer of group \(groupId) is closed") }
        }
    }

    /// One OffsetFetch round trip within `timeoutMs`; retriable failures are thrown as retriable errors.
    func fetchCommittedOnce(_ partitions: [TopicPartition], timeoutMs: Int64) async throws(ClientError) -> [TopicPartition: OffsetAndMetadata] {
        let remaining = max(1, timeoutMs)
        let node = try await client.coordinator(forGroup: groupId, timeoutMs: remaining)
        var byTopic: [String: [Int32]] = [:]
        for tp in partitions { byTopic[tp.topic, default: []].append(tp.partition) }
        let request = OffsetFetchRequest(groupId: groupId, topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.sorted()) },
                                         requireStable: config.isolationLevel == .readCommitted)
        let response: OffsetFetchResponse
        do throws(ClientError) {
            guard case let .offsetFetch(r) = try await client.send(.offsetFetch(request), to: node, timeoutMs: min(remaining, config.requestTimeoutMs)) else {
                throw ClientError.broker(.unknownServerError, message: "expected an OffsetFetch response")
            }
            response = r
        } catch {
            if case .transport = error { client.coordinatorFailed(forGroup: groupId) }
            throw error
        }
        let (groupError, topics): (ErrorCode, [OffsetFetchResponse.OffsetFetchResponseTopic]) =
            if let g = response.group(groupId) { (g.errorCode, g.topics) } else { (response.errorCode, response.topics) }
        try checkFetchError(groupError, nil)
        var out: [TopicPartition: OffsetAndMetadata] = [:]
        for t in topics {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partitionIndex)
                if p.errorCode == .unknownTopicOrPartition { continue }
                try checkFetchError(p.errorCode, tp)
                guard p.committedOffset >= 0 else { continue }
                out[tp] = OffsetAndMetadata(p.committedOffset, leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : nil,
                                            metadata: p.metadata ?? "")
            }
        }
        return out
    }

    private func checkFetchError(_ code: ErrorCode, _ tp: TopicPartition?) throws(ClientError) {
        switch code {
        case .none: return
        case .coordinatorNotAvailable, .notCoordinator:
            client.coordinatorFailed(forGroup: groupId)
            throw .broker(code, message: "fetching the committed offsets of group \(groupId)")
        case .coordinatorLoadInProgress, .unstableOffsetCommit:
            throw .broker(code, message: "fetching the committed offsets of group \(groupId)" + (tp.map { " (\($0))" } ?? ""))
        default:
            throw .broker(code, message: "fetching the committed offsets of group \(groupId)" + (tp.map { " (\($0))" } ?? ""))
        }
    }

    static func describe(_ offsets: [TopicPartition: OffsetAndMetadata]) -> String {
        "{" + offsets.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.offset)" }.joined(separator: ", ") + "}"
    }
}
