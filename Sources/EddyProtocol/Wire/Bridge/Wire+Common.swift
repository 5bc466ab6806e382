/// Conversions several bridges share. The generated codec gives every message its own nested
/// copy of a common struct (e.g. `Wire.ProduceResponse.NodeEndpoint` and
/// `Wire.FetchResponse.NodeEndpoint`); the protocols below let one conversion serve them all.

/// A broker's id, host, port and rack: Produce's and Fetch's `NodeEndpoint`, Metadata's broker.
protocol WireNodeEndpoint {
    init(nodeId: Int32, host: String, port: Int32, rack: String?)
    var nodeId: Int32 { get }
    var host: String { get }
    var port: Int32 { get }
    var rack: String? { get }
}

extension Wire.ProduceResponse.NodeEndpoint: WireNodeEndpoint {}
extension Wire.FetchResponse.NodeEndpoint: WireNodeEndpoint {}
extension Wire.MetadataResponse.MetadataResponseBroker: WireNodeEndpoint {}

extension NodeEndpoint {
    init(wire: some WireNodeEndpoint) {
        self.init(nodeId: wire.nodeId, host: wire.host, port: wire.port, rack: wire.rack)
    }

    func wire<W: WireNodeEndpoint>() -> W {
        W(nodeId: nodeId, host: host, port: port, rack: rack)
    }
}

/// Produce's and Fetch's tagged `CurrentLeader`.
protocol WireLeaderIdAndEpoch: Equatable {
    init(leaderId: Int32, leaderEpoch: Int32)
    var leaderId: Int32 { get }
    var leaderEpoch: Int32 { get }
}

extension Wire.ProduceResponse.TopicProduceResponse.PartitionProduceResponse.LeaderIdAndEpoch: WireLeaderIdAndEpoch {}
extension Wire.FetchResponse.FetchableTopicResponse.PartitionData.LeaderIdAndEpoch: WireLeaderIdAndEpoch {}

extension LeaderIdAndEpoch {
    /// nil for the schema default (-1, -1), which is what Kafka sends (by leaving the tagged
    /// field out) when it names no leader.
    init?(wire: some WireLeaderIdAndEpoch) {
        guard wire.leaderId != -1 || wire.leaderEpoch != -1 else { return nil }
        self.init(leaderId: wire.leaderId, leaderEpoch: wire.leaderEpoch)
    }

    /// The wire form of an optional leader: nil is the schema default (-1, -1).
    static func wire<W: WireLeaderIdAndEpoch>(_ leader: LeaderIdAndEpoch?) -> W {
        W(leaderId: leader?.leaderId ?? -1, leaderEpoch: leader?.leaderEpoch ?? -1)
    }
}

extension IsolationLevel {
    /// Kafka's `IsolationLevel.forId` fails the request for an id other than 0 or 1; a bridge
    /// cannot fail, so any other id reads as `readCommitted`, the level that shows less.
    init(wire: Int8) {
        self = IsolationLevel(rawValue: wire) ?? .readCommitted
    }
}

extension ConfigResourceType {
    /// An unknown id is `.unknown`, as Kafka's `ConfigResource.Type.forId`.
    init(wire: Int8) {
        self = ConfigResourceType(rawValue: wire) ?? .unknown
    }
}
