import EddyProtocol

/// One member of the controller quorum, as KIP-595 specifies it (Kafka's `KafkaRaftClient` and
/// `QuorumState`): a voter elects and follows leaders of the metadata log; an observer (a
/// broker) only follows it.
///
/// A pure state machine: each event (`tick`, `receive`, `propose`, `flushed`, `snapshotTaken`,
/// `resign`) returns the `RaftAction`s its owner carries out in order; time comes in as ms.
/// It knows its log's shape (`RaftLogState`), not its records.
///
/// Roles (a voter's; an observer is only ever unattached or a follower):
/// - unattached: no leader known and no vote cast in `epoch`; campaigns when the election
///   timer (`electionTimeoutMs` plus up to as much again at random) runs out.
/// - voted(c): voted for candidate c in `epoch`; likewise campaigns when the timer runs out.
/// - candidate: asks every voter for its vote in a new epoch; leads with a majority, else backs
///   off (`electionBackoffMaxMs`, exponential with jitter) and tries again in a newer epoch.
/// - leader: writes a control batch to start its epoch, tells the voters (BeginQuorumEpoch),
///   serves Fetch and advances the high watermark to the offset a majority of voters hold
///   durably, once that is past the epoch's start; resigns when no majority fetched within
///   1.5 × `fetchTimeoutMs` (check quorum).
/// - follower(l): fetches from l; campaigns when no fetch succeeded for `fetchTimeoutMs`.
/// - resigned: a leader that stepped down (or restarted): tells the voters (EndQuorumEpoch) and
///   campaigns after the election timer unless a new leader appears first.
///
/// Safety rests on: the election state persisted before a vote is granted or a role is acted
/// on; a vote granted only to a candidate whose log is at least as up to date (epoch of the last
/// record, then end offset); a follower counting only records it flushed (it fetches from its
/// end only once that is durable) and a leader counting only its flushed end offset.
public struct RaftNode: Sendable {
    public struct Config: Sendable, Hashable {
        public var nodeId: Int32
        /// The voters (`controller.quorum.voters`), ascending.
        public var voters: [Int32]
        /// `controller.quorum.election.timeout.ms`.
        public var electionTimeoutMs: Int64 = 1000
        /// `controller.quorum.fetch.timeout.ms`.
        public var fetchTimeoutMs: Int64 = 2000
        /// `controller.quorum.election.backoff.max.ms`.
        public var electionBackoffMaxMs: Int64 = 1000
        /// `controller.quorum.request.timeout.ms`: an unanswered request is sent again after it.
        public var requestTimeoutMs: Int64 = 2000
        /// How long a leader holds a Fetch that has nothing new (Kafka's 500 ms).
        public var fetchMaxWaitMs: Int64 = 500
        /// `controller.quorum.retry.backoff.ms`: the wait after a failed Fetch.
        public var retryBackoffMs: Int64 = 20

        public init(nodeId: Int32, voters: [Int32]) {
            self.nodeId = nodeId
            self.voters = Array(Set(voters)).sorted()
        }

        public var isVoter: Bool { voters.contains(nodeId) }
        /// Voters needed for an election or a commit.
        public var majority: Int { voters.count / 2 + 1 }
    }

    public enum Role: Sendable, Hashable {
        case unattached
        case voted(Int32)
        case candidate
        case leader
        case follower(leaderId: Int32)
        case resigned
    }

    /// The leader's view of one replica (voter or observer) in its epoch.
    public struct ReplicaProgress: Sendable, Hashable {
        /// Its log end offset as of its last valid fetch (all durable), if it fetched.
        public var endOffset: Int64?
        public var lastFetchMs: Int64?
    }

    struct ParkedFetch: Sendable, Hashable {
        var from: Int32
        var request: FetchRequest
        var deadline: Int64
    }

    struct InFlight: Sendable, Hashable {
        var requestId: UInt64
        var deadline: Int64
    }

