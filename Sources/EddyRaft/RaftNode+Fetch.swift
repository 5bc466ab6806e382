/// Fetch and FetchSnapshot, on the leader and on followers and observers (KIP-595, KIP-630).
extension RaftNode {
    // MARK: - Leader

    mutating func handleFetchRequest(_ r: FetchRequest, from: Int32, nowMs: Int64) {
        if let error = requestEpochError(r.currentLeaderEpoch) {
            actions.append(.sendFetchResponse(to: from, response: FetchResponse(requestId: r.requestId, error: error, leaderEpoch: epoch,
                                                                                leaderId: leaderId ?? -1, highWatermark: -1),
                                              recordsFrom: nil))
            return
        }
        switch log.validate(fetchOffset: r.fetchOffset, lastFetchedEpoch: r.lastFetchedEpoch) {
        case let .diverging(end):
            actions.append(.sendFetchResponse(to: from, response: leaderFetchResponse(r, divergingEpoch: end), recordsFrom: nil))
        case let .snapshot(id):
            actions.append(.sendFetchResponse(to: from, response: leaderFetchResponse(r, snapshotId: id), recordsFrom: nil))
        case .valid:
            // Everything below fetchOffset matches this log and is durable on the fetcher.
            replicas[from, default: ReplicaProgress()].endOffset = r.fetchOffset
            replicas[from, default: ReplicaProgress()].lastFetchMs = nowMs
            if config.voters.contains(from) { beginQuorumAcked.insert(from) }
            parkedFetches.removeAll { $0.from == from }
            let moved = maybeAdvanceHighWatermark(nowMs: nowMs)
            if r.fetchOffset < log.endOffset || moved {
                answerFetch(r, from: from)
            } else {
                parkedFetches.append(ParkedFetch(from: from, request: r, deadline: nowMs + config.fetchMaxWaitMs))
            }
        }
    }

    /// FENCED_LEADER_EPOCH for an older epoch, UNKNOWN_LEADER_EPOCH for a newer one,
    /// NOT_LEADER_OR_FOLLOWER if this node does not lead; the response names the leader it knows.
    func requestEpochError(_ requestEpoch: Int32) -> RaftError? {
        if requestEpoch < epoch { return .fencedLeaderEpoch }
        if requestEpoch > epoch { return .unknownLeaderEpoch }
        return role == .leader ? nil : .notLeaderOrFollower
    }

    func leaderFetchResponse(_ r: FetchRequest, divergingEpoch: OffsetAndEpoch? = nil, snapshotId: OffsetAndEpoch? = nil) -> FetchResponse {
        FetchResponse(requestId: r.requestId, error: nil, leaderEpoch: epoch, leaderId: config.nodeId, highWatermark: highWatermark ?? -1,
                      divergingEpoch: divergingEpoch, snapshotId: snapshotId)
    }

    mutating func answerFetch(_ r: FetchRequest, from: Int32) {
        actions.append(.sendFetchResponse(to: from, response: leaderFetchResponse(r),
                                          recordsFrom: r.fetchOffset < log.endOffset ? r.fetchOffset : nil))
    }

    /// Answers the parked fetches that have records now, or whose wait is over (or all).
    mutating func answerParkedFetches(nowMs: Int64, all: Bool) {
        var waiting: [ParkedFetch] = []
        for parked in parkedFetches {
            if all || parked.deadline <= nowMs || parked.request.fetchOffset < log.endOffset {
                answerFetch(parked.request, from: parked.from)
            } else {
                waiting.append(parked)
            }
        }
        parkedFetches = waiting
    }

    mutating func appendAsLeader(_ batch: RaftBatch, nowMs: Int64) {
        log.append(batch)
        actions.append(.append([batch]))
        answerParkedFetches(nowMs: nowMs, all: false)
    }

