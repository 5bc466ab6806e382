import EddyProtocol

/// The controller nodes' lifecycle and the quorum's clock. In combined mode a voter starts,
/// stops and crashes with its broker (`startBroker`, `stopBroker`, `killBroker` call these);
/// separate controllers are started, stopped and killed on their own (`startController`, ...).
extension Cluster {
    /// The active controller's node id, if the quorum has elected one.
    public var activeController: Int32? { metadata.quorum.activeController }

    /// The controller quorum's voters, ascending.
    public var controllerIds: [Int32] { controllerQuorum.voterIds }

    /// Whether controller `id` runs.
    public func isControllerRunning(_ id: Int32) -> Bool { metadata.quorum.isRunning(id) }

    /// The quorum's newest elections and role changes, oldest first.
    public var quorumEvents: [MetadataQuorum.Event] { metadata.quorum.events }

    /// What Metadata and DescribeCluster name as the controller: the active controller when it
    /// is a running broker (combined mode); otherwise a running broker, as a KRaft broker
    /// answers (clients cannot reach controllers); -1 if no broker runs. Caller holds the lock.
    var controllerIdForClients: Int32 {
        if let active = metadata.quorum.activeController, nodes[active] != nil { return active }
        return nodes.keys.min() ?? -1
    }

    /// Starts controller `id` (a separate controller, or a combined one's broker with it).
    public func startController(_ id: Int32) throws(BrokerError) {
        guard controllerIds.contains(id) else { throw Cluster.unknownController(id) }
        // A combined node whose broker runs (its controller alone stopped: a failed disk).
        if controllerQuorum.combined, !runningBrokers.contains(id) { return try startBroker(id) }
        try withLockThenCallbacks { () throws(BrokerError) in try startVoterLocked(id) }
    }

    /// Stops controller `id` cleanly (an active one resigns first; see `MetadataQuorum.stop`).
    public func stopController(_ id: Int32) throws(BrokerError) {
        guard controllerIds.contains(id) else { throw Cluster.unknownController(id) }
        if controllerQuorum.combined { return try stopBroker(id) }
        try withLockThenCallbacks(awaitingMetadata: false) { () throws(BrokerError) in stopVoterLocked(id) }
    }

    /// Kills controller `id` as a crash would.
    public func killController(_ id: Int32) throws(BrokerError) {
        guard controllerIds.contains(id) else { throw Cluster.unknownController(id) }
        if controllerQuorum.combined { return try killBroker(id) }
        try withLockThenCallbacks(awaitingMetadata: false) { () throws(BrokerError) in killVoterLocked(id) }
    }

    static func unknownController(_ id: Int32) -> BrokerError {
        .brokerIdNotRegistered("Node \(id) is not a controller of this cluster.")
    }

    /// Starts voter `id` from its files, electing at once if the quorum has no leader but now a
    /// majority (no metadata could be written meanwhile, so nothing is gained by waiting).
    /// Caller holds the lock.
    func startVoterLocked(_ id: Int32) throws(BrokerError) {
        guard !metadata.quorum.isRunning(id) else { return }
        try metadata.quorum.restart(id)
        metadata.quorum.electIfLeaderless()
        afterQuorumChange()
    }

    /// Caller holds the lock.
    func stopVoterLocked(_ id: Int32) {
        metadata.quorum.stop(id)
        afterQuorumChange()
    }

    /// Caller holds the lock.
    func killVoterLocked(_ id: Int32) {
        metadata.quorum.kill(id)
        afterQuorumChange()
    }

    /// Passes time for the quorum (elections after `controller.quorum.fetch.timeout.ms`), then
    /// lets a newly elected controller do what waited for one. Called by `tick`, without the lock.
    func tickQuorum() {
        metadata.quorum.tick()
        lock.withLock {
            guard !isShutDown else { return }
            afterQuorumChange()
        }
        if let deadline = metadata.quorum.nextDeadlineMs { driverDeadline?(deadline) }
    }

    /// Held answers whose controller went fail; brokers killed while no controller was active
    /// are fenced once one is. Caller holds the lock.
    func afterQuorumChange() {
        settleHeldAnswers()
        guard !fenceWhenElected.isEmpty, metadata.quorum.activeController != nil else { return }
        for id in fenceWhenElected.sorted() where nodes[id] == nil && metadata.latestImage.brokers[id]?.fenced == false {
            do { try fenceLocked(id) } catch {
                logger.warning("fencing a killed broker failed; its session timeout fences it", metadata: ["broker": "\(id)", "error": "\(error)"])
            }
        }
        fenceWhenElected.removeAll()
    }
}
