import EddyProtocol

extension Consumer {
    /// Returns the next records (at most `max.poll.records`), waiting up to `timeoutMs` for
    /// some to arrive; an empty array when none did. Records of one partition come in offset
    /// order, and each poll continues where the last one stopped.
    ///
    /// Also where the group lives, as in Kafka: a rebalance that is due is prepared here
    /// (auto-commit, `onPartitionsRevoked`/`onPartitionsLost`), its join runs in the background
    /// and its result is applied here (`onPartitionsAssigned`); auto-commits go out every
    /// auto.commit.interval.ms; newly assigned partitions get their position from the committed
    /// offset or auto.offset.reset. A cooperative member keeps returning records of the
    /// partitions it keeps while it rejoins.
    ///
    /// - Throws: `.illegalState` without a subscription or assignment, or when another `poll`
    ///   is running; `.closed` after `close`; `.noOffsetForPartition` / `.offsetOutOfRange`
    ///   with auto.offset.reset=none; `.broker(.corruptMessage, ...)` for a batch that fails its
    ///   CRC; fatal group errors (FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, ...).
    public func poll(timeoutMs: Int64) async throws(ClientError) -> [ConsumerRecord] {
        try withState { (s) throws(ClientError) in
            try s.checkOpen()
            guard s.subscriptions.kind != .none else {
                throw .illegalState("Consumer is not subscribed to any topics or assigned any partitions")
            }
            guard !s.polling else { throw .illegalState("Consumer is not safe for concurrent poll calls") }
            s.polling = true
            s.lastPollWallMs = ClientTime.wallClockMs()
        }
        defer { lock.withLock { state.polling = false } }
        coordinator?.pollCalled()
        let deadline = ClientTime.monotonicMs() + max(0, timeoutMs)
        while true {
            let seen = signal.current
            try withState { (s) throws(ClientError) in try s.checkOpen() }
            try await updateAssignmentMetadataIfNeeded()
            let records = try collectFetched()
            sendFetches()
            if !records.isEmpty { return records }
            let now = ClientTime.monotonicMs()
            guard now < deadline else { return [] }
            await signal.wait(after: seen, untilMs: min(deadline, nextWakeupMs(now: now)))
        }
    }

    /// When the waiting poll must look again even if nothing arrives: a broker's fetch backoff
    /// ends, a failed position lookup may be retried, an auto-commit is due, metadata is due.
    private func nextWakeupMs(now: Int64) -> Int64 {
        lock.withLock {
            var t = Int64.max
            for (_, until) in state.fetchBackoffUntil where until > now { t = min(t, until) }
            if !state.subscriptions.hasAllPositions { t = min(t, max(state.nextPositionAttemptMs, now + 1)) }
            if state.metadataRefreshNeeded { t = min(t, state.lastMetadataAttemptMs + config.retryBackoffMs) }
            t = min(t, state.lastMetadataRefreshMs + config.metadataMaxAgeMs)
            if config.autoCommitEnabled { t = min(t, state.nextAutoCommitMs) }
            return max(t, now + 1)
        }
    }

    /// Kafka's `updateAssignmentMetadataIfNeeded`: metadata, the group, auto-commit, positions.
    func updateAssignmentMetadataIfNeeded() async throws(ClientError) {
        try await maybeRefreshMetadata()
        if let coordinator {
            try coordinator.throwIfFatal()
            if lock.withLock({ state.subscriptions.isGroupSubscription }) {
                try await pollGroup(coordinator)
            }
            maybeAutoCommit(coordinator)
        }
        try await updateFetchPositions()
    }

    // MARK: The group

    private func pollGroup(_ coordinator: ConsumerCoordinator) async throws(ClientError) {
        coordinator.start()
        if let outcome = coordinator.takeCompletedJoin() {
            switch outcome {
            case let .joined(generation, assignment):
                await onJoinComplete(generation, assignment, coordinator)
                coordinator.joinApplied()
            case .reset, .cancelled:
                break
            case let .failed(e):
                throw e
            }
        }
        if let prepare = coordinator.joinPrepareNeeded() {
            await onJoinPrepare(generationLost: prepare.generationLost, coordinator)
            coordinator.joinPrepared()
        }
        coordinator.startJoinIfNeeded { self.joinProtocols(coordinator) }
    }

