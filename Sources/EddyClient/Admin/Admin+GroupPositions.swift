import EddyProtocol

extension Admin {
    /// The four positions and two lags of `groupId` (see `GroupPositions`): DescribeGroups for
    /// state and assignments, OffsetFetch for commits, the live consumers of this process (else
    /// the owning member's latest fetch, from EddyFetchPositions) for positions, and three ListOffsets rounds to the leaders (earliest, latest = high
    /// watermark, and latest with DEBUGGING_REPLICA_ID = log-end offset). Partitions of topics
    /// that no longer exist, and offline partitions, keep their commit and get nil offsets.
    ///
    /// - Parameters:
    ///   - liveConsumers: the registry of this process's consumers to read positions from.
    ///   - live: positions to use instead of asking `liveConsumers` (callers that know them
    ///     otherwise, tests).
    public func groupPositions(_ groupId: String, liveConsumers: LiveConsumers = .shared,
                               live: [TopicPartition: GroupPositions.LivePosition]? = nil) async throws(ClientError) -> GroupPositions {
        let description = try await describeConsumerGroup(groupId)
        let committed = try await listConsumerGroupOffsets(groupId).mapValues(\.offset)
        let positions: [TopicPartition: GroupPositions.LivePosition]
        if let live { positions = live } else { positions = await memberPositions(description, registry: liveConsumers) }
        let partitions = Set(committed.keys).union(description.assignments.keys).union(positions.keys)
        let offsets = try await partitionOffsets(Array(partitions))
        return GroupPositions(description: description, committed: committed, offsets: offsets, live: positions)
    }

    /// Log start, high watermark and log-end offset of each partition that exists and has a
    /// leader; partitions of unknown topics (or beyond a topic's partition count) and offline
    /// partitions are left out, so monitoring shows them as unknown instead of waiting for them.
    func partitionOffsets(_ partitions: [TopicPartition]) async throws(ClientError) -> [TopicPartition: GroupPositions.PartitionOffsets] {
        guard !partitions.isEmpty else { return [:] }
        let topics = Set(partitions.map(\.topic)).sorted()
        let metadata = try await retrying(until: deadline()) { () async throws(ClientError) in
            try await client.refreshMetadata(topics: topics)
        }
        let existing = partitions.filter { tp in
            guard let t = metadata.topics[tp.topic] else { return false }
            return tp.partition >= 0 && Int(tp.partition) < t.partitions.count && metadata.leader(of: tp) != nil
        }
        return try await logOffsets(existing)
    }

    /// The log start offset, high watermark and log-end offset of each partition (three
    /// ListOffsets requests to each leader). Partitions the leaders could not answer for are
    /// left out; `logOffsetsResult` says why.
    public func logOffsets(_ partitions: [TopicPartition]) async throws(ClientError) -> [TopicPartition: GroupPositions.PartitionOffsets] {
        try await logOffsetsResult(partitions).offsets
    }

    /// What `logOffsetsResult` read: the offsets of the partitions whose leaders answered, and
    /// for each other partition the error. A partition whose leader did not answer (down,
    /// unreachable, or no longer among the live brokers while the metadata still names it
    /// leader) fails with a `.transport` error and is in `unreachable`.
    public struct LogOffsetsResult: Sendable, Equatable {
        public var offsets: [TopicPartition: GroupPositions.PartitionOffsets]
        public var failures: [TopicPartition: ClientError]

        public init(offsets: [TopicPartition: GroupPositions.PartitionOffsets] = [:], failures: [TopicPartition: ClientError] = [:]) {
            self.offsets = offsets
            self.failures = failures
        }

        /// Partitions whose leader did not answer.
        public var unreachable: Set<TopicPartition> {
            Set(failures.compactMap { tp, error in if case .transport = error { tp } else { nil } })
        }
    }

