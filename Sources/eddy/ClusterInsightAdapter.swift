import Dispatch
import EddyBroker
import EddyClient
import EddyConsole
import EddyProtocol
import Foundation

/// What the console learns from the in-process cluster itself (`ClusterInsight`: every broker's
/// state, partition sizes, bytes in and out per broker) and the broker half of the demo
/// controls (`BrokerControls`: stop, kill, start brokers and controller-only nodes), over
/// EddyBroker's `Cluster`.
///
/// Broker states: running; `stopped` after a controlled shutdown (or stopped before this process
/// started); `killed` after a kill until the controller notices (broker.session.timeout.ms);
/// `fenced` once it did. The controller marked is the quorum's active one; in combined mode a
/// broker's controller stops, crashes and starts with it; in separate mode the controllers are
/// nodes of their own (`controllers()`): running, `stopped`, or `killed` (a crash) until started.
final class ClusterInsightAdapter: ClusterInsight, BrokerControls, @unchecked Sendable {
    let cluster: Cluster
    private let lock = NSLock()
    /// Nodes (brokers, controller-only nodes) this process killed and has not started since.
    private var killed: Set<Int32> = []

    init(cluster: Cluster) {
        self.cluster = cluster
    }

    var clusterId: String { cluster.clusterId }

    func brokers() -> [BrokerInsight] {
        let description = cluster.describeCluster()
        let killed = lock.withLock { self.killed }
        return description.brokers.map { b in
            let state: BrokerInsight.State = switch b.state {
            case .running: .running
            case .unresponsive: .killed
            case .stopped: killed.contains(b.id) ? .fenced : .stopped
            }
            return BrokerInsight(id: b.id, state: state, isController: b.id == description.controllerId)
        }
    }

    func quorum() -> DescribeQuorumResponse.Quorum? { cluster.describeQuorum() }

    func quorumEvents() -> [QuorumEventInsight] {
        cluster.quorumEvents.map { e in
            let role: QuorumEventInsight.Role = switch e.role {
            case .unattached: .unattached
            case let .voted(candidate): .voted(candidate)
            case .candidate: .candidate
            case .leader: .leader
            case .follower: .follower
            case .resigned: .resigned
            }
            return QuorumEventInsight(timeMs: e.timeMs, nodeId: e.nodeId, epoch: e.epoch, role: role)
        }
    }

    /// Kills broker `id` as a power cut would, and has the controller notice at once (fence it
    /// and move its leaderships) rather than after broker.session.timeout.ms.
    func killBrokerNoticedAtOnce(_ id: Int32) async throws(ClientError) -> String {
        try await offThread { () throws(BrokerError) in try self.cluster.killBroker(id, fenceNow: true) }
        lock.withLock { _ = killed.insert(id) }
        return "broker \(id) killed"
    }

    /// Kills node `id`: a broker (in combined mode with its controller), or a separate controller.
    func killNode(_ id: Int32) async throws(ClientError) -> String {
        isSeparateController(id) ? try await killController(id) : try await killBroker(id)
    }

    /// Starts node `id` again (see `killNode`).
    func startNode(_ id: Int32) async throws(ClientError) -> String {
        isSeparateController(id) ? try await startController(id) : try await startBroker(id)
    }

    private func isSeparateController(_ id: Int32) -> Bool {
        !cluster.controllerQuorum.combined && cluster.controllerIds.contains(id)
    }

    func controllers() -> [BrokerInsight] {
        guard !cluster.controllerQuorum.combined else { return [] }
        let killed = lock.withLock { self.killed }
        let active = cluster.activeController
        return cluster.controllerIds.map { id in
            let state: BrokerInsight.State = cluster.isControllerRunning(id) ? .running : killed.contains(id) ? .killed : .stopped
            return BrokerInsight(id: id, state: state, isController: id == active)
        }
    }

