/// What a quorum member persists before it acts on an election (Kafka's `ElectionState`, the
/// content of its `quorum-state` file): the epoch, the leader it knows in that epoch and the
/// candidate it voted for. A vote must be durable before it is granted, so that a restarted
/// node never votes twice in one epoch; a leader must know it led an epoch, so that after a
/// restart it never leads that epoch again.
public struct ElectionState: Sendable, Hashable {
    public var epoch: Int32
    /// The leader of `epoch`, if known.
    public var leaderId: Int32?
    /// The candidate this node voted for in `epoch`, if any.
    public var votedId: Int32?

    public init(epoch: Int32, leaderId: Int32? = nil, votedId: Int32? = nil) {
        self.epoch = epoch
        self.leaderId = leaderId
        self.votedId = votedId
    }

    /// A node that never took part in an election.
    public static let initial = ElectionState(epoch: 0)
}
