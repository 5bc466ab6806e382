/// The current leader of a partition as the responding broker knows it: Kafka's
/// `LeaderIdAndEpoch` (tagged in Produce v10+ and Fetch v12+ responses), which lets a client
/// redirect after NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH without a Metadata round trip.
public struct LeaderIdAndEpoch: Sendable, Hashable {
    /// -1 when the leader is unknown.
    public var leaderId: Int32
    /// -1 when unknown.
    public var leaderEpoch: Int32

    public init(leaderId: Int32 = -1, leaderEpoch: Int32 = -1) {
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
    }
}

/// How to reach a broker: Kafka's `NodeEndpoint` (Produce v10+ / Fetch v16+ responses list one
/// for every leader named in a `currentLeader`).
public struct NodeEndpoint: Sendable, Hashable {
    public var nodeId: Int32
    public var host: String
    public var port: Int32
    /// nil when the broker has no rack.
    public var rack: String?

    public init(nodeId: Int32, host: String, port: Int32, rack: String? = nil) {
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.rack = rack
    }
}