    public let config: Config
    public private(set) var epoch: Int32
    public private(set) var role: Role
    public private(set) var votedId: Int32?
    public internal(set) var log: RaftLogState
    /// The offset below which records are committed; nil until learnt in this run.
    public internal(set) var highWatermark: Int64?
    /// The offset below which the owner reported the log durable.
    public internal(set) var flushedOffset: Int64

    // Timers (ms).
    var electionDeadline: Int64 = .max
    var fetchDeadline: Int64 = .max
    var checkQuorumDeadline: Int64 = .max
    // Candidate.
    var votesGranted: Set<Int32> = []
    var votesRejected: Set<Int32> = []
    var backoffUntil: Int64?
    var failedElections = 0
    var voteRequests: [Int32: InFlight] = [:]
    // Leader.
    public internal(set) var epochStartOffset: Int64 = 0
    public internal(set) var replicas: [Int32: ReplicaProgress] = [:]
    var beginQuorumRequests: [Int32: InFlight] = [:]
    var beginQuorumAcked: Set<Int32> = []
    var parkedFetches: [ParkedFetch] = []
    // Resigned.
    var endQuorumRequests: [Int32: InFlight] = [:]
    var endQuorumAcked: Set<Int32> = []
    var preferredSuccessors: [Int32] = []
    // Follower or observer.
    var fetchInFlight: (to: Int32, InFlight)?
    var snapshotFetch: (id: OffsetAndEpoch, position: Int64, InFlight?)?
    var discoveryIndex = 0
    var fetchRetryAt: Int64 = .min

    var nextRequestId: UInt64 = 1
    var random: SplitMix64
    var actions: [RaftAction] = []

    /// A node starting with `election` as persisted and `log` as found on disk (flushed: what
    /// survives a restart is durable), at `nowMs`. A node that led `election.epoch` resigns it (it
    /// may never lead an epoch twice); one that voted keeps its vote; one that knew a leader
    /// follows it. `seed` draws the election timers.
    public init(config: Config, election: ElectionState, log: RaftLogState, nowMs: Int64, seed: UInt64) {
        self.config = config
        self.log = log
        flushedOffset = log.endOffset
        random = SplitMix64(seed: seed ^ UInt64(bitPattern: Int64(config.nodeId)) &* 0x9E37_79B9)
        // Request ids of a new incarnation start at random, as a new connection's correlation
        // ids would: an answer to a request the previous incarnation sent is never taken for
        // one to a request of this one.
        nextRequestId = random.next() >> 1
        if log.lastEpoch > election.epoch {
            epoch = log.lastEpoch
            role = .unattached
        } else {
            epoch = election.epoch
            votedId = config.isVoter ? election.votedId : nil
            if let leader = election.leaderId, leader == config.nodeId, config.isVoter {
                role = .resigned
            } else if let leader = election.leaderId, leader != config.nodeId {
                role = .follower(leaderId: leader)
            } else if let voted = votedId {
                role = .voted(voted)
            } else {
                role = .unattached
            }
        }
        switch role {
        case .follower: fetchDeadline = nowMs + config.fetchTimeoutMs
        case .resigned: electionDeadline = nowMs + config.electionTimeoutMs  // EndQuorumEpoch goes out on the first tick
        default: if config.isVoter { electionDeadline = nowMs + randomElectionTimeout() }
        }
        _ = takeActions()
    }

    // MARK: - Queries

    public var leaderId: Int32? {
        switch role {
        case .leader: config.nodeId
        case let .follower(leader): leader
        default: nil
        }
    }

    public var isLeader: Bool { role == .leader }

    /// The election state as persisted.
    public var electionState: ElectionState {
        ElectionState(epoch: epoch, leaderId: leaderId ?? (role == .resigned ? config.nodeId : nil), votedId: votedId)
    }

