import EddyClient
import EddyProtocol

/// What only the process running the cluster knows (in-process: the executable implements it over
/// EddyBroker's Cluster). nil when attached to a cluster through the client alone.
public protocol ClusterInsight: Sendable {
    /// Every registered broker with its state, including stopped/killed ones the Metadata response omits.
    func brokers() -> [BrokerInsight]
    /// Bytes on disk per partition (leader replica).
    func partitionSizes() -> [TopicPartition: Int64]
    /// Cumulative bytes appended (in) and fetched by consumers and followers (out), per broker.
    func brokerTraffic() -> [Int32: (bytesIn: Int64, bytesOut: Int64)]
    var clusterId: String { get }
    /// The controller quorum as DescribeQuorum reports it (nil: not known to the process).
    func quorum() -> DescribeQuorumResponse.Quorum?
    /// The quorum's recent role changes, oldest first (elections, votes).
    func quorumEvents() -> [QuorumEventInsight]
    /// The controller-only nodes (separate mode) with their state; none in combined mode.
    func controllers() -> [BrokerInsight]
}

extension ClusterInsight {
    public func quorum() -> DescribeQuorumResponse.Quorum? { nil }
    public func quorumEvents() -> [QuorumEventInsight] { [] }
    public func controllers() -> [BrokerInsight] { [] }
}

/// One broker as the process running the cluster sees it.
public struct BrokerInsight: Sendable, Equatable {
    /// `unreachable`: a controller of a cluster this process does not run that the quorum's
    /// leader has not heard from lately (see `ClientSnapshotSource.remoteControllers`).
    public enum State: String, Sendable { case running, stopped, killed, fenced, unreachable }
    public var id: Int32; public var state: State; public var isController: Bool
    public init(id: Int32, state: State, isController: Bool) {
        self.id = id; self.state = state; self.isController = isController
    }
}

/// Demo and broker controls the console's keys drive. Each returns a one-line result for the status line
/// or throws a ClientError whose description is shown.
public protocol DemoControls: Sendable {
    func stopBroker(_ id: Int32) async throws(ClientError) -> String
    func killBroker(_ id: Int32) async throws(ClientError) -> String
    func startBroker(_ id: Int32) async throws(ClientError) -> String
    /// The same for a controller-only node (separate mode): it leaves or rejoins the quorum.
    func stopController(_ id: Int32) async throws(ClientError) -> String
    func killController(_ id: Int32) async throws(ClientError) -> String
    func startController(_ id: Int32) async throws(ClientError) -> String
    /// The demo producers/consumers that exist (for pause/resume/rate menus).
    func workloadStatus() -> [DemoWorkerStatus]
    func setPaused(_ worker: String, _ paused: Bool) async throws(ClientError) -> String
    func setRate(_ producer: String, recordsPerSecond: Double) async throws(ClientError) -> String
    func addMember(group: String) async throws(ClientError) -> String
    func removeMember(group: String) async throws(ClientError) -> String
    /// Pause every in-process consumer of `group`, leave the group so it becomes Empty, run `body`
    /// (the reset), then resume them (they rejoin and consume from the new committed offsets).
    func withGroupPaused(_ group: String, _ body: @Sendable () async throws(ClientError) -> String) async throws(ClientError) -> String
    /// Caption for the running scenario, nil when none.
    func scenarioCaption() -> String?
}

/// One demo producer or consumer, as the demo-controls menus list it.
public struct DemoWorkerStatus: Sendable, Equatable {
    public enum Kind: String, Sendable { case producer, consumer }
    public var name: String; public var kind: Kind; public var group: String?; public var topic: String
    public var paused: Bool; public var recordsPerSecond: Double?
    public init(name: String, kind: Kind, group: String?, topic: String, paused: Bool, recordsPerSecond: Double?) {
        self.name = name; self.kind = kind; self.group = group; self.topic = topic
        self.paused = paused; self.recordsPerSecond = recordsPerSecond
    }
}
