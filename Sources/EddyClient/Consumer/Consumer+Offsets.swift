import EddyProtocol

extension Consumer {
    // MARK: Positions

    /// The offset of the next record `poll` returns for `tp`, resolving it first if the
    /// partition was just assigned or reset (committed offset, auto.offset.reset, ListOffsets).
    /// - Throws: `.illegalState` if `tp` is not assigned; `.timeout` after `timeoutMs`
    ///   (default.api.timeout.ms by default).
    public func position(_ tp: TopicPartition, timeoutMs: Int64? = nil) async throws(ClientError) -> Int64 {
        let deadline = ClientTime.monotonicMs() + (timeoutMs ?? config.defaultApiTimeoutMs)
        while true {
            let known: Int64? = try withState { (s) throws(ClientError) -> Int64? in
                try s.checkOpen()
                guard s.subscriptions.isAssigned(tp) else {
                    throw .illegalState("You can only check the position for partitions assigned to this consumer.")
                }
                return s.subscriptions.position(tp)
            }
            if let known { return known }
            try await maybeRefreshMetadata()
            try await updateFetchPositions()
            if let p = lock.withLock({ state.subscriptions.position(tp) }) { return p }
            guard ClientTime.monotonicMs() + config.retryBackoffMs < deadline else {
                throw .timeout("Timeout of \(timeoutMs ?? config.defaultApiTimeoutMs)ms expired before the position for partition \(tp) could be determined")
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
        }
    }

    /// Starts the next fetch of `tp` at `offset` (takes effect at the next `poll`).
    /// - Throws: `.illegalState` if `tp` is not assigned or the offset is negative.
    public func seek(_ tp: TopicPartition, offset: Int64) throws(ClientError) {
        guard offset >= 0 else { throw .illegalState("seek offset must not be a negative number") }
        try withState { (s) throws(ClientError) in
            guard s.subscriptions.isAssigned(tp) else { throw Self.notAssigned(tp) }
            s.subscriptions.seek(tp, offset: offset)
        }
        signal.notify()
    }

    /// `seek` to a committed position, keeping its leader epoch.
    public func seek(_ tp: TopicPartition, _ offset: OffsetAndMetadata) throws(ClientError) {
        guard offset.offset >= 0 else { throw .illegalState("seek offset must not be a negative number") }
        try withState { (s) throws(ClientError) in
            guard s.subscriptions.isAssigned(tp) else { throw Self.notAssigned(tp) }
            s.subscriptions.seek(tp, offset: offset.offset, epoch: offset.leaderEpoch)
        }
        signal.notify()
    }

    /// Moves `partitions` (every assigned one when empty) to their log start offset. Lazy, as in
    /// Kafka: resolved by the next `poll` or `position`.
    public func seekToBeginning(_ partitions: [TopicPartition] = []) throws(ClientError) {
        try requestReset(partitions, .earliest)
    }

    /// Moves `partitions` (every assigned one when empty) to their end (the high watermark).
    /// Lazy, as `seekToBeginning`.
    public func seekToEnd(_ partitions: [TopicPartition] = []) throws(ClientError) {
        try requestReset(partitions, .latest)
    }

    private func requestReset(_ partitions: [TopicPartition], _ strategy: AutoOffsetReset) throws(ClientError) {
        try withState { (s) throws(ClientError) in
            let tps = partitions.isEmpty ? s.subscriptions.assigned : partitions
            for tp in tps where !s.subscriptions.isAssigned(tp) { throw Self.notAssigned(tp) }
            for tp in tps { s.subscriptions.requestReset(tp, strategy) }
            s.nextPositionAttemptMs = Int64.min
        }
        signal.notify()
    }

    /// Resolves positions that are not known (Kafka's `updateFetchPositions`): newly assigned
    /// partitions take the group's committed offset (else auto.offset.reset), pending resets
    /// are looked up with ListOffsets. One attempt; after a failure the next waits
    /// retry.backoff.ms.
    /// - Throws: `.noOffsetForPartition` when auto.offset.reset is none and there is no
    ///   committed offset; non-retriable errors.
    func updateFetchPositions() async throws(ClientError) {
        let now = ClientTime.monotonicMs()
        let initializing: [TopicPartition] = lock.withLock {
            now >= state.nextPositionAttemptMs ? state.subscriptions.initializing : []
        }
        if !initializing.isEmpty {
            var committed: [TopicPartition: OffsetAndMetadata] = [:]
            if let coordinator {
                do {
                    committed = try await coordinator.fetchCommittedOnce(initializing, timeoutMs: config.requestTimeoutMs)
                } catch {
                    guard error.isRetriable || error.errorCode == .requestTimedOut else { throw error }
                    lock.withLock { state.nextPositionAttemptMs = ClientTime.monotonicMs() + config.retryBackoffMs }
                    return
                }
            }
            try withState { (s) throws(ClientError) in
                for tp in initializing where s.subscriptions.states[tp]?.fetchState == .initializing {
                    if let c = committed[tp] {
                        s.subscriptions.seek(tp, offset: c.offset, epoch: c.leaderEpoch)
                    } else if config.autoOffsetReset == .none {
                        throw .noOffsetForPartition(tp)
                    } else {
                        s.subscriptions.requestReset(tp, config.autoOffsetReset)
                    }
                }
            }
        }
        let resets: [(TopicPartition, AutoOffsetReset)] = lock.withLock {
            ClientTime.monotonicMs() >= state.nextPositionAttemptMs ? state.subscriptions.awaitingReset : []
        }
        guard !resets.isEmpty else { return }
        var timestamps: [TopicPartition: Int64] = [:]
        for (tp, strategy) in resets {
            guard let ts = strategy.listOffsetsTimestamp else { throw .noOffsetForPartition(tp) }
            timestamps[tp] = ts
        }
        let result = await listOffsetsOnce(timestamps)
        if let fatal = result.fatal { throw fatal }
        lock.withLock {
            var retry = !result.retry.isEmpty
            for (tp, strategy) in resets {
                guard state.subscriptions.states[tp]?.fetchState == .awaitingReset(strategy) else { continue }
                guard let found = result.found[tp], found.offset >= 0 else {
                    retry = true
                    continue
                }
                state.subscriptions.seek(tp, offset: found.offset, epoch: found.leaderEpoch >= 0 ? found.leaderEpoch : nil)
            }
            if retry {
                state.nextPositionAttemptMs = ClientTime.monotonicMs() + config.retryBackoffMs
                state.metadataRefreshNeeded = true
            }
        }
    }

    // MARK: ListOffsets

    struct ListedOffsets {
        var found: [TopicPartition: ListOffsetsResponse.ListOffsetsPartitionResponse] = [:]
        /// Partitions to ask again after a metadata refresh (no leader, leader moved, transport).
        var retry: Set<TopicPartition> = []
        var fatal: ClientError?
    }

    /// One ListOffsets round: each partition's leader is asked for `timestamps[tp]` (or one of
    /// ListOffsetsRequest's special values).
    func listOffsetsOnce(_ timestamps: [TopicPartition: Int64]) async -> ListedOffsets {
        let metadata = client.metadata
        var out = ListedOffsets()
        var perNode: [Int32: [TopicPartition]] = [:]
        for tp in timestamps.keys.sorted() {
            if let leader = metadata.leader(of: tp) { perNode[leader, default: []].append(tp) } else { out.retry.insert(tp) }
        }
        for (node, tps) in perNode.sorted(by: { $0.key < $1.key }) {
            var byTopic: [String: [ListOffsetsRequest.ListOffsetsPartition]] = [:]
            for tp in tps {
                let epoch = metadata.partition(tp)?.leaderEpoch ?? -1
                byTopic[tp.topic, default: []].append(.init(partitionIndex: tp.partition, currentLeaderEpoch: epoch, timestamp: timestamps[tp]!))
            }
            let request = ListOffsetsRequest(isolationLevel: config.isolationLevel,
                                             topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!) })
            guard case let .listOffsets(r)? = try? await client.send(.listOffsets(request), to: node) else {
                out.retry.formUnion(tps)
                continue
            }
            for tp in tps {
                guard let p = r.partition(topic: tp.topic, partition: tp.partition) else { out.retry.insert(tp); continue }
                switch p.errorCode {
                case .none: out.found[tp] = p
                case let code where code.isRetriable || code == .unknownTopicOrPartition: out.retry.insert(tp)
                default: out.fatal = .broker(p.errorCode, message: "listing offsets of \(tp) failed")
                }
            }
        }
        return out
    }

    /// ListOffsets until every partition answered or `timeoutMs` passed (refreshing metadata
    /// between rounds).
    private func listOffsets(_ timestamps: [TopicPartition: Int64], timeoutMs: Int64?, what: String) async throws(ClientError)
        -> [TopicPartition: ListOffsetsResponse.ListOffsetsPartitionResponse] {
        let timeout = timeoutMs ?? config.defaultApiTimeoutMs
        let deadline = ClientTime.monotonicMs() + timeout
        var pending = timestamps
        var found: [TopicPartition: ListOffsetsResponse.ListOffsetsPartitionResponse] = [:]
        if Set(pending.keys.map(\.topic)).contains(where: { client.metadata.topics[$0] == nil }) {
            _ = try? await client.refreshMetadata(topics: Set(pending.keys.map(\.topic)).sorted())
        }
        while true {
            let round = await listOffsetsOnce(pending)
            if let fatal = round.fatal { throw fatal }
            for (tp, p) in round.found {
                found[tp] = p
                pending[tp] = nil
            }
            if pending.isEmpty { return found }
            guard ClientTime.monotonicMs() + config.retryBackoffMs < deadline else {
                throw .timeout("Failed to get \(what) for partitions \(pending.keys.sorted()) within \(timeout)ms")
            }
            await ClientTime.sleep(ms: config.retryBackoffMs)
            _ = try? await client.refreshMetadata(topics: Set(pending.keys.map(\.topic)).sorted())
        }
    }

    /// For each partition, the earliest offset whose timestamp is at or after the given one
    /// (nil when no record is that recent). Needs no assignment.
    public func offsetsForTimes(_ timestamps: [TopicPartition: Int64], timeoutMs: Int64? = nil) async throws(ClientError)
        -> [TopicPartition: OffsetAndTimestamp?] {
        for (tp, ts) in timestamps where ts < 0 {
            throw .illegalState("The target time for partition \(tp) is \(ts). The target time cannot be negative.")
        }
        let found = try await listOffsets(timestamps, timeoutMs: timeoutMs, what: "offsets by times")
        var out: [TopicPartition: OffsetAndTimestamp?] = [:]
        for tp in timestamps.keys {
            if let p = found[tp], p.offset >= 0 {
                out[tp] = OffsetAndTimestamp(offset: p.offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch >= 0 ? p.leaderEpoch : nil)
            } else {
                out[tp] = .some(nil)
            }
        }
        return out
    }

    /// The log start offsets of `partitions`.
    public func beginningOffsets(_ partitions: [TopicPartition], timeoutMs: Int64? = nil) async throws(ClientError) -> [TopicPartition: Int64] {
        let found = try await listOffsets(Dictionary(uniqueKeysWithValues: Set(partitions).map { ($0, ListOffsetsRequest.earliestTimestamp) }),
                                          timeoutMs: timeoutMs, what: "beginning offsets")
        return found.mapValues(\.offset)
    }

    /// The end offsets of `partitions`: the high watermark (read_uncommitted) or the last
    /// stable offset (read_committed), as Kafka's `endOffsets`.
    public func endOffsets(_ partitions: [TopicPartition], timeoutMs: Int64? = nil) async throws(ClientError) -> [TopicPartition: Int64] {
        let found = try await listOffsets(Dictionary(uniqueKeysWithValues: Set(partitions).map { ($0, ListOffsetsRequest.latestTimestamp) }),
                                          timeoutMs: timeoutMs, what: "end offsets")
        return found.mapValues(\.offset)
    }

    // MARK: Committing

    /// The group's committed offsets of `partitions`; a partition without one is absent.
    public func committed(_ partitions: Set<TopicPartition>, timeoutMs: Int64? = nil) async throws(ClientError) -> [TopicPartition: OffsetAndMetadata] {
        guard let coordinator else { throw Self.noGroupId }
        return try await coordinator.fetchCommitted(partitions.sorted(),
                                                    deadlineMs: ClientTime.monotonicMs() + (timeoutMs ?? config.defaultApiTimeoutMs))
    }

    /// Commits `offsets`, or the current positions of every assigned partition when nil, and
    /// waits for the coordinator (retrying coordinator moves until `timeoutMs`).
    /// - Throws: `.commitFailed` when the group rebalanced and this member's generation is
    ///   stale, or a rebalance is in progress; `.timeout`; `.invalidConfig` without group.id.
    public func commitSync(_ offsets: [TopicPartition: OffsetAndMetadata]? = nil, timeoutMs: Int64? = nil) async throws(ClientError) {
        guard let coordinator else { throw Self.noGroupId }
        let (toCommit, isGroup, pending) = try withState { (s) throws(ClientError) in
            try s.checkOpenForCommit()
            return (offsets ?? s.subscriptions.allConsumed, s.subscriptions.isGroupSubscription, s.lastAsyncCommit)
        }
        // Earlier asynchronous commits go first, so this one is not overwritten by an older one.
        await pending?.value
        try await coordinator.commit(toCommit, groupManaged: isGroup,
                                     deadlineMs: ClientTime.monotonicMs() + (timeoutMs ?? config.defaultApiTimeoutMs))
    }

    /// Commits like `commitSync` without waiting; `completion` (if any) gets the outcome.
    /// Commits are sent in the order they were made; `commitSync` and `close` wait for the
    /// pending asynchronous ones.
    public func commitAsync(_ offsets: [TopicPartition: OffsetAndMetadata]? = nil,
                            completion: (@Sendable (Result<[TopicPartition: OffsetAndMetadata], ClientError>) -> Void)? = nil) {
        guard let coordinator else {
            completion?(.failure(Self.noGroupId))
            return
        }
        let snapshot: ([TopicPartition: OffsetAndMetadata], Bool)?
        do {
            snapshot = try withState { (s) throws(ClientError) in
                try s.checkOpenForCommit()
                return (offsets ?? s.subscriptions.allConsumed, s.subscriptions.isGroupSubscription)
            }
        } catch {
            completion?(.failure(error))
            return
        }
        guard let (toCommit, isGroup) = snapshot else { return }
        startAsyncCommit(toCommit, groupManaged: isGroup, coordinator, completion: completion)
    }

    func startAsyncCommit(_ offsets: [TopicPartition: OffsetAndMetadata], groupManaged: Bool, _ coordinator: ConsumerCoordinator,
                          completion: (@Sendable (Result<[TopicPartition: OffsetAndMetadata], ClientError>) -> Void)?) {
        let deadline = ClientTime.monotonicMs() + config.defaultApiTimeoutMs
        // Chained under the lock: this commit starts after the previous one finished.
        lock.withLock {
            let previous = state.lastAsyncCommit
            state.lastAsyncCommit = Task {
                await previous?.value
                do throws(ClientError) {
                    try await coordinator.commit(offsets, groupManaged: groupManaged, deadlineMs: deadline)
                    completion?(.success(offsets))
                } catch {
                    completion?(.failure(error))
                }
            }
        }
    }
}

extension Consumer.State {
    /// Commits are allowed until `close` finishes (it commits itself).
    func checkOpenForCommit() throws(ClientError) {
        if closed { throw .closed("This consumer has already been closed.") }
    }
}