    /// When the node next needs a `tick`, in ms.
    public var nextDeadlineMs: Int64 {
        var deadline = min(electionDeadline, fetchDeadline, checkQuorumDeadline)
        if let backoffUntil { deadline = min(deadline, backoffUntil) }
        for f in voteRequests.values { deadline = min(deadline, f.deadline) }
        for f in beginQuorumRequests.values { deadline = min(deadline, f.deadline) }
        for f in endQuorumRequests.values { deadline = min(deadline, f.deadline) }
        for p in parkedFetches { deadline = min(deadline, p.deadline) }
        if let f = fetchInFlight { deadline = min(deadline, f.1.deadline) }
        if let f = snapshotFetch?.2 { deadline = min(deadline, f.deadline) }
        if fetchInFlight == nil, leaderId != nil || !config.isVoter, fetchRetryAt > Int64.min { deadline = min(deadline, fetchRetryAt) }
        return deadline
    }

    // MARK: - Events

    /// Time passed: timers that ran out fire, unanswered requests go again.
    public mutating func tick(nowMs: Int64) -> [RaftAction] {
        switch role {
        case .unattached, .voted:
            if config.isVoter, nowMs >= electionDeadline { becomeCandidate(nowMs: nowMs) }
            else if !config.isVoter { maybeFetch(nowMs: nowMs) }
        case .candidate:
            if let until = backoffUntil {
                if nowMs >= until { becomeCandidate(nowMs: nowMs) }
            } else if nowMs >= electionDeadline {
                startBackoff(nowMs: nowMs)
            } else {
                resendVoteRequests(nowMs: nowMs)
            }
        case .leader:
            if nowMs >= checkQuorumDeadline, !checkQuorum(nowMs: nowMs) {
                becomeResigned(nowMs: nowMs)
            } else {
                resendBeginQuorumEpoch(nowMs: nowMs)
                answerParkedFetches(nowMs: nowMs, all: false)
            }
        case .follower:
            if config.isVoter, nowMs >= fetchDeadline {
                becomeCandidate(nowMs: nowMs)
            } else if !config.isVoter, nowMs >= fetchDeadline {
                becomeUnattached(epoch: epoch, nowMs: nowMs)
                maybeFetch(nowMs: nowMs)
            } else {
                maybeFetch(nowMs: nowMs)
            }
        case .resigned:
            if nowMs >= electionDeadline { becomeCandidate(nowMs: nowMs) } else { resendEndQuorumEpoch(nowMs: nowMs) }
        }
        return takeActions()
    }

    /// A message arrived from `from`.
    public mutating func receive(_ message: RaftMessage, from: Int32, nowMs: Int64) -> [RaftAction] {
        switch message {
        case let .voteRequest(r): handleVoteRequest(r, from: from, nowMs: nowMs)
        case let .voteResponse(r): handleVoteResponse(r, from: from, nowMs: nowMs)
        case let .beginQuorumEpochRequest(r): handleBeginQuorumEpochRequest(r, from: from, nowMs: nowMs)
        case let .beginQuorumEpochResponse(r): handleBeginQuorumEpochResponse(r, from: from, nowMs: nowMs)
        case let .endQuorumEpochRequest(r): handleEndQuorumEpochRequest(r, from: from, nowMs: nowMs)
        case let .endQuorumEpochResponse(r): handleEndQuorumEpochResponse(r, from: from, nowMs: nowMs)
        case let .fetchRequest(r): handleFetchRequest(r, from: from, nowMs: nowMs)
        case let .fetchResponse(r): handleFetchResponse(r, from: from, nowMs: nowMs)
        case let .fetchSnapshotRequest(r): handleFetchSnapshotRequest(r, from: from, nowMs: nowMs)
        case let .fetchSnapshotResponse(r): handleFetchSnapshotResponse(r, from: from, nowMs: nowMs)
        }
        return takeActions()
    }

    /// Why a proposal was refused.
    public enum ProposeError: Error, Sendable, Hashable {
        /// Only the leader appends; `leaderId` is the leader this node knows, if any.
        case notLeader(leaderId: Int32?)
    }

