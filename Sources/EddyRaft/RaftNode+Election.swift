/// Vote, BeginQuorumEpoch and EndQuorumEpoch (KIP-595).
extension RaftNode {
    mutating func handleVoteRequest(_ r: VoteRequest, from: Int32, nowMs: Int64) {
        guard config.isVoter, config.voters.contains(r.candidateId) else {
            respondToVote(r, from: from, granted: false, error: .inconsistentVoterSet)
            return
        }
        if r.candidateEpoch < epoch {
            respondToVote(r, from: from, granted: false, error: .fencedLeaderEpoch)
            return
        }
        // A newer epoch: whatever this node was (a leader too), it has no leader and no vote in it.
        if r.candidateEpoch > epoch { becomeUnattached(epoch: r.candidateEpoch, nowMs: nowMs, keepingTimer: true) }
        let granted: Bool
        switch role {
        case .unattached:
            granted = OffsetAndEpoch(offset: r.lastOffset, epoch: r.lastOffsetEpoch) >= log.end
            // The vote is persisted (in becomeVoted) before the response is sent.
            if granted { becomeVoted(epoch: epoch, candidate: r.candidateId, nowMs: nowMs) }
        case let .voted(candidate):
            granted = candidate == r.candidateId
        case .candidate, .leader, .follower, .resigned:
            granted = false
        }
        respondToVote(r, from: from, granted: granted, error: nil)
    }

    private mutating func respondToVote(_ r: VoteRequest, from: Int32, granted: Bool, error: RaftError?) {
        actions.append(.send(to: from, .voteResponse(VoteResponse(requestId: r.requestId, error: error, leaderEpoch: epoch,
                                                                  leaderId: leaderId ?? -1, voteGranted: granted))))
    }

    mutating func handleVoteResponse(_ r: VoteResponse, from: Int32, nowMs: Int64) {
        if maybeAdvanceEpoch(to: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs) { return }
        if r.leaderEpoch == epoch, r.leaderId >= 0 {
            maybeLearnLeader(r.leaderId, epoch: r.leaderEpoch, nowMs: nowMs)
            return
        }
        guard role == .candidate, backoffUntil == nil, r.leaderEpoch == epoch,
              let asked = voteRequests[from], asked.requestId == r.requestId else { return }
        voteRequests[from] = nil
        if r.error == nil, r.voteGranted {
            votesGranted.insert(from)
            if votesGranted.count >= config.majority { becomeLeader(nowMs: nowMs) }
        } else {
            votesRejected.insert(from)
            // Lost: too many refused for a majority to remain possible.
            if votesRejected.count > config.voters.count - config.majority { startBackoff(nowMs: nowMs) }
        }
    }

    mutating func handleBeginQuorumEpochRequest(_ r: BeginQuorumEpochRequest, from: Int32, nowMs: Int64) {
        func respond(_ error: RaftError?) {
            actions.append(.send(to: from, .beginQuorumEpochResponse(BeginQuorumEpochResponse(requestId: r.requestId, error: error,
                                                                                              leaderEpoch: epoch, leaderId: leaderId ?? -1))))
        }
        guard config.isVoter else { return respond(.inconsistentVoterSet) }
        if r.leaderEpoch < epoch { return respond(.fencedLeaderEpoch) }
        if r.leaderEpoch > epoch {
            becomeFollower(epoch: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs)
        } else {
            switch role {
            case let .follower(leader) where leader == r.leaderId: break
            case .leader, .follower:
                // Two leaders in one epoch cannot be; refuse rather than follow.
                return respond(.inconsistentVoterSet)
            case .unattached, .voted, .candidate, .resigned:
                becomeFollower(epoch: epoch, leader: r.leaderId, nowMs: nowMs)
            }
        }
        respond(nil)
    }

    mutating func handleBeginQuorumEpochResponse(_ r: BeginQuorumEpochResponse, from: Int32, nowMs: Int64) {
        if maybeAdvanceEpoch(to: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs) { return }
        guard role == .leader, r.leaderEpoch == epoch, r.error == nil,
              beginQuorumRequests[from]?.requestId == r.requestId else { return }
        beginQuorumRequests[from] = nil
        beginQuorumAcked.insert(from)
    }

    mutating func handleEndQuorumEpochRequest(_ r: EndQuorumEpochRequest, from: Int32, nowMs: Int64) {
        func respond(_ error: RaftError?) {
            actions.append(.send(to: from, .endQuorumEpochResponse(EndQuorumEpochResponse(requestId: r.requestId, error: error,
                                                                                          leaderEpoch: epoch, leaderId: leaderId ?? -1))))
        }
        guard config.isVoter else { return respond(.inconsistentVoterSet) }
        if r.leaderEpoch < epoch { return respond(.fencedLeaderEpoch) }
        // The leader resigned: campaign soon, the most caught-up voters first.
        let position = r.preferredSuccessors.firstIndex(of: config.nodeId) ?? r.preferredSuccessors.count
        let backoff = position == 0 ? 0 : min(config.electionBackoffMaxMs, Int64(50) << min(position - 1, 10))
        if r.leaderEpoch > epoch { becomeUnattached(epoch: r.leaderEpoch, nowMs: nowMs) }
        switch role {
        case let .follower(leader) where leader == r.leaderId:
            fetchDeadline = min(fetchDeadline, nowMs + backoff)
        case .unattached, .voted:
            electionDeadline = min(electionDeadline, nowMs + backoff)
        default:
            break
        }
        respond(nil)
    }

    mutating func handleEndQuorumEpochResponse(_ r: EndQuorumEpochResponse, from: Int32, nowMs: Int64) {
        if maybeAdvanceEpoch(to: r.leaderEpoch, leader: r.leaderId, nowMs: nowMs) { return }
        guard role == .resigned, r.leaderEpoch == epoch, endQuorumRequests[from]?.requestId == r.requestId else { return }
        endQuorumRequests[from] = nil
        endQuorumAcked.insert(from)
    }
}
