import EddyProtocol
import EddyStorage
import Synchronization

extension Broker {
    /// A Fetch, answered at once unless it is a consumer's that may wait (maxWaitMs > 0) and
    /// finds fewer than minBytes readable with no partition in error: then it waits in the fetch
    /// purgatory (see `DelayedFetch`) until a partition it reads changes, or its deadline.
    /// Called without the cluster lock (see `readFetch`).
    func handleFetchRequest(_ request: FetchRequest, context: RequestContext,
                            respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var request = request
        if request.topics.contains(where: { $0.topic.isEmpty }) {
            request = Self.namingTopics(request, in: cluster.metadata.publishedImage)
        }
        serveFetch(request, deadlineMs: nil, context: context, fileRecords: context.acceptsFileRecords && request.replicaId < 0,
                   respond: respond)
    }

    /// Parks a consumer's Fetch (maxWaitMs > 0) that would only wait: every partition it names
    /// is led here in the epoch it expects, and its fetch offset is the high watermark (the last
    /// stable offset for read_committed), so there is nothing to read. No log is touched: the
    /// check uses the published high watermarks. It waits in the purgatory as `serveFetch` would
    /// have parked it after an empty read. The high watermarks are compared under
    /// `purgatoryLock`, which a high watermark's advance takes after publishing it
    /// (`completeDelayedFetches`): one that moves before the check is seen, one that moves after
    /// it finds the fetch parked. Returns false, doing nothing, for any other fetch; it then goes
    /// the usual way. Takes no cluster lock (so the event loop may call it).
    func parkIfNothingToRead(_ request: FetchRequest, context: RequestContext,
                             respond: @escaping @Sendable (KafkaResponse) -> Void) -> Bool {
        guard request.replicaId < 0, request.maxWaitMs > 0, request.minBytes > 0, !request.topics.isEmpty, isServing else { return false }
        let request = Self.namingTopics(request, in: cluster.metadata.publishedImage)
        // Before the leadership checks: a role change after them moves a mark (see `serveFetch`).
        let marks = purgatoryLock.withLock { fetchMarksLocked(request) }
        var leaders: [(Replica, offset: Int64)] = []
        for topic in request.topics {
            for p in topic.partitions {
                guard case let .read(replica, _) = planRead(TopicPartition(topic.topic, p.partition), p, replicaId: -1, currentFollower: false) else {
                    return false
                }
                leaders.append((replica, p.fetchOffset))
            }
        }
        let deadline = cluster.clock.nowMs() + Int64(request.maxWaitMs)
        // Before it can be answered (a later fetch's position must not be overwritten by this one's).
        cluster.recordConsumerFetch(request, context: context)
        let parked: Bool = purgatoryLock.withLock {
            guard running, fetchMarksLocked(request) == marks,
                  leaders.allSatisfy({ $0.offset == Self.readableEnd($0.0.log, request.isolationLevel) }) else { return false }
            fetchPurgatory.append(DelayedFetch(request: request, deadlineMs: deadline, fileRecords: context.acceptsFileRecords, respond: respond))
            return true
        }
        guard parked else { return false }
        cluster.driverDeadline?(deadline)
        return true
    }

    /// `request` with the topics that Fetch v13+ names by id only given their names (an unknown
    /// id stays "": `planRead` answers it UNKNOWN_TOPIC_ID).
    static func namingTopics(_ request: FetchRequest, in image: MetadataImage) -> FetchRequest {
        var request = request
        for i in request.topics.indices where request.topics[i].topic.isEmpty {
            request.topics[i].topic = image.topic(id: request.topics[i].topicId)?.name ?? ""
        }
        return request
    }

    /// Reads `request` and answers it, or parks it in the purgatory when it may wait longer
    /// (until `deadlineMs`, or maxWaitMs from now for a new request). A partition that changed
    /// while it was read (its `fetchWakeups` mark moved) is read again rather than parked, so
    /// no wake-up is missed; after a few such rounds it is answered with what it read.
    func serveFetch(_ request: FetchRequest, deadlineMs: Int64?, context: RequestContext?, fileRecords: Bool,
                    respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var context = context
        for _ in 0 ..< 3 {
            guard let (response, marks) = readFetch(request, recordingFrom: context, fileRecords: fileRecords) else {
                return respond(.fetch(request.errorResponse(.notLeaderOrFollower)))
            }
            context = nil
            guard request.replicaId < 0, request.maxWaitMs > 0, !DelayedFetch.isSatisfied(response, by: request) else {
                return respond(.fetch(response))
            }
            let deadline = deadlineMs ?? cluster.clock.nowMs() + Int64(request.maxWaitMs)
            guard cluster.clock.nowMs() < deadline else { return respond(.fetch(response)) }
            enum Parking { case parked, gone, changed }
            let parking: Parking = purgatoryLock.withLock {
                guard running else { return .gone }
                guard fetchMarksLocked(request) == marks else { return .changed }
                fetchPurgatory.append(DelayedFetch(request: request, deadlineMs: deadline, fileRecords: fileRecords, respond: respond))
                return .parked
            }
            if parking == .parked { cluster.driverDeadline?(deadline) }
            switch parking {
            case .parked: return
            case .gone: return respond(.fetch(request.errorResponse(.notLeaderOrFollower)))
            case .changed: if cluster.clock.nowMs() >= deadline { return respond(.fetch(response)) }
            }
        }
        guard let (response, _) = readFetch(request, recordingFrom: nil, fileRecords: fileRecords) else {
            return respond(.fetch(request.errorResponse(.notLeaderOrFollower)))
        }
        respond(.fetch(response))
    }

