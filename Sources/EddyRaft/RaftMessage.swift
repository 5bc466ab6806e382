/// The quorum's messages, as KIP-595 and KIP-630 define them (Vote, BeginQuorumEpoch,
/// EndQuorumEpoch, Fetch and FetchSnapshot on the controller listener), for the one partition
/// the quorum replicates (`__cluster_metadata-0`). Wire-independent: the server maps them to
/// and from the generated Kafka messages; the simulation passes them as they are.
///
/// Every request carries a `requestId` its response echoes (the wire's correlation id), so that
/// a node acts only on the answer to the request it is waiting for.
public enum RaftMessage: Sendable, Hashable {
    case voteRequest(VoteRequest)
    case voteResponse(VoteResponse)
    case beginQuorumEpochRequest(BeginQuorumEpochRequest)
    case beginQuorumEpochResponse(BeginQuorumEpochResponse)
    case endQuorumEpochRequest(EndQuorumEpochRequest)
    case endQuorumEpochResponse(EndQuorumEpochResponse)
    case fetchRequest(FetchRequest)
    case fetchResponse(FetchResponse)
    case fetchSnapshotRequest(FetchSnapshotRequest)
    case fetchSnapshotResponse(FetchSnapshotResponse)

    public var isRequest: Bool {
        switch self {
        case .voteRequest, .beginQuorumEpochRequest, .endQuorumEpochRequest, .fetchRequest, .fetchSnapshotRequest: true
        default: false
        }
    }
}

/// Kafka's errors for the quorum's messages.
public enum RaftError: Int16, Sendable, Hashable {
    /// The request's epoch is older than the receiver's (FENCED_LEADER_EPOCH).
    case fencedLeaderEpoch = 74
    /// The request's epoch is newer than the receiver knows (UNKNOWN_LEADER_EPOCH).
    case unknownLeaderEpoch = 75
    /// The receiver is not the leader (NOT_LEADER_OR_FOLLOWER).
    case notLeaderOrFollower = 6
    /// The sender or receiver is not a voter where one is required (INCONSISTENT_VOTER_SET).
    case inconsistentVoterSet = 71
    /// The snapshot asked for is not there (any longer) (SNAPSHOT_NOT_FOUND).
    case snapshotNotFound = 98
    /// A FetchSnapshot position outside the snapshot (POSITION_OUT_OF_RANGE).
    case positionOutOfRange = 99
}

/// A candidate asks for a vote in `candidateEpoch`; `lastOffset` is its log's end offset (the
/// wire field's name notwithstanding) and `lastOffsetEpoch` the epoch of its last record.
public struct VoteRequest: Sendable, Hashable {
    public var requestId: UInt64
    public var candidateEpoch: Int32
    public var candidateId: Int32
    public var lastOffsetEpoch: Int32
    public var lastOffset: Int64
}

/// `leaderEpoch` and `leaderId` are the responder's view (-1: no leader known).
public struct VoteResponse: Sendable, Hashable {
    public var requestId: UInt64
    public var error: RaftError?
    public var leaderEpoch: Int32
    public var leaderId: Int32
    public var voteGranted: Bool
}

/// A new leader tells a voter it leads `leaderEpoch`.
public struct BeginQuorumEpochRequest: Sendable, Hashable {
    public var requestId: UInt64
    public var leaderEpoch: Int32
    public var leaderId: Int32
}

public struct BeginQuorumEpochResponse: Sendable, Hashable {
    public var requestId: UInt64
    public var error: RaftError?
    public var leaderEpoch: Int32
    public var leaderId: Int32
}

/// A leader that resigns tells the voters to elect a successor now rather than after their
/// fetch timeouts; `preferredSuccessors` are the voters most caught up first.
public struct EndQuorumEpochRequest: Sendable, Hashable {
    public var requestId: UInt64
    public var leaderEpoch: Int32
    public var leaderId: Int32
    public var preferredSuccessors: [Int32]
}

public struct EndQuorumEpochResponse: Sendable, Hashable {
    public var requestId: UInt64
    public var error: RaftError?
    public var leaderEpoch: Int32
    public var leaderId: Int32
}

/// A follower or observer (`replicaId`) pulls the log from `fetchOffset`, its end;
/// `lastFetchedEpoch` is the epoch of its last record; `currentLeaderEpoch` its epoch.
public struct FetchRequest: Sendable, Hashable {
    public var requestId: UInt64
    public var replicaId: Int32
    public var currentLeaderEpoch: Int32
    public var fetchOffset: Int64
    public var lastFetchedEpoch: Int32
}

/// The leader's answer: at most one of records, a divergence (truncate to it) or a snapshot
/// to fetch instead. `highWatermark` is -1 while the leader has not committed in its epoch.
public struct FetchResponse: Sendable, Hashable {
    public var requestId: UInt64
    public var error: RaftError?
    public var leaderEpoch: Int32
    public var leaderId: Int32
    public var highWatermark: Int64
    public var divergingEpoch: OffsetAndEpoch?
    public var snapshotId: OffsetAndEpoch?
    public var batches: [RaftBatch]

    public init(requestId: UInt64, error: RaftError?, leaderEpoch: Int32, leaderId: Int32, highWatermark: Int64,
                divergingEpoch: OffsetAndEpoch? = nil, snapshotId: OffsetAndEpoch? = nil, batches: [RaftBatch] = []) {
        self.requestId = requestId
        self.error = error
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.highWatermark = highWatermark
        self.divergingEpoch = divergingEpoch
        self.snapshotId = snapshotId
        self.batches = batches
    }
}

/// A follower fetches snapshot `snapshotId` from byte `position` on.
public struct FetchSnapshotRequest: Sendable, Hashable {
    public var requestId: UInt64
    public var replicaId: Int32
    public var currentLeaderEpoch: Int32
    public var snapshotId: OffsetAndEpoch
    public var position: Int64
}

/// One chunk of a snapshot: `bytes` at `position` of a snapshot `size` bytes long.
public struct FetchSnapshotResponse: Sendable, Hashable {
    public var requestId: UInt64
    public var error: RaftError?
    public var leaderEpoch: Int32
    public var leaderId: Int32
    public var snapshotId: OffsetAndEpoch
    public var size: Int64
    public var position: Int64
    public var bytes: [UInt8]

    public init(requestId: UInt64, error: RaftError?, leaderEpoch: Int32, leaderId: Int32, snapshotId: OffsetAndEpoch,
                size: Int64 = 0, position: Int64 = 0, bytes: [UInt8] = []) {
        self.requestId = requestId
        self.error = error
        self.leaderEpoch = leaderEpoch
        self.leaderId = leaderId
        self.snapshotId = snapshotId
        self.size = size
        self.position = position
        self.bytes = bytes
    }
}