    /// As leader, appends `records` as one batch of the current epoch: returns its base offset
    /// (committed once the high watermark passes it) and the actions (an `append`).
    public mutating func propose(_ records: [[UInt8]], nowMs: Int64) -> Result<(baseOffset: Int64, actions: [RaftAction]), ProposeError> {
        guard role == .leader else { return .failure(.notLeader(leaderId: leaderId)) }
        guard !records.isEmpty else { return .success((log.endOffset, [])) }
        let batch = RaftBatch(baseOffset: log.endOffset, epoch: epoch, records: records)
        appendAsLeader(batch, nowMs: nowMs)
        return .success((batch.baseOffset, takeActions()))
    }

    /// The owner made the log durable below `offset`.
    public mutating func flushed(upTo offset: Int64, nowMs: Int64) -> [RaftAction] {
        let durable = min(offset, log.endOffset)
        if durable > flushedOffset { flushedOffset = durable }
        switch role {
        case .leader: maybeAdvanceHighWatermark(nowMs: nowMs)
        case .follower, .unattached, .voted: maybeFetch(nowMs: nowMs)
        default: break
        }
        return takeActions()
    }

    /// The owner wrote a snapshot of the applied state below `id.offset` (at most the high
    /// watermark), deleting the log below it if `deletePrefix`.
    public mutating func snapshotTaken(_ id: OffsetAndEpoch, deletePrefix: Bool) -> [RaftAction] {
        precondition(id.offset <= (highWatermark ?? log.startOffset), "snapshot \(id) above the high watermark")
        log.snapshotTaken(id, deletePrefix: deletePrefix)
        // Records below the snapshot are durable in it.
        flushedOffset = max(flushedOffset, log.startOffset)
        return takeActions()
    }

    /// A leader that shuts down hands over: it resigns and tells the voters to elect now.
    public mutating func resign(nowMs: Int64) -> [RaftAction] {
        if role == .leader { becomeResigned(nowMs: nowMs) }
        return takeActions()
    }

    // MARK: - Transitions

    mutating func takeActions() -> [RaftAction] {
        defer { actions = [] }
        return actions
    }

    mutating func randomElectionTimeout() -> Int64 {
        config.electionTimeoutMs + Int64.random(in: 0 ..< max(1, config.electionTimeoutMs), using: &random)
    }

    mutating func newRequestId() -> UInt64 {
        defer { nextRequestId += 1 }
        return nextRequestId
    }

    /// Clears what belongs to the role being left.
    mutating func leaveRole() {
        electionDeadline = .max
        fetchDeadline = .max
        checkQuorumDeadline = .max
        votesGranted = []
        votesRejected = []
        backoffUntil = nil
        voteRequests = [:]
        replicas = [:]
        beginQuorumRequests = [:]
        beginQuorumAcked = []
        endQuorumRequests = [:]
        endQuorumAcked = []
        preferredSuccessors = []
        fetchInFlight = nil
        fetchRetryAt = .min
        snapshotFetch = nil
        // A leader's parked fetches are answered (with the new epoch) by their requesters' retries.
        parkedFetches = []
    }

    mutating func setRole(_ newRole: Role, epoch newEpoch: Int32, votedId newVote: Int32?) {
        precondition(newEpoch >= epoch, "epoch \(epoch) -> \(newEpoch)")
        epoch = newEpoch
        role = newRole
        votedId = newVote
        actions.append(.persist(electionState))
        actions.append(.roleChanged(newRole, epoch: newEpoch))
    }

    /// With `keepingTimer`, a voter that was waiting to campaign keeps its deadline: only a vote
    /// it grants restarts its timer (as in Raft), so that a candidate that keeps losing (its log
    /// is behind) cannot hold off, epoch after epoch, the voters that would win.
    mutating func becomeUnattached(epoch newEpoch: Int32, nowMs: Int64, keepingTimer: Bool = false) {
        let pending = min(electionDeadline, fetchDeadline)
        leaveRole()
        setRole(.unattached, epoch: newEpoch, votedId: nil)
        // An observer never campaigns: it has no election timer.
        guard config.isVoter else { return }
        electionDeadline = keepingTimer && pending != .max ? pending : nowMs + randomElectionTimeout()
    }