    /// How often each partition of `request` has changed in a way that may complete a waiting
    /// fetch (`fetchWakeups`). Caller holds `purgatoryLock`.
    private func fetchMarksLocked(_ request: FetchRequest) -> [UInt64] {
        request.topicPartitions.map { fetchWakeups[$0] ?? 0 }
    }

    /// Wakes the waiting fetches of `tp` (its high watermark advanced, its replica changed role
    /// or went away, its log start moved): each is taken out of the purgatory, to be served
    /// again by `responses` once the locks are released.
    func completeDelayedFetches(_ tp: TopicPartition, into responses: inout Deferred) {
        purgatoryLock.withLock {
            wakeupSequence &+= 1
            fetchWakeups[tp] = wakeupSequence
            guard !fetchPurgatory.isEmpty else { return }
            fetchPurgatory.removeAll { d in
                guard d.partitions.contains(tp) else { return false }
                responses.append { [self] in serveAgain(d, final: false) }
                return true
            }
        }
    }

    /// Answers the waiting fetches whose fetch.max.wait.ms passed with whatever is readable.
    func expireDelayedFetches(now: Int64, into responses: inout Deferred) {
        purgatoryLock.withLock {
            fetchPurgatory.removeAll { d in
                guard now >= d.deadlineMs else { return false }
                responses.append { [self] in serveAgain(d, final: true) }
                return true
            }
        }
    }

    /// Serves a fetch taken out of the purgatory: answered, or parked again until its deadline.
    /// Called without the lock.
    private func serveAgain(_ d: DelayedFetch, final: Bool) {
        guard isServing else {
            return d.respond(.fetch(d.request.errorResponse(.notLeaderOrFollower)))
        }
        serveFetch(d.request, deadlineMs: final ? cluster.clock.nowMs() : d.deadlineMs, context: nil, fileRecords: d.fileRecords,
                   respond: d.respond)
    }

    /// Answers every waiting fetch with NOT_LEADER_OR_FOLLOWER (this broker stops).
    func failAllDelayedFetches(into responses: inout Deferred) {
        purgatoryLock.withLock {
            for d in fetchPurgatory { d.queue(d.request.errorResponse(.notLeaderOrFollower), into: &responses) }
            fetchPurgatory.removeAll()
        }
    }

    /// The earliest deadline of a waiting produce or fetch, if any.
    var nextPurgatoryDeadlineMs: Int64? {
        purgatoryLock.withLock {
            var next: Int64?
            for d in producePurgatory { next = min(next ?? d.deadlineMs, d.deadlineMs) }
            for d in fetchPurgatory { next = min(next ?? d.deadlineMs, d.deadlineMs) }
            return next
        }
    }

    /// Forgets the fetch wake-up marks of partitions `keep` rejects (their topics are gone).
    func pruneFetchWakeups(keeping keep: (TopicPartition) -> Bool) {
        purgatoryLock.withLock { fetchWakeups = fetchWakeups.filter { keep($0.key) } }
    }

