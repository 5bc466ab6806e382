import EddyProtocol
import Synchronization

/// Replication on the appending thread, while a `ClusterDriver` runs the cluster over the
/// in-process transport.
///
/// A Kafka leader answers its followers' parked fetches as soon as it appends (they wait in
/// its fetch purgatory up to replica.fetch.wait.max.ms), so followers copy new records at once.
/// The in-process equivalent: right after the append, once the produce is answered or parked,
/// the thread that appended runs the followers' fetches of the appended partitions: they fetch
/// (copying the records), then fetch again (reporting their new log end, which lets the leader
/// advance the high watermark and answer acks=all produces and waiting consumer fetches), until
/// every running replica holds the leader's log and the leader's high watermark is its log end,
/// or nothing changes. No thread hand-off lies between an append and its acknowledgement.
/// Followers learn the new high watermark in their next fetch.
///
/// These are the driver's fetches, with the same checks, at another time: Kafka's rules (the
/// high watermark is the minimum log end offset over the ISR; acks=all waits for the ISR) are
/// untouched. One thread at a time replicates: a thread that appends while another one
/// replicates leaves its partitions in `appendedPartitions`, and the replicating thread takes
/// them up before it stops. A round that has to skip a follower (its fetch to that leader is
/// running on another thread), or that runs out of rounds, wakes the driver, whose rounds
/// continue until nothing changes; so does a thread that has replicated others' appends for
/// `maxAppendReplicationPasses` passes and still finds more (the driver takes them up).
///
/// Without a driver (tests, the simulation, one-shot CLI commands) or over another transport,
/// appends only wake the driver, if any, and replication happens where the caller drives it.
extension Cluster {
    /// Rounds run for one set of appended partitions before the rest is left to the driver.
    static let maxAppendReplicationRounds = 8
    /// Sets of appended partitions one thread replicates before it leaves the next to the driver.
    static let maxAppendReplicationPasses = 4

    /// Records that a leader appended to `tp`, which has `replicaCount` replicas, for
    /// `replicateAppended` to take up once the caller's locks are released (or wakes the
    /// driver). Needs no cluster lock.
    func noteAppended(_ tp: TopicPartition, replicaCount: Int) {
        guard replicaCount > 1 else { return }
        let wakeup: (@Sendable () -> Void)? = driverHooks.withLock { hooks in
            if hooks.replicateOnAppend {
                hooks.appendedPartitions.insert(tp)
                return nil
            }
            return hooks.wakeup
        }
        wakeup?()
    }

    /// Replicates the partitions appended since the last call, on this thread, unless another
    /// thread is doing so (it takes them up). Call without holding the lock.
    func replicateAppended() {
        let claimed: Bool = driverHooks.withLock { hooks in
            guard hooks.replicateOnAppend, !hooks.replicatingAppended, !hooks.appendedPartitions.isEmpty else { return false }
            hooks.replicatingAppended = true
            return true
        }
        guard claimed else { return }
        var passes = 0
        while true {
            let (targets, wakeup): (Set<TopicPartition>, (@Sendable () -> Void)?) = driverHooks.withLock { hooks in
                // A thread that keeps finding others' appends hands them to the driver after a
                // few passes, so that it can get back to its own work.
                guard passes < Self.maxAppendReplicationPasses || hooks.appendedPartitions.isEmpty || hooks.wakeup == nil else {
                    hooks.replicatingAppended = false
                    return ([], hooks.wakeup)
                }
                let taken = hooks.appendedPartitions
                hooks.appendedPartitions.removeAll()
                if taken.isEmpty { hooks.replicatingAppended = false }
                return (taken, nil)
            }
            wakeup?()
            if targets.isEmpty { return }
            replicate(targets)
            passes += 1
        }
    }

    /// Rounds limited to `targets` until their replicas have caught up or stop moving.
    private func replicate(_ targets: Set<TopicPartition>) {
        var previous = replicationProgress(of: targets)
        for _ in 0 ..< Self.maxAppendReplicationRounds {
            let (sent, skipped) = replicationRound(only: targets)
            if skipped > 0 { driverWakeup?() }
            guard sent > 0 else { return }
            let now = replicationProgress(of: targets)
            if now.caughtUp || now.offsets == previous.offsets { return }
            previous = now
        }
        driverWakeup?()
    }

    /// The log end offset and high watermark of every running replica of `partitions`, and
    /// whether every one of them has caught up: each running replica holds its leader's whole
    /// log, and the leader's high watermark is its log end (every acks=all produce and waiting
    /// fetch has been answered). Followers may not know that high watermark yet: they learn it
    /// from their next fetch (the next append's, or the driver's next round), as Kafka's
    /// followers do, so the acknowledgement does not wait for one more round.
    func replicationProgress(of partitions: Set<TopicPartition>) -> (offsets: [Int64], caughtUp: Bool) {
        lock.withLock {
            var offsets: [Int64] = []
            var caughtUp = true
            let running = nodes.values.sorted(by: { $0.id < $1.id })
            for tp in partitions.sorted() {
                let leaderLog = running.lazy.compactMap { $0.replicas[tp] }.first(where: \.isLeader)?.log
                if let leaderLog, leaderLog.highWatermark != leaderLog.logEndOffset { caughtUp = false }
                for node in running {
                    guard let log = node.replicas[tp]?.log else { continue }
                    offsets.append(log.logEndOffset)
                    offsets.append(log.highWatermark)
                    if let leaderLog, log.logEndOffset != leaderLog.logEndOffset { caughtUp = false }
                }
            }
            return (offsets, caughtUp)
        }
    }
}
