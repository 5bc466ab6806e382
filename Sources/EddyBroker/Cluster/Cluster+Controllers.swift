import EddyProtocol
import EddyStorage

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

    /// Held answers whose controller failed are failed; brokers killed while no controller could
    /// fence them are fenced once one can, and those started meanwhile let in; ISR changes no
    /// controller took are proposed again after an election. Caller holds the lock.
    func afterQuorumChange() {
        settleHeldAnswers()
        for id in fenceWhenElected.sorted() {
            // Fenced (committed).
            if metadata.image.brokers[id]?.fenced != false {
                clearUnfencedKill(id)
                continue
            }
            // Not yet, or written and waiting for a majority.
            guard metadata.quorum.activeController != nil, metadata.latestImage.brokers[id]?.fenced == false else { continue }
            do {
                try fenceLocked(id)
                if metadata.image.brokers[id]?.fenced == true { clearUnfencedKill(id) }
            } catch {
                logger.info("fencing a killed broker is not committed yet", metadata: ["broker": "\(id)", "error": "\(error)"])
            }
        }
        for id in unfenceWhenElected.sorted() {
            guard nodes[id] != nil else {
                unfenceWhenElected.remove(id)
                continue
            }
            guard metadata.quorum.activeController != nil else { continue }
            do throws(BrokerError) {
                // A new incarnation (KIP-903): its old registration is fenced first.
                if metadata.latestImage.brokers[id]?.fenced == false { try fenceLocked(id) }
                try commitElection(controller.unfenceBroker(id, image: metadata.latestImage))
                unfenceWhenElected.remove(id)
                clearUnfencedKill(id)
            } catch {
                logger.info("letting a started broker in is not committed yet", metadata: ["broker": "\(id)", "error": "\(error)"])
            }
        }
        // After the brokers' registrations: an expansion is only taken for an unfenced one.
        let epoch = metadata.quorum.leaderEpoch
        if epoch != nil, epoch != lastControllerEpoch || isrProposalsToRetry {
            lastControllerEpoch = epoch
            reproposePendingIsrChanges()
        }
    }

    /// `broker-<id>/unfenced-kill`: broker `id` was killed (its unflushed data lost) and no
    /// controller could fence it then. It stays in ISRs it may no longer deserve until one
    /// does; should the process die first, the next one fences it before any other broker
    /// that crashed with the process (`Cluster.init`). Removed once it is fenced or started.
    static func unfencedKillMarker(dataDirectory: String, id: Int32) -> String {
        Disk.join(Disk.join(dataDirectory, Broker.logDirectoryName(nodeId: id)), "unfenced-kill")
    }

    /// Writes broker `id`'s marker; with `fenceWhenElected`, the next controller fences it as
    /// soon as one is active (a kill noticed at once), else its session timeout does.
    /// Caller holds the lock.
    func noteUnfencedKill(_ id: Int32, fenceWhenElected fence: Bool) {
        if fence { fenceWhenElected.insert(id) }
        do { try Disk.writeAtomically(Cluster.unfencedKillMarker(dataDirectory: dataDirectory, id: id), []) } catch {
            logger.error("could not record a killed broker that is not fenced", metadata: ["broker": "\(id)", "error": "\(error)"])
        }
    }

    /// Caller holds the lock.
    func clearUnfencedKill(_ id: Int32) {
        fenceWhenElected.remove(id)
        let marker = Cluster.unfencedKillMarker(dataDirectory: dataDirectory, id: id)
        guard Disk.exists(marker) else { return }
        do { try Disk.remove(marker) } catch {
            logger.error("could not remove a fencing marker", metadata: ["broker": "\(id)", "error": "\(error)"])
        }
    }
}