    /// Before a rebalance (Kafka's `ConsumerCoordinator.onJoinPrepare`): commit the positions
    /// (auto-commit) while the generation is still valid, then give up partitions: all of them
    /// with an eager protocol (`onPartitionsRevoked`), under cooperative only those whose topic
    /// left the subscription, and all as lost when the membership was lost (`onPartitionsLost`).
    private func onJoinPrepare(generationLost: Bool, _ coordinator: ConsumerCoordinator) async {
        let (owned, consumed, listener, subscribed) = lock.withLock {
            (state.subscriptions.assigned, state.subscriptions.allConsumed, state.listener, state.subscriptions.subscribedTopics)
        }
        if !generationLost, config.autoCommitEnabled, !consumed.isEmpty {
            try? await coordinator.commit(consumed, groupManaged: true,
                                          deadlineMs: ClientTime.monotonicMs() + config.requestTimeoutMs)
        }
        let revoked: [TopicPartition]
        if generationLost || coordinator.rebalanceProtocol == .eager {
            revoked = owned
        } else {
            revoked = owned.filter { !subscribed.contains($0.topic) }
        }
        if !revoked.isEmpty, let listener {
            if generationLost { await listener.onPartitionsLost(revoked) } else { await listener.onPartitionsRevoked(revoked) }
        }
        lock.withLock {
            if coordinator.rebalanceProtocol == .eager, !generationLost, !owned.isEmpty { state.ownedBeforeRevocation = owned }
            if generationLost { state.ownedBeforeRevocation = [] }
            let keep = Set(owned).subtracting(revoked)
            state.subscriptions.assignFromSubscribed(owned.filter { keep.contains($0) })
            state.buffer.retain(assigned: { [subscriptions = state.subscriptions] in subscriptions.isAssigned($0) })
        }
    }

    /// After a join (Kafka's `ConsumerCoordinator.onJoinComplete`): eager takes the assignment
    /// as it is; cooperative revokes what it owned and no longer has (then rejoins, so those
    /// partitions can go to their new owner) and adds the new ones.
    private func onJoinComplete(_ generation: Generation, _ assignment: [TopicPartition], _ coordinator: ConsumerCoordinator) async {
        let (owned, listener, subscribed) = lock.withLock {
            (state.subscriptions.assigned, state.listener, state.subscriptions.subscribedTopics)
        }
        let assigned = assignment.filter { subscribed.contains($0.topic) }.sorted()
        if assigned.count != assignment.count {
            coordinator.requestRejoin("the assignment contains topics this member does not subscribe to")
        }
        let assignedSet = Set(assigned)
        let added: [TopicPartition]
        if coordinator.rebalanceProtocol == .cooperative {
            let revoked = owned.filter { !assignedSet.contains($0) }
            let ownedSet = Set(owned)
            added = assigned.filter { !ownedSet.contains($0) }
            if !revoked.isEmpty {
                if config.autoCommitEnabled {
                    let consumed = lock.withLock { state.subscriptions.allConsumed.filter { revoked.contains($0.key) } }
                    try? await coordinator.commit(consumed, groupManaged: true,
                                                  deadlineMs: ClientTime.monotonicMs() + config.requestTimeoutMs)
                }
                await listener?.onPartitionsRevoked(revoked)
                coordinator.requestRejoin("need to revoke partitions and re-join")
            }
        } else {
            added = assigned
        }
        lock.withLock {
            state.subscriptions.assignFromSubscribed(assigned)
            state.buffer.retain(assigned: { assignedSet.contains($0) })
            state.ownedBeforeRevocation = []
            state.nextAutoCommitMs = ClientTime.monotonicMs() + config.autoCommitIntervalMs
        }
        await listener?.onPartitionsAssigned(added)
        signal.notify()
    }