    mutating func becomeVoted(epoch newEpoch: Int32, candidate: Int32, nowMs: Int64) {
        leaveRole()
        setRole(.voted(candidate), epoch: newEpoch, votedId: candidate)
        electionDeadline = nowMs + randomElectionTimeout()
    }

    mutating func becomeFollower(epoch newEpoch: Int32, leader: Int32, nowMs: Int64) {
        let keepVote = newEpoch == epoch ? votedId : nil
        leaveRole()
        setRole(.follower(leaderId: leader), epoch: newEpoch, votedId: keepVote)
        fetchDeadline = nowMs + config.fetchTimeoutMs
        maybeFetch(nowMs: nowMs)
    }

    mutating func becomeCandidate(nowMs: Int64) {
        precondition(config.isVoter, "an observer never campaigns")
        leaveRole()
        setRole(.candidate, epoch: epoch + 1, votedId: config.nodeId)
        votesGranted = [config.nodeId]
        electionDeadline = nowMs + randomElectionTimeout()
        if votesGranted.count >= config.majority {
            becomeLeader(nowMs: nowMs)
            return
        }
        resendVoteRequests(nowMs: nowMs)
    }

    /// A lost or timed-out election: wait (exponential, jittered, capped) before the next one.
    mutating func startBackoff(nowMs: Int64) {
        failedElections += 1
        let cap = max(1, config.electionBackoffMaxMs)
        let exponential = min(cap, 50 << min(failedElections, 10))
        backoffUntil = nowMs + Int64.random(in: 0 ... exponential, using: &random)
        electionDeadline = .max
        voteRequests = [:]
    }

    mutating func becomeLeader(nowMs: Int64) {
        leaveRole()
        setRole(.leader, epoch: epoch, votedId: config.nodeId)
        failedElections = 0
        epochStartOffset = log.endOffset
        for voter in config.voters where voter != config.nodeId { replicas[voter] = ReplicaProgress() }
        checkQuorumDeadline = nowMs + checkQuorumTimeoutMs
        // The epoch's first record: committing it commits everything before it.
        appendAsLeader(RaftBatch(baseOffset: log.endOffset, epoch: epoch, records: [Self.leaderChangeRecord(leader: config.nodeId, voters: config.voters)],
                                 isControl: true), nowMs: nowMs)
        resendBeginQuorumEpoch(nowMs: nowMs)
        maybeAdvanceHighWatermark(nowMs: nowMs)
    }

    mutating func becomeResigned(nowMs: Int64) {
        // Most caught-up voters first, as this leader last saw them.
        let successors = config.voters.filter { $0 != config.nodeId }.sorted {
            (replicas[$0]?.endOffset ?? -1, -$0) > (replicas[$1]?.endOffset ?? -1, -$1)
        }
        leaveRole()
        setRole(.resigned, epoch: epoch, votedId: votedId)
        electionDeadline = nowMs + config.electionTimeoutMs
        preferredSuccessors = successors
        resendEndQuorumEpoch(nowMs: nowMs)
    }

    var checkQuorumTimeoutMs: Int64 { config.fetchTimeoutMs * 3 / 2 }