    /// Fetch (Kafka's `ReplicaManager.fetchMessages`), served by leaders only. Consumers read
    /// below the high watermark, or with read_committed below the last stable offset, with the
    /// aborted transactions of what they read (`PartitionLog.abortedTransactions`, from the
    /// fetch offset to the end of the records returned) so that they can skip those records;
    /// followers (replicaId ≥ 0) read up to the log end, report their position (which moves the
    /// ISR and the high watermark), and learn of divergence.
    ///
    /// Called without the cluster lock, and takes it only for a partition this broker hosts no
    /// replica of (to tell an unknown partition from one led elsewhere) and for an ISR change a
    /// follower's fetch causes (which goes to the controller). In three steps: each partition's
    /// leadership, leader epoch and (for a follower) divergence are checked under its replica's
    /// `stateLock`; the logs are read (each under its own lock only); a follower's position
    /// reaches the leader state under `stateLock` again, which may move the high watermark.
    /// Nil when this broker no longer runs. With `fileRecords` (a consumer on a network
    /// connection) the records stay in their segment files (`PartitionData.recordsFile`): the
    /// server sends them from there, as Kafka's `FileRecords.writeTo` does.
    /// - Returns: the response, and the partitions' `fetchMarks` from before the read.
    func readFetch(_ request: FetchRequest, recordingFrom context: RequestContext?, fileRecords: Bool) -> (FetchResponse, [UInt64])? {
        let isFollower = request.replicaId >= 0
        guard isServing else { return nil }
        if let context { cluster.recordConsumerFetch(request, context: context) }
        // Read before the logs: a partition that changes after this is read again, not parked.
        let marks = purgatoryLock.withLock { fetchMarksLocked(request) }
        let currentFollower = isFollower && cluster.liveNodes.withLock { $0[request.replicaId]?.incarnation } == request.replicaEpoch
        let plan = resolvingMissing(request.topics.map { topic in
            topic.partitions.map { p in
                planRead(TopicPartition(topic.topic, p.partition), p, replicaId: request.replicaId, currentFollower: currentFollower)
            }
        })
        var budget = Int(max(1, request.maxBytes))
        var positions: [(Replica, epoch: Int32, fetchOffset: Int64, leaderLogEnd: Int64)] = []
        var topics: [FetchResponse.FetchableTopicResponse] = []
        for (topic, partitions) in zip(request.topics, plan) {
            var out: [FetchResponse.PartitionData] = []
            for (p, step) in zip(topic.partitions, partitions) {
                switch step {
                case let .answered(data, replica):
                    var data = data
                    if let replica { fillBounds(&data, replica.log) }
                    out.append(data)
                case .missing:  // resolved above
                    var data = FetchResponse.PartitionData(partitionIndex: p.partition)
                    data.errorCode = .notLeaderOrFollower
                    out.append(data)
                case let .read(replica, epoch):
                    var data = FetchResponse.PartitionData(partitionIndex: p.partition)
                    let log = replica.log
                    let leaderLogEnd = log.logEndOffset
                    let committed = !isFollower && request.isolationLevel == .readCommitted
                    do {
                        let limit = min(Int(max(1, p.partitionMaxBytes)), max(1, budget))
                        let end = isFollower ? nil : Self.readableEnd(log, request.isolationLevel)
                        var next = p.fetchOffset
                        if fileRecords {
                            // Left in the file for the server to send (sendfile): Kafka's zero-copy fetch.
                            data.recordsFile = try log.readFileRecords(from: p.fetchOffset, maxBytes: limit, upTo: end)
                            budget -= data.recordsByteCount
                            next = data.recordsFile?.nextOffset ?? next
                        } else {
                            let read = try log.read(from: p.fetchOffset, maxBytes: limit, upTo: end)
                            data.records = read.bytes
                            budget -= read.bytes.count
                            if committed, let last = try? MemoryRecords.batches(in: read.bytes).last { next = last.header.nextOffset }
                        }
                        if committed { data.abortedTransactions = log.abortedTransactions(from: p.fetchOffset, upTo: next) }
                        if isFollower { positions.append((replica, epoch, p.fetchOffset, leaderLogEnd)) }
                    } catch let e as StorageError {
                        data.errorCode = e.errorCode
                    } catch {
                        data.errorCode = .unknownServerError
                    }
                    // Every answer from the leader carries its bounds, errors included (a
                    // follower out of range needs them to decide where to restart).
                    fillBounds(&data, log)
                    out.append(data)
                }
            }
            topics.append(.init(topic: topic.topic, topicId: topic.topicId, partitions: out))
        }
        if !positions.isEmpty, isServing,
           cluster.liveNodes.withLock({ $0[request.replicaId]?.incarnation }) == request.replicaEpoch {
            let now = cluster.clock.nowMs()
            var responses: Deferred = []
            var proposals: [IsrProposal] = []
            for (replica, epoch, fetchOffset, leaderLogEnd) in positions {
                // The follower's run is checked again under `stateLock`: a run killed since the
                // read (and fenced out of the ISR) must not report its old position.
                guard hostedReplica(replica.topicPartition) === replica,
                      let actions = replica.leaderEvent(epoch: epoch, { state in
                          guard cluster.liveNodes.withLock({ $0[request.replicaId]?.incarnation }) == request.replicaEpoch else { return [] }
                          return state.onFollowerFetch(replicaId: request.replicaId, fetchOffset: fetchOffset,
                                                       leaderLogEndOffset: leaderLogEnd, now: now)
                      }) else { continue }
                for action in actions {
                    switch action {
                    case .highWatermarkAdvanced: cluster.highWatermarkAdvanced(replica: replica, node: self, into: &responses)
                    case let .proposeIsr(isr, partitionEpoch):
                        proposals.append(IsrProposal(replica: replica, leaderEpoch: epoch, isr: isr, partitionEpoch: partitionEpoch))
                    }
                }
            }
            if !proposals.isEmpty { cluster.propose(proposals, from: self) }
            for r in responses { r() }
        }
        return (FetchResponse(responses: topics), marks)
    }