    /// Moves the high watermark to the end offset a majority of voters hold durably (this
    /// leader's flushed offset among them), once that is past the epoch's start. Returns
    /// whether it moved; if so, every parked fetch is answered so followers learn it.
    @discardableResult
    mutating func maybeAdvanceHighWatermark(nowMs: Int64) -> Bool {
        guard role == .leader else { return false }
        let offsets = config.voters.map { voter in
            voter == config.nodeId ? flushedOffset : replicas[voter]?.endOffset ?? -1
        }.sorted(by: >)
        let candidate = offsets[config.majority - 1]
        guard candidate > epochStartOffset, candidate > (highWatermark ?? -1) else { return false }
        highWatermark = candidate
        actions.append(.highWatermark(candidate))
        answerParkedFetches(nowMs: nowMs, all: true)
        return true
    }

    /// Whether a majority of voters (this leader included) fetched within the check-quorum
    /// timeout; if so the next check is due when the oldest of that majority's fetches expires.
    mutating func checkQuorum(nowMs: Int64) -> Bool {
        let times = config.voters.map { voter in voter == config.nodeId ? nowMs : replicas[voter]?.lastFetchMs ?? Int64.min }
            .sorted(by: >)
        let oldestOfMajority = times[config.majority - 1]
        guard oldestOfMajority != Int64.min, oldestOfMajority + checkQuorumTimeoutMs > nowMs else { return false }
        checkQuorumDeadline = oldestOfMajority + checkQuorumTimeoutMs
        return true
    }

    mutating func handleFetchSnapshotRequest(_ r: FetchSnapshotRequest, from: Int32, nowMs: Int64) {
        var response = FetchSnapshotResponse(requestId: r.requestId, error: requestEpochError(r.currentLeaderEpoch), leaderEpoch: epoch,
                                             leaderId: leaderId ?? -1, snapshotId: r.snapshotId, position: r.position)
        if response.error == nil, log.snapshot != r.snapshotId { response.error = .snapshotNotFound }
        if response.error == nil { replicas[from, default: ReplicaProgress()].lastFetchMs = nowMs }
        if response.error != nil {
            actions.append(.send(to: from, .fetchSnapshotResponse(response)))
        } else {
            actions.append(.sendSnapshotChunk(to: from, response: response))
        }
    }

    // MARK: - Follower and observer

    /// Sends the next Fetch if none is outstanding and everything appended is durable: to the
    /// leader, or (an observer that knows none) to the next voter in turn, to learn the leader.
    mutating func maybeFetch(nowMs: Int64) {
        if let f = fetchInFlight {
            guard f.1.deadline <= nowMs else { return }
            fetchInFlight = nil
        }
        if snapshotFetch != nil {
            maybeFetchSnapshot(nowMs: nowMs)
            return
        }
        guard nowMs >= fetchRetryAt, flushedOffset >= log.endOffset else { return }
        let target: Int32
        switch role {
        case let .follower(leader): target = leader
        case .unattached where !config.isVoter && !config.voters.isEmpty:
            target = config.voters[discoveryIndex % config.voters.count]
            discoveryIndex += 1
        default: return
        }
        let id = newRequestId()
        fetchInFlight = (target, InFlight(requestId: id, deadline: nowMs + config.requestTimeoutMs))
        actions.append(.send(to: target, .fetchRequest(FetchRequest(requestId: id, replicaId: config.nodeId, currentLeaderEpoch: epoch,
                                                                    fetchOffset: log.endOffset, lastFetchedEpoch: log.lastEpoch))))
    }