    /// The LeaderChange control record's value: the leader's id and the voters (big-endian int32s).
    static func leaderChangeRecord(leader: Int32, voters: [Int32]) -> [UInt8] {
        var bytes: [UInt8] = []
        for v in [leader] + voters { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    // MARK: - Requests that go again until answered

    mutating func resendVoteRequests(nowMs: Int64) {
        guard role == .candidate, backoffUntil == nil else { return }
        for voter in config.voters where voter != config.nodeId && !votesGranted.contains(voter) && !votesRejected.contains(voter) {
            if let f = voteRequests[voter], f.deadline > nowMs { continue }
            let id = newRequestId()
            voteRequests[voter] = InFlight(requestId: id, deadline: nowMs + config.requestTimeoutMs)
            actions.append(.send(to: voter, .voteRequest(VoteRequest(requestId: id, candidateEpoch: epoch, candidateId: config.nodeId,
                                                                    lastOffsetEpoch: log.lastEpoch, lastOffset: log.endOffset))))
        }
    }

    mutating func resendBeginQuorumEpoch(nowMs: Int64) {
        guard role == .leader else { return }
        for voter in config.voters where voter != config.nodeId && !beginQuorumAcked.contains(voter) {
            if let f = beginQuorumRequests[voter], f.deadline > nowMs { continue }
            let id = newRequestId()
            beginQuorumRequests[voter] = InFlight(requestId: id, deadline: nowMs + config.requestTimeoutMs)
            actions.append(.send(to: voter, .beginQuorumEpochRequest(BeginQuorumEpochRequest(requestId: id, leaderEpoch: epoch, leaderId: config.nodeId))))
        }
    }

    mutating func resendEndQuorumEpoch(nowMs: Int64) {
        guard role == .resigned else { return }
        let successors = preferredSuccessors.isEmpty ? config.voters.filter { $0 != config.nodeId } : preferredSuccessors
        for voter in successors where !endQuorumAcked.contains(voter) {
            if let f = endQuorumRequests[voter], f.deadline > nowMs { continue }
            let id = newRequestId()
            endQuorumRequests[voter] = InFlight(requestId: id, deadline: nowMs + config.requestTimeoutMs)
            actions.append(.send(to: voter, .endQuorumEpochRequest(EndQuorumEpochRequest(requestId: id, leaderEpoch: epoch, leaderId: config.nodeId,
                                                                                      preferredSuccessors: successors))))
        }
    }

    // MARK: - Common handling of epochs in messages

    /// A message from a newer epoch: follow its leader if it names one, else become unattached
    /// in that epoch. Returns whether the epoch moved.
    @discardableResult
    mutating func maybeAdvanceEpoch(to otherEpoch: Int32, leader: Int32?, nowMs: Int64) -> Bool {
        guard otherEpoch > epoch else { return false }
        if let leader, leader >= 0, leader != config.nodeId {
            becomeFollower(epoch: otherEpoch, leader: leader, nowMs: nowMs)
        } else {
            becomeUnattached(epoch: otherEpoch, nowMs: nowMs)
        }
        return true
    }

    /// The same epoch, and a leader named that this node did not know of yet: follow it.
    mutating func maybeLearnLeader(_ leader: Int32, epoch otherEpoch: Int32, nowMs: Int64) {
        guard otherEpoch == epoch, leader >= 0, leader != config.nodeId else { return }
        switch role {
        case .unattached, .voted, .candidate, .resigned: becomeFollower(epoch: epoch, leader: leader, nowMs: nowMs)
        case .follower, .leader: break
        }
    }

    /// Invariants of the node's own state that do not hold (empty when all do): its log's; the
    /// flushed offset within the log; a high watermark never past the log end (a truncation
    /// never removes a committed record); an observer never votes or campaigns; a leader voted
    /// for itself.
    public var invariantViolations: [String] {
        var found = log.invariantViolations
        if flushedOffset > log.endOffset || flushedOffset < log.startOffset {
            found.append("flushed offset \(flushedOffset) outside the log \(log.startOffset)..<\(log.endOffset)")
        }
        if let hw = highWatermark, hw > log.endOffset { found.append("high watermark \(hw) past the log end \(log.endOffset)") }
        if !config.isVoter {
            switch role {
            case .unattached, .follower: break
            default: found.append("observer in role \(role)")
            }
        }
        if role == .leader, votedId != config.nodeId { found.append("leader of epoch \(epoch) voted for \(String(describing: votedId))") }
        return found
    }
}