    /// One partition of a fetch, as checked under its replica's `stateLock`.
    enum PlannedRead {
        /// Answered without reading (an error, or a diverging epoch); with the leader's replica
        /// when there is one, whose bounds the answer carries.
        case answered(FetchResponse.PartitionData, Replica?)
        /// To be read from this leader replica, which leads in `epoch`.
        case read(Replica, epoch: Int32)
        /// This broker hosts no replica of the partition (see `resolvingMissing`).
        case missing(TopicPartition)
    }

    /// `plan` with the partitions this broker hosts no replica of answered:
    /// UNKNOWN_TOPIC_OR_PARTITION if the committed metadata has no such partition, else
    /// NOT_LEADER_OR_FOLLOWER. Takes the cluster lock only when there are such partitions.
    private func resolvingMissing(_ plan: [[PlannedRead]]) -> [[PlannedRead]] {
        guard plan.contains(where: { $0.contains { if case .missing = $0 { true } else { false } } }) else { return plan }
        return cluster.lock.withLock {
            plan.map { partitions in
                partitions.map { step in
                    guard case let .missing(tp) = step else { return step }
                    var data = FetchResponse.PartitionData(partitionIndex: tp.partition)
                    data.errorCode = missingReplicaError(tp)
                    return .answered(data, nil)
                }
            }
        }
    }

    /// One partition's checks, under its replica's `stateLock` (the cluster lock may be held,
    /// or not). `currentFollower`: the fetching follower is the current run of a running broker.
    private func planRead(_ tp: TopicPartition, _ p: FetchRequest.FetchPartition, replicaId: Int32, currentFollower: Bool) -> PlannedRead {
        var data = FetchResponse.PartitionData(partitionIndex: p.partition)
        guard !tp.topic.isEmpty else {
            data.errorCode = .unknownTopicId
            return .answered(data, nil)
        }
        guard let replica = hostedReplica(tp) else { return .missing(tp) }
        guard let (epoch, isReplica) = replica.withLeaderStateAndEpoch({ state, epoch in
            (epoch, replicaId < 0 || state.followers[replicaId] != nil)
        }) else {
            data.errorCode = .notLeaderOrFollower
            return .answered(data, nil)
        }
        if let e = Broker.checkLeaderEpoch(p.currentLeaderEpoch, leaderEpoch: epoch) { data.errorCode = e; return .answered(data, replica) }
        if replicaId >= 0 {
            let log = replica.log
            // Only the current run of a running replica may report its position.
            guard currentFollower, isReplica else {
                data.errorCode = .staleBrokerEpoch
                return .answered(data, replica)
            }
            // Divergence (KIP-320 / KIP-595): the follower's last epoch must end, on the leader,
            // at or after the follower's fetch offset; otherwise it truncates first.
            switch FetchOffsetValidation.validate(fetchOffset: p.fetchOffset, lastFetchedEpoch: p.lastFetchedEpoch,
                                                  logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset,
                                                  endOffsetForEpoch: { log.endOffset(forLeaderEpoch: $0) }) {
            case .valid: break
            case let .diverging(epochEnd):
                data.divergingEpoch = epochEnd
                return .answered(data, replica)
            case .offsetOutOfRange:
                data.errorCode = .offsetOutOfRange
                return .answered(data, replica)
            }
        }
        return .read(replica, epoch: epoch)
    }

    private func fillBounds(_ data: inout FetchResponse.PartitionData, _ log: PartitionLog) {
        data.highWatermark = log.highWatermark
        data.lastStableOffset = log.lastStableOffset
        data.logStartOffset = log.logStartOffset
    }

    /// Where a consumer's reads end: the high watermark, or the last stable offset for
    /// read_committed.
    static func readableEnd(_ log: PartitionLog, _ isolation: IsolationLevel) -> Int64 {
        isolation == .readCommitted ? log.lastStableOffset : log.highWatermark
    }
}