    mutating func handleFetchResponse(_ r: FetchResponse, from: Int32, nowMs: Int64) {
        guard let f = fetchInFlight, f.to == from, f.1.requestId == r.requestId else { return }
        fetchInFlight = nil
        if maybeAdvanceEpoch(to: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs) { return }
        if r.error != nil {
            fetchRetryAt = nowMs + config.retryBackoffMs
            if r.leaderEpoch == epoch, r.leaderId >= 0 { maybeLearnLeader(r.leaderId, epoch: epoch, nowMs: nowMs) }
            return
        }
        if case .unattached = role, !config.isVoter, r.leaderEpoch == epoch {
            // An observer found the leader; it fetches again as its follower.
            becomeFollower(epoch: epoch, leader: from, nowMs: nowMs)
            return
        }
        guard case let .follower(leader) = role, leader == from, r.leaderEpoch == epoch else { return }
        fetchDeadline = nowMs + config.fetchTimeoutMs
        // The leader's high watermark holds for this log only where the log is known to match
        // the leader's: after a valid fetch (below fetchOffset) plus the records it appends.
        // After a divergence that is unknown until the next fetch.
        var matchesLeader = false
        if let diverging = r.divergingEpoch {
            let local = log.endOffset(forEpoch: diverging.epoch)
            let target = local.epoch == diverging.epoch ? min(local.offset, diverging.offset) : local.offset
            log.truncate(to: target)
            flushedOffset = min(flushedOffset, log.endOffset)
            actions.append(.truncate(to: log.endOffset))
        } else if let snapshot = r.snapshotId {
            snapshotFetch = (snapshot, 0, nil)
        } else if !r.batches.isEmpty {
            var appended: [RaftBatch] = []
            for batch in r.batches {
                guard batch.baseOffset == log.endOffset, batch.epoch <= epoch, batch.epoch >= log.lastEpoch else { break }
                log.append(batch)
                appended.append(batch)
            }
            if !appended.isEmpty { actions.append(.append(appended)) }
            matchesLeader = true
        } else {
            matchesLeader = true
        }
        if matchesLeader, r.highWatermark >= 0 { maybeUpdateFollowerHighWatermark(r.highWatermark) }
        maybeFetch(nowMs: nowMs)
    }

    /// A follower's high watermark: the leader's, but never past its own log, and never back.
    mutating func maybeUpdateFollowerHighWatermark(_ leaderHighWatermark: Int64) {
        let candidate = min(leaderHighWatermark, log.endOffset)
        guard candidate > (highWatermark ?? -1), candidate >= log.startOffset else { return }
        highWatermark = candidate
        actions.append(.highWatermark(candidate))
    }

    mutating func maybeFetchSnapshot(nowMs: Int64) {
        guard case let .follower(leader) = role, let fetch = snapshotFetch else { return }
        if let f = fetch.2, f.deadline > nowMs { return }
        let id = newRequestId()
        snapshotFetch = (fetch.id, fetch.position, InFlight(requestId: id, deadline: nowMs + config.requestTimeoutMs))
        actions.append(.send(to: leader, .fetchSnapshotRequest(FetchSnapshotRequest(requestId: id, replicaId: config.nodeId, currentLeaderEpoch: epoch,
                                                                                    snapshotId: fetch.id, position: fetch.position))))
    }

    mutating func handleFetchSnapshotResponse(_ r: FetchSnapshotResponse, from: Int32, nowMs: Int64) {
        guard let fetch = snapshotFetch, let inFlight = fetch.2, inFlight.requestId == r.requestId, leaderId == from else { return }
        if maybeAdvanceEpoch(to: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs) { return }
        let received = Int64(r.bytes.count)
        guard r.error == nil, r.snapshotId == fetch.id, r.position == fetch.position, received > 0 || r.position >= r.size else {
            // Start over with a Fetch, which names the leader's newest snapshot.
            snapshotFetch = nil
            fetchRetryAt = nowMs + config.retryBackoffMs
            return
        }
        fetchDeadline = nowMs + config.fetchTimeoutMs
        if received > 0 { actions.append(.writeSnapshotChunk(fetch.id, position: fetch.position, bytes: r.bytes)) }
        let next = fetch.position + received
        if next < r.size {
            snapshotFetch = (fetch.id, next, nil)
            maybeFetchSnapshot(nowMs: nowMs)
            return
        }
        snapshotFetch = nil
        log.startAt(snapshot: fetch.id)
        flushedOffset = log.endOffset
        actions.append(.installSnapshot(fetch.id))
        maybeUpdateFollowerHighWatermark(fetch.id.offset)
        maybeFetch(nowMs: nowMs)
    }
}