    /// The JoinGroup protocols: one per configured assignor, preferred first, each carrying this
    /// member's subscription in Kafka's ConsumerProtocol format. Owned partitions are the
    /// current assignment, except that the eager "sticky" assignor is told what was owned
    /// before the revocation (Kafka passes that in the sticky assignor's user data).
    private func joinProtocols(_ coordinator: ConsumerCoordinator) -> [JoinGroupRequest.JoinGroupRequestProtocol] {
        let (topics, owned, before) = lock.withLock {
            (state.subscriptions.subscribedTopics.sorted(), state.subscriptions.assigned, state.ownedBeforeRevocation)
        }
        let generationId = coordinator.lastJoinedGenerationId
        return config.partitionAssignmentStrategy.map { name in
            let ownedForProtocol = coordinator.rebalanceProtocol == .eager && name == "sticky" && owned.isEmpty ? before : owned
            let data = ConsumerProtocol.SubscriptionData(topics: topics, ownedPartitions: ownedForProtocol, generationId: generationId)
            return .init(name: name, metadata: ConsumerProtocol.encode(data))
        }
    }

    // MARK: Auto-commit

    /// Kafka's `maybeAutoCommitOffsetsAsync`: every auto.commit.interval.ms, commit the
    /// positions asynchronously (only while stable in a generation for a group member).
    private func maybeAutoCommit(_ coordinator: ConsumerCoordinator) {
        guard config.autoCommitEnabled else { return }
        let now = ClientTime.monotonicMs()
        let (due, isGroup, consumed) = lock.withLock { () -> (Bool, Bool, [TopicPartition: OffsetAndMetadata]) in
            guard now >= state.nextAutoCommitMs else { return (false, false, [:]) }
            state.nextAutoCommitMs = now + config.autoCommitIntervalMs
            return (true, state.subscriptions.isGroupSubscription, state.subscriptions.allConsumed)
        }
        guard due, !consumed.isEmpty else { return }
        if isGroup, coordinator.generationIfStable() == nil { return }
        startAsyncCommit(consumed, groupManaged: isGroup, coordinator) { [weak self] result in
            // A retriable failure is retried after the backoff rather than a whole interval.
            if case let .failure(e) = result, e.isRetriable, let self {
                self.lock.withLock { self.state.nextAutoCommitMs = ClientTime.monotonicMs() + self.config.retryBackoffMs }
            }
        }
    }

    // MARK: Metadata

    /// Refreshes metadata when asked to (a fetch found a leader moved) or when it is older than
    /// metadata.max.age.ms; re-matches a pattern subscription and notices partition counts
    /// that changed since the leader assigned.
    func maybeRefreshMetadata() async throws(ClientError) {
        let now = ClientTime.monotonicMs()
        let plan: (topics: [String]?, all: Bool)? = lock.withLock {
            let due = (state.metadataRefreshNeeded && now >= state.lastMetadataAttemptMs + config.retryBackoffMs)
                || now >= state.lastMetadataRefreshMs + config.metadataMaxAgeMs
            guard due else { return nil }
            let subs = state.subscriptions
            let topics: Set<String>
            switch subs.kind {
            case .none: return nil
            case .pattern: state.lastMetadataAttemptMs = now; return (nil, true)
            case .topics: topics = subs.subscribedTopics.union(subs.assigned.map(\.topic))
            case .userAssigned: topics = Set(subs.assigned.map(\.topic))
            }
            guard !topics.isEmpty else { return nil }
            state.lastMetadataAttemptMs = now
            return (topics.sorted(), false)
        }
        guard let plan else { return }
        let metadata: ClusterMetadata
        do {
            metadata = try await client.refreshMetadata(topics: plan.topics)
        } catch {
            if error.isRetriable { return }
            throw error
        }
        let patternChanged: Bool = lock.withLock {
            state.metadataRefreshNeeded = false
            state.lastMetadataRefreshMs = now
            guard plan.all else { return false }
            return state.subscriptions.matchPattern(allTopics: Array(metadata.topics.keys),
                                                    isInternal: { metadata.topics[$0]?.isInternal == true || $0.hasPrefix("__") },
                                                    excludeInternal: config.excludeInternalTopics)
        }
        guard let coordinator else { return }
        if patternChanged { coordinator.requestRejoin("the topics matching the subscription pattern changed") }
        let counts = metadata.topics.mapValues { $0.partitions.count }
        if coordinator.partitionCountsChanged(counts) { coordinator.requestRejoin("the partition count of a subscribed topic changed") }
    }
}
