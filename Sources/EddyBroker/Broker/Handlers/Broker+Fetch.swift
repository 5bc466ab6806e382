import EddyProtocol
import EddyStorage

extension Broker {
    /// A Fetch, answered at once unless it is a consumer's that may wait (maxWaitMs > 0) and
    /// finds fewer than minBytes readable with no partition in error: then it waits in the fetch
    /// purgatory (see `DelayedFetch`) until a partition it reads changes, or its deadline.
    /// Called without the cluster lock (see `readFetch`).
    func handleFetchRequest(_ request: FetchRequest, context: RequestContext,
                            respond: @escaping @Sendable (KafkaResponse) -> Void) {
        var request = request
        if request.topics.contains(where: { $0.topic.isEmpty }) {
            request = Self.namingTopics(request, in: cluster.lock.withLock { cluster.metadataLog.image })
        }
        serveFetch(request, deadlineMs: nil, context: context, fileRecords: context.acceptsFileRecords && request.replicaId < 0,
                   respond: respond)
    }

    /// Parks a consumer's Fetch (maxWaitMs > 0) that would only wait: every partition it names
    /// is led here in the epoch it expects, and its fetch offset is the high watermark (the last
    /// stable offset for read_committed), so there is nothing to read. No log is touched: the check uses the published high watermarks. It
    /// waits in the purgatory as `serveFetch` would have parked it after an empty read, and a
    /// high watermark that advances after the check wakes it there (that wake-up takes the
    /// cluster lock, held here). Returns false, doing nothing, for any other fetch; it then goes
    /// the usual way. Caller holds the lock.
    func parkIfNothingToRead(_ request: FetchRequest, context: RequestContext,
                             respond: @escaping @Sendable (KafkaResponse) -> Void) -> Bool {
        guard request.replicaId < 0, request.maxWaitMs > 0, request.minBytes > 0, !request.topics.isEmpty, isRunning else { return false }
        let request = Self.namingTopics(request, in: cluster.metadataLog.image)
        for topic in request.topics {
            for p in topic.partitions {
                guard case let .read(replica, _) = planRead(TopicPartition(topic.topic, p.partition), p, replicaId: -1, replicaEpoch: -1),
                      p.fetchOffset == Self.readableEnd(replica.log, request.isolationLevel) else { return false }
            }
        }
        cluster.recordConsumerFetch(request, context: context)
        let deadline = cluster.clock.nowMs() + Int64(request.maxWaitMs)
        fetchPurgatory.append(DelayedFetch(request: request, deadlineMs: deadline, fileRecords: context.acceptsFileRecords, respond: respond))
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
            let parking: Parking = cluster.lock.withLock {
                guard isRunning else { return .gone }
                guard cluster.fetchMarks(request) == marks else { return .changed }
                fetchPurgatory.append(DelayedFetch(request: request, deadlineMs: deadline, fileRecords: fileRecords, respond: respond))
                cluster.driverDeadline?(deadline)
                return .parked
            }
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

    /// Wakes the waiting fetches of `tp` (its high watermark advanced, its replica changed role
    /// or went away, its log start moved): each is taken out of the purgatory and served again
    /// once the lock is released. Caller holds the lock.
    func completeDelayedFetches(_ tp: TopicPartition) {
        cluster.fetchWakeups[tp, default: 0] &+= 1
        guard !fetchPurgatory.isEmpty else { return }
        fetchPurgatory.removeAll { d in
            guard d.partitions.contains(tp) else { return false }
            cluster.deferred.append { [self] in serveAgain(d, final: false) }
            return true
        }
    }

    /// Answers the waiting fetches whose fetch.max.wait.ms passed with whatever is readable.
    /// Caller holds the lock.
    func expireDelayedFetches(now: Int64) {
        fetchPurgatory.removeAll { d in
            guard now >= d.deadlineMs else { return false }
            cluster.deferred.append { [self] in serveAgain(d, final: true) }
            return true
        }
    }

    /// Serves a fetch taken out of the purgatory: answered, or parked again until its deadline.
    /// Called without the lock (from `Cluster.flushDeferred`).
    private func serveAgain(_ d: DelayedFetch, final: Bool) {
        guard cluster.lock.withLock({ isRunning }) else {
            return d.respond(.fetch(d.request.errorResponse(.notLeaderOrFollower)))
        }
        serveFetch(d.request, deadlineMs: final ? cluster.clock.nowMs() : d.deadlineMs, context: nil, fileRecords: d.fileRecords,
                   respond: d.respond)
        cluster.flushDeferred()
    }

    /// Answers every waiting fetch with NOT_LEADER_OR_FOLLOWER (this broker stops). Caller holds
    /// the lock.
    func failAllDelayedFetches() {
        for d in fetchPurgatory { d.queue(d.request.errorResponse(.notLeaderOrFollower), into: &cluster.deferred) }
        fetchPurgatory.removeAll()
    }

    /// Fetch (Kafka's `ReplicaManager.fetchMessages`), served by leaders only. Consumers read
    /// below the high watermark, or with read_committed below the last stable offset, with the
    /// aborted transactions of what they read (`PartitionLog.abortedTransactions`, from the
    /// fetch offset to the end of the records returned) so that they can skip those records;
    /// followers (replicaId ≥ 0) read up to the log end, report their position (which moves the
    /// ISR and the high watermark), and learn of divergence.
    ///
    /// Called without the cluster lock, in three steps: under it, each partition's leadership,
    /// leader epoch and (for a follower) divergence are checked; without it, the logs are read
    /// (each under its own lock only); under it again, a follower's position reaches the leader
    /// state. Nil when this broker no longer runs. With `fileRecords` (a consumer on a network
    /// connection) the records stay in their segment files (`PartitionData.recordsFile`): the
    /// server sends them from there, as Kafka's `FileRecords.writeTo` does.
    /// - Returns: the response, and the partitions' `fetchMarks` from before the read.
    func readFetch(_ request: FetchRequest, recordingFrom context: RequestContext?, fileRecords: Bool) -> (FetchResponse, [UInt64])? {
        let isFollower = request.replicaId >= 0
        let planned: ([[PlannedRead]], [UInt64])? = cluster.lock.withLock {
            guard isRunning else { return nil }
            if let context { cluster.recordConsumerFetch(request, context: context) }
            let plan = request.topics.map { topic in
                topic.partitions.map { p in
                    planRead(TopicPartition(topic.topic, p.partition), p, replicaId: request.replicaId, replicaEpoch: request.replicaEpoch)
                }
            }
            return (plan, cluster.fetchMarks(request))
        }
        guard let (plan, marks) = planned else { return nil }
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
        if !positions.isEmpty {
            let now = cluster.clock.nowMs()
            cluster.lock.withLock {
                guard isRunning, cluster.nodes[request.replicaId]?.incarnation == request.replicaEpoch else { return }
                for (replica, epoch, fetchOffset, leaderLogEnd) in positions {
                    guard replicas[replica.topicPartition] === replica, replica.leaderEpoch == epoch,
                          var state = replica.leaderState else { continue }
                    let actions = state.onFollowerFetch(replicaId: request.replicaId, fetchOffset: fetchOffset,
                                                        leaderLogEndOffset: leaderLogEnd, now: now)
                    replica.leaderState = state
                    cluster.perform(actions, replica: replica, node: self)
                }
            }
        }
        return (FetchResponse(responses: topics), marks)
    }

    /// One partition of a fetch, as checked under the lock.
    enum PlannedRead {
        /// Answered without reading (an error, or a diverging epoch); with the leader's replica
        /// when there is one, whose bounds the answer carries.
        case answered(FetchResponse.PartitionData, Replica?)
        /// To be read from this leader replica, which leads in `epoch`.
        case read(Replica, epoch: Int32)
    }

    private func planRead(_ tp: TopicPartition, _ p: FetchRequest.FetchPartition, replicaId: Int32, replicaEpoch: Int64) -> PlannedRead {
        var data = FetchResponse.PartitionData(partitionIndex: p.partition)
        guard !tp.topic.isEmpty else {
            data.errorCode = .unknownTopicId
            return .answered(data, nil)
        }
        let replica: Replica
        switch leaderReplica(tp) {
        case let .success(r): replica = r
        case let .failure(e): data.errorCode = e; return .answered(data, nil)
        }
        if let e = Broker.checkLeaderEpoch(p.currentLeaderEpoch, replica) { data.errorCode = e; return .answered(data, replica) }
        if replicaId >= 0 {
            let log = replica.log
            // Only the current run of a running replica may report its position.
            guard let follower = cluster.nodes[replicaId], follower.incarnation == replicaEpoch,
                  replica.leaderState?.followers[replicaId] != nil else {
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
        return .read(replica, epoch: replica.leaderEpoch)
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