    func partitionSizes() -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for topic in (try? cluster.describeTopics()) ?? [] {
            for p in topic.partitions { out[TopicPartition(topic.name, p.partition)] = p.sizeInBytes }
        }
        return out
    }

    func brokerTraffic() -> [Int32: (bytesIn: Int64, bytesOut: Int64)] {
        cluster.brokerTraffic().mapValues { ($0.bytesIn, $0.bytesOut) }
    }

    // MARK: BrokerControls

    func stopBroker(_ id: Int32) async throws(ClientError) -> String {
        let before = try state(of: id)
        guard before == .running || before == .unresponsive else { return "broker \(id) is already stopped" }
        let led = leaderCount(id)
        try await offThread { () throws(BrokerError) in try self.cluster.stopBroker(id) }
        lock.withLock { _ = killed.remove(id) }
        let after = cluster.describeCluster()
        return "broker \(id) stopped (controlled shutdown): \(led) leader\(led == 1 ? "" : "s") moved, "
            + "\(after.underReplicatedPartitions) partitions under-replicated"
            + (after.offlinePartitions > 0 ? ", \(after.offlinePartitions) offline" : "")
    }

    func killBroker(_ id: Int32) async throws(ClientError) -> String {
        let before = try state(of: id)
        guard before == .running else { return "broker \(id) is not running" }
        let wasController = cluster.activeController == id
        try await offThread { () throws(BrokerError) in try self.cluster.killBroker(id) }
        lock.withLock { _ = killed.insert(id) }
        let timeout = cluster.options.brokerSessionTimeoutMs
        let fetchTimeout = cluster.controllerQuorum.settings.fetchTimeoutMs
        if wasController {
            return "broker \(id) killed with the active controller: the other controllers elect one after "
                + "controller.quorum.fetch.timeout.ms (\(fetchTimeout / 1000) s); it fences broker \(id) after "
                + "broker.session.timeout.ms (\(timeout / 1000) s), then its leaders move"
        }
        return "broker \(id) killed: unflushed writes lost; the controller fences it after broker.session.timeout.ms "
            + "(\(timeout / 1000) s), then its leaders move"
    }

    func startBroker(_ id: Int32) async throws(ClientError) -> String {
        let before = try state(of: id)
        guard before != .running else { return "broker \(id) is already running" }
        try await offThread { () throws(BrokerError) in try self.cluster.startBroker(id) }
        lock.withLock { _ = killed.remove(id) }
        return "broker \(id) started: it recovers its logs, catches up and rejoins the ISR"
    }

    func stopController(_ id: Int32) async throws(ClientError) -> String {
        try requireSeparateController(id)
        guard cluster.isControllerRunning(id) else { return "controller \(id) is already stopped" }
        let wasActive = cluster.activeController == id
        try await offThread { () throws(BrokerError) in try self.cluster.stopController(id) }
        lock.withLock { _ = killed.remove(id) }
        let after = cluster.activeController
        let next = after.map { "controller \($0) is active now" } ?? "no controller is active: too few voters run for a majority"
        return "controller \(id) stopped" + (wasActive ? " (it resigned first)" : "") + ": " + votersRunning() + "; " + next
    }

    func killController(_ id: Int32) async throws(ClientError) -> String {
        try requireSeparateController(id)
        guard cluster.isControllerRunning(id) else { return "controller \(id) is not running" }
        let wasActive = cluster.activeController == id
        try await offThread { () throws(BrokerError) in try self.cluster.killController(id) }
        lock.withLock { _ = killed.insert(id) }
        if wasActive {
            let fetchTimeout = cluster.controllerQuorum.settings.fetchTimeoutMs
            return "controller \(id) killed, the active one: its unflushed metadata is lost; the others elect one after "
                + "controller.quorum.fetch.timeout.ms (\(fetchTimeout / 1000) s); " + votersRunning()
        }
        return "controller \(id) killed: its unflushed metadata is lost; " + votersRunning()
    }

    func startController(_ id: Int32) async throws(ClientError) -> String {
        try requireSeparateController(id)
        guard !cluster.isControllerRunning(id) else { return "controller \(id) is already running" }
        try await offThread { () throws(BrokerError) in try self.cluster.startController(id) }
        lock.withLock { _ = killed.remove(id) }
        return "controller \(id) started: it reads its metadata log back and catches up with the active controller; " + votersRunning()
    }

    /// "2 of 3 voters run (a majority is 2)".
    private func votersRunning() -> String {
        let ids = cluster.controllerIds
        let running = ids.filter { cluster.isControllerRunning($0) }.count
        return "\(running) of \(ids.count) voters run (a majority is \(ids.count / 2 + 1))"
    }

    private func requireSeparateController(_ id: Int32) throws(ClientError) {
        guard !isSeparateController(id) else { return }
        let ids = cluster.controllerIds.map(String.init).joined(separator: ", ")
        throw .broker(.brokerIdNotRegistered, message: cluster.controllerQuorum.combined
            ? "node \(id) is no controller-only node: this cluster's controllers (\(ids)) run in its brokers; stop, kill or start the broker"
            : "node \(id) is not a controller of this cluster (controllers: \(ids))")
    }

    private func state(of id: Int32) throws(ClientError) -> BrokerDescription.State {
        guard let b = cluster.describeCluster().brokers.first(where: { $0.id == id }) else {
            let known = cluster.describeCluster().brokers.map { String($0.id) }.joined(separator: ", ")
            throw .broker(.brokerIdNotRegistered, message: "broker \(id) is not part of this cluster (brokers: \(known))")
        }
        return b.state
    }

    private func leaderCount(_ id: Int32) -> Int {
        cluster.describeCluster().brokers.first { $0.id == id }?.leaderCount ?? 0
    }

    /// Runs a blocking cluster call (it fsyncs, recovers logs) on a dispatch thread, not on the
    /// cooperative pool the console's tasks share.
    private func offThread(_ body: @escaping @Sendable () throws(BrokerError) -> Void) async throws(ClientError) {
        let result: Result<Void, BrokerError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(BrokerError) {
                    try body()
                    continuation.resume(returning: .success(()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        if case let .failure(error) = result { throw .broker(error.errorCode, message: error.description) }
    }
}