    /// The log start offset, high watermark, log-end offset and last stable offset of each
    /// partition, partition by partition (Kafka's per-partition ListOffsets futures): each leader
    /// gets its four ListOffsets requests (earliest; latest = high watermark; latest with
    /// DEBUGGING_REPLICA_ID = log-end offset; latest with read_committed = last stable offset,
    /// left unknown where a leader refuses it), and on a cluster eddy did not make one Fetch that
    /// checks the high watermark (`checkedLatestOffsets`), at the same time as the others, so a leader that
    /// does not answer fails only its own partitions, at once, and never holds the others for
    /// longer than default.api.timeout.ms. Partitions whose leader moved are retried after a
    /// metadata refresh within that budget. Throws only when no broker answers Metadata.
    public func logOffsetsResult(_ partitions: [TopicPartition]) async throws(ClientError) -> LogOffsetsResult {
        guard !partitions.isEmpty else { return LogOffsetsResult() }
        let deadline = deadline()
        let answers = try await leaderCallBestEffort(Array(Set(partitions)), deadline: deadline) {
            [client] (leader, tps) async throws(ClientError) -> [TopicPartition: PartitionOutcome<GroupPositions.PartitionOffsets>] in
            var found: [[TopicPartition: PartitionOutcome<Int64>]] = []
            for (spec, replicaId, isolation) in [(OffsetSpec.earliest, ListOffsetsRequest.consumerReplicaId, IsolationLevel.readUncommitted),
                                                 (.latest, ListOffsetsRequest.consumerReplicaId, .readUncommitted),
                                                 (.logEnd, Self.debuggingReplicaId, .readUncommitted),
                                                 (.latest, ListOffsetsRequest.consumerReplicaId, .readCommitted)] {
                let request = ListOffsetsRequest(
                    replicaId: replicaId, isolationLevel: isolation,
                    topics: Dictionary(grouping: tps, by: \.topic).sorted { $0.key < $1.key }.map { topic, tps in
                        .init(name: topic, partitions: tps.map { .init(partitionIndex: $0.partition, timestamp: spec.timestamp) })
                    })
                // Never past the call's budget, whatever request.timeout.ms is.
                let timeout = max(1, deadline - ClientTime.monotonicMs())
                let answer: KafkaResponse
                do throws(ClientError) {
                    answer = try await client.send(.listOffsets(request), to: leader, timeoutMs: timeout)
                } catch {
                    // The last stable offset is extra: a leader that refuses it, or does not
                    // answer it, leaves it unknown and the other three offsets stand.
                    guard isolation == .readCommitted else { throw error }
                    found.append([:])
                    continue
                }
                let response = answer
                guard case let .listOffsets(r) = response else { throw Self.unexpected(response, expected: "ListOffsets") }
                var outcomes: [TopicPartition: PartitionOutcome<Int64>] = [:]
                for tp in tps {
                    guard let p = r.partition(topic: tp.topic, partition: tp.partition) else { continue }
                    outcomes[tp] = p.errorCode != .none ? .failure(p.errorCode) : .success(p.offset)
                }
                found.append(outcomes)
            }
            // A cluster eddy did not make may answer "latest" below the high watermark (see
            // `checkedLatestOffsets`); the log end is never below the high watermark.
            let latest = found[1].compactMapValues { if case let .success(h) = $0 { h } else { nil } }
            let checked = await Self.checkedLatestOffsets(latest, leader: leader, client: client,
                                                          timeoutMs: max(1, deadline - ClientTime.monotonicMs()))
            var outcomes: [TopicPartition: PartitionOutcome<GroupPositions.PartitionOffsets>] = [:]
            for tp in tps {
                switch (found[0][tp], found[1][tp], found[2][tp]) {
                case let (.success(s)?, .success(h)?, .success(e)?):
                    let hw = max(h, checked[tp] ?? h)
                    // Where the Fetch check raised the high watermark, the leader's "latest" answers
                    // are not to be trusted: the last stable offset stays unknown.
                    var lso: Int64?
                    if case let .success(l)? = found[3][tp], hw == h { lso = min(l, hw) }
                    outcomes[tp] = .success(GroupPositions.PartitionOffsets(logStartOffset: s, highWatermark: hw, logEndOffset: max(e, hw),
                                                                            lastStableOffset: lso))
                case let (.failure(code)?, _, _), let (_, .failure(code)?, _), let (_, _, .failure(code)?):
                    outcomes[tp] = .failure(code)
                default:
                    break
                }
            }
            return outcomes
        }
        return LogOffsetsResult(offsets: answers.values, failures: answers.failures)
    }
}
