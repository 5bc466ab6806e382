import EddyProtocol
import EddyStorage
import Foundation
import Synchronization

extension Cluster {
    /// One replication round: every running broker sends one Fetch (with its replica id) to
    /// each leader it follows, through the transport, and applies what comes back: truncation
    /// on a diverging epoch, appended batches, and the leader's high watermark.
    ///
    /// With the in-process transport the round completes before this returns; with a simulated
    /// one, responses are applied whenever the simulator delivers them.
    /// - Returns: the number of fetches sent.
    @discardableResult
    public func replicationRound() -> Int {
        replicationRound(only: nil).sent
    }

    /// A replication round limited to `partitions` (nil: all): each follower's Fetch to a leader
    /// names only those of its partitions. A follower whose fetch to that leader is still in
    /// flight (Kafka's fetcher thread has one outstanding fetch per leader) is skipped.
    /// - Returns: fetches sent, and fetches skipped because one was in flight.
    func replicationRound(only partitions: Set<TopicPartition>?) -> (sent: Int, skipped: Int) {
        let (requests, skipped) = lock.withLock { () -> ([(from: Int32, to: Int32, incarnation: Int64, request: FetchRequest)], Int) in
            guard !isShutDown else { return ([], 0) }
            var out: [(Int32, Int32, Int64, FetchRequest)] = []
            var skipped = 0
            let only = partitions?.sorted()
            let now = clock.nowMs()
            for node in nodes.values.sorted(by: { $0.id < $1.id }) {
                var byLeader: [Int32: [String: [FetchRequest.FetchPartition]]] = [:]
                func add(_ tp: TopicPartition, _ replica: Replica) {
                    guard let leader = replica.followedLeader, followerMayFetch(tp, follower: node.id, now: now) else { return }
                    let log = replica.log
                    byLeader[leader, default: [:]][tp.topic, default: []].append(
                        .init(partition: tp.partition, currentLeaderEpoch: replica.leaderEpoch, fetchOffset: log.logEndOffset,
                              lastFetchedEpoch: log.latestEpoch ?? -1, logStartOffset: log.logStartOffset,
                              partitionMaxBytes: options.replicaFetchMaxBytes))
                }
                if let only {
                    for tp in only { if let replica = node.replicas[tp] { add(tp, replica) } }
                } else {
                    for (tp, replica) in node.sortedReplicas { add(tp, replica) }
                }
                for (leader, topics) in byLeader.sorted(by: { $0.key < $1.key }) {
                    // Like Kafka's fetcher thread, one fetch per leader at a time.
                    let key = FetcherKey(follower: node.id, incarnation: node.incarnation, leader: leader)
                    guard !fetchesInFlight.contains(key) else {
                        skipped += 1
                        continue
                    }
                    fetchesInFlight.insert(key)
                    let request = FetchRequest(replicaId: node.id, replicaEpoch: node.incarnation, maxWaitMs: 0, minBytes: 0,
                                               topics: topics.sorted(by: { $0.key < $1.key }).map { .init(topic: $0.key, partitions: $0.value) })
                    out.append((node.id, leader, node.incarnation, request))
                }
            }
            return (out, skipped)
        }
        for (from, to, incarnation, request) in requests {
            let context = RequestContext(clientId: "broker-\(from)-fetcher")
            if sendsOnCallingThread {
                // Answered before `send` returns: the cluster is alive throughout.
                send(.fetch(request), to: to, context: context) { [self] result in
                    applyFetchAnswer(result, to: request, follower: from, incarnation: incarnation, leader: to)
                }
            } else {
                // Held by another transport until it delivers, which may be after the cluster is gone.
                send(.fetch(request), to: to, context: context) { [weak self] result in
                    self?.applyFetchAnswer(result, to: request, follower: from, incarnation: incarnation, leader: to)
                }
            }
        }
        return (requests.count, skipped)
    }

    /// Applies the answer to a follower's fetch, then lets the follower fetch from that leader
    /// again: a fetch sent while the answer to the last one was being written would ask for the
    /// same records.
    private func applyFetchAnswer(_ result: Result<KafkaResponse, TransportError>, to request: FetchRequest, follower: Int32,
                                  incarnation: Int64, leader: Int32) {
        if case let .success(.fetch(response)) = result {
            applyFetchResponse(response, to: request, follower: follower, incarnation: incarnation, leader: leader)
        }
        _ = lock.withLock { fetchesInFlight.remove(FetcherKey(follower: follower, incarnation: incarnation, leader: leader)) }
    }

    /// The follower side of a Fetch response. Responses for an older role are ignored.
    /// Only responses to this run of the follower, for partitions it still follows from the
    /// same leader in the same epoch, are applied: checked under the cluster lock, then written
    /// without it, under each replica's writer lock while it still follows that leader in that
    /// epoch (see `Replica`).
    func applyFetchResponse(_ response: FetchResponse, to request: FetchRequest, follower: Int32, incarnation: Int64, leader: Int32) {
        let accepted: [(Replica, epoch: Int32, FetchResponse.PartitionData, fetchOffset: Int64)] = lock.withLock {
            guard !isShutDown, let node = nodes[follower], node.incarnation == incarnation else { return [] }
            var asked: [TopicPartition: FetchRequest.FetchPartition] = [:]
            for t in request.topics { for p in t.partitions { asked[TopicPartition(t.topic, p.partition)] = p } }
            var out: [(Replica, epoch: Int32, FetchResponse.PartitionData, fetchOffset: Int64)] = []
            for topic in response.responses {
                for data in topic.partitions {
                    let tp = TopicPartition(topic.topic, data.partitionIndex)
                    guard let replica = node.replicas[tp], replica.followedLeader == leader, let sent = asked[tp],
                          sent.currentLeaderEpoch == replica.leaderEpoch else { continue }
                    out.append((replica, replica.leaderEpoch, data, sent.fetchOffset))
                }
            }
            return out
        }
        for (replica, epoch, data, fetchOffset) in accepted {
            replica.whileWriter(.follower(leaderId: leader, epoch: epoch)) {
                applyFollowerData(data, fetchOffset: fetchOffset, replica: replica)
            }
        }
    }

    private func applyFollowerData(_ data: FetchResponse.PartitionData, fetchOffset: Int64, replica: Replica) {
        let log = replica.log
        let decision = FollowerFetch.decide(data, requestFetchOffset: fetchOffset, logEndOffset: log.logEndOffset,
                                            endOffsetForEpoch: { log.endOffset(forLeaderEpoch: $0) })
        do {
            switch decision {
            case let .truncate(offset):
                logger.info("follower truncating diverged log", metadata: ["partition": "\(replica.topicPartition)", "to": "\(offset)"])
                try log.truncate(to: offset)
            case let .append(records, highWatermark, logStartOffset):
                if !records.isEmpty { try appendAsFollower(records, to: log) }
                log.maybeIncrementHighWatermark(FollowerFetch.followerHighWatermark(leaderHighWatermark: highWatermark,
                                                                                    logEndOffset: log.logEndOffset))
                if logStartOffset > log.logStartOffset, logStartOffset <= log.highWatermark {
                    try log.deleteRecords(before: logStartOffset)
                }
            case let .outOfRange(resetTo):
                try log.truncateFully(startingAt: resetTo)
            case .backoff, .ignore:
                break
            }
        } catch {
            logger.warning("follower could not apply fetched data", metadata: ["partition": "\(replica.topicPartition)", "error": "\(error)"])
        }
    }

    /// Appends fetched batches. The leader answers a fetch with the whole batch that holds the
    /// fetch offset, so its first batch can start below the follower's log end:
    /// - a follower whose log is empty because it restarted at the leader's log start offset
    ///   (which DeleteRecords may put inside a batch) restarts at the batch's base offset, as
    ///   Kafka's follower does;
    /// - a follower whose own batch boundary differs there holds records the leader does not
    ///   have (they diverged; the epoch check cannot see it when the leader's epoch history was
    ///   cut at a log start inside that batch). Committed records are identical on every ISR
    ///   member, so a difference at or above the follower's high watermark is uncommitted: the
    ///   follower truncates to the leader's batch and appends it. Below its high watermark it
    ///   never truncates.
    private func appendAsFollower(_ records: [UInt8], to log: PartitionLog) throws {
        do {
            try log.appendAsFollower(records)
        } catch let error as StorageError {
            guard case .offsetsOutOfOrder = error, let first = RecordBatchHeader.peekFirstBaseOffset(records),
                  first < log.logEndOffset else { throw error }
            if log.logEndOffset == log.logStartOffset, log.sizeInBytes == 0 {
                try log.truncateFully(startingAt: first)
            } else {
                guard first >= log.highWatermark else { throw error }
                try log.truncate(to: first)
            }
            try log.appendAsFollower(records)
        }
    }

    /// Time-based work, as Kafka's scheduled tasks do it: running brokers heartbeat; the
    /// controller fences brokers silent for broker.session.timeout.ms; leaders drop followers
    /// lagging more than replica.lag.time.max.ms from the ISR; expired acks=all produces (and
    /// group writes) get REQUEST_TIMED_OUT; waiting fetches past fetch.max.wait.ms are answered;
    /// group coordinators retry failed loads and run their due timers (session timeouts, join
    /// and sync phases); preferred leaders are restored every leader.imbalance.check.interval.
    public func tick() {
        tickQuorum()
        lock.withLock {
            guard !isShutDown else { return }
            let now = clock.nowMs()
            for id in nodes.keys { lastHeartbeatMs[id] = now }
            for (id, registration) in metadata.latestImage.brokers.sorted(by: { $0.key < $1.key })
                where !registration.fenced && nodes[id] == nil && now - (lastHeartbeatMs[id] ?? now) > options.brokerSessionTimeoutMs {
                logger.warning("broker session timed out; fencing", metadata: ["broker": "\(id)"])
                try? fenceLocked(id)
                if metadata.image.brokers[id]?.fenced == true { clearUnfencedKill(id) }
            }
            for node in nodes.values.sorted(by: { $0.id < $1.id }) {
                for (_, replica) in node.sortedReplicas {
                    guard let actions = replica.leaderEvent({ $0.onTick(now: now, replicaLagTimeMaxMs: options.replicaLagTimeMaxMs) }) else { continue }
                    perform(actions, replica: replica, node: node)
                }
            }
            for node in nodes.values.sorted(by: { $0.id < $1.id }) {
                node.expireDelayedProduces(now: now, into: &deferred)
                node.expireDelayedFetches(now: now, into: &deferred)
            }
            for node in nodes.values.sorted(by: { $0.id < $1.id }) where node.groups.isLoading { loadCoordinatorPartitions(on: node) }
            fireGroupTimers(now: now)
            tickTransactionCoordinators(now: now)
            if options.autoLeaderRebalanceEnable, now - lastPreferredLeaderCheckMs >= options.leaderImbalanceCheckIntervalMs {
                lastPreferredLeaderCheckMs = now
                try? commit(controller.preferredLeaderElection(image: metadata.latestImage))
            }
        }
        flushDeferred()
    }

    /// Replicates until nothing changes (every follower of a live leader has caught up and
    /// knows the high watermark) or `maxRounds` pass; then elects preferred leaders. Used by the
    /// CLI so that each command sees, and leaves, a settled cluster.
    public func settle(maxRounds: Int = 10_000) {
        var previous = progressFingerprint()
        for _ in 0 ..< maxRounds {
            replicationRound()
            tick()
            let current = progressFingerprint()
            if current == previous { break }
            previous = current
        }
        lock.withLock {
            guard !isShutDown, options.autoLeaderRebalanceEnable else { return }
            try? commit(controller.preferredLeaderElection(image: metadata.latestImage))
        }
        flushDeferred()
    }

    /// The earliest cluster-clock time at which `tick()` has timed work: an acks=all produce or
    /// group write timing out, a waiting fetch's fetch.max.wait.ms, a group coordinator timer.
    /// nil when nothing waits.
    public var nextDeadlineMs: Int64? {
        lock.withLock {
            var next: Int64?
            for node in nodes.values {
                if let d = node.nextPurgatoryDeadlineMs { next = min(next ?? d, d) }
            }
            for node in nodes.values { if let t = node.groups.nextTimerMs { next = min(next ?? t, t) } }
            return next
        }
    }

    /// Everything replication can change: per replica LEO and HW, and the metadata offset.
    func progressFingerprint() -> [Int64] {
        lock.withLock {
            var out = [metadata.image.offset]
            for node in nodes.values.sorted(by: { $0.id < $1.id }) {
                for (_, r) in node.sortedReplicas {
                    out.append(r.log.logEndOffset)
                    out.append(r.log.highWatermark)
                }
            }
            return out
        }
    }
}

/// Drives a cluster in real time on a background thread: over the in-process transport,
/// followers copy what a leader appends on the appending thread (`Cluster+ReplicateOnAppend`),
/// and the driver runs replication rounds when woken (a follower was busy, rounds ran out,
/// `wakeup()`; over another transport, whenever a leader appended), `tick` every
/// `tickIntervalMs` and whenever a deadline of the cluster falls due (`Cluster.nextDeadlineMs`:
/// a waiting fetch's fetch.max.wait.ms, a produce or group write timing out, a group timer),
/// and log maintenance every log.retention.check.interval.ms.
public final class ClusterDriver: @unchecked Sendable {
    let cluster: Cluster
    let condition = NSCondition()
    var stopping = false
    var wakeups = 0
    /// A deadline earlier than `plannedWakeMs` was registered while the driver slept.
    var deadlineNoted = false
    /// Cluster-clock time the driver sleeps until (guarded by `condition`).
    var plannedWakeMs: Int64 = .max
    var thread: Thread?
    let tickIntervalMs: Int
    let replicateOnAppend: Bool
    let finished = DispatchSemaphore(value: 0)

    /// - Parameter replicateOnAppend: over a transport that delivers on the calling thread (the
    ///   in-process one, `Transport.deliversOnCallingThread`), let followers copy
    ///   appends on the appending thread (see `Cluster+ReplicateOnAppend`); false leaves all
    ///   replication to this driver's thread (woken on every append), for comparison.
    public init(cluster: Cluster, tickIntervalMs: Int = 100, replicateOnAppend: Bool = true) {
        self.replicateOnAppend = replicateOnAppend
        self.cluster = cluster
        self.tickIntervalMs = tickIntervalMs
    }

    public func start() {
        cluster.lock.withLock {
            cluster.driverWakeup = { [weak self] in self?.wakeup() }
            cluster.driverDeadline = { [weak self] in self?.noteDeadline($0) }
            cluster.replicateOnAppend = replicateOnAppend && cluster.sendsOnCallingThread
        }
        let t = Thread { [self] in run() }
        t.name = "eddy-cluster-driver"
        thread = t
        t.start()
    }

    public func wakeup() {
        condition.lock()
        wakeups += 1
        condition.signal()
        condition.unlock()
    }

    /// Called (with or without the cluster lock) when the cluster gets a deadline at `ms`: wakes the
    /// driver if it planned to sleep past it.
    func noteDeadline(_ ms: Int64) {
        condition.lock()
        if ms < plannedWakeMs {
            deadlineNoted = true
            condition.signal()
        }
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if thread != nil { finished.wait() }
        thread = nil
        cluster.lock.withLock {
            cluster.driverHooks.withLock { hooks in
                hooks.wakeup = nil
                hooks.deadline = nil
                hooks.replicateOnAppend = false
                hooks.appendedPartitions.removeAll()
            }
        }
    }

    private func run() {
        var lastTick = Date()
        var lastMaintenance = Date()
        while true {
            // Read before taking `condition` (the cluster lock is taken before `condition`
            // elsewhere); a deadline registered after this read is reported by `noteDeadline`.
            let deadline = cluster.nextDeadlineMs
            let nowMs = cluster.clock.nowMs()
            condition.lock()
            var waitMs = max(0, Double(tickIntervalMs) - Date().timeIntervalSince(lastTick) * 1000)
            if let deadline { waitMs = min(waitMs, Double(max(0, deadline - nowMs))) }
            if wakeups == 0 && !deadlineNoted && !stopping && waitMs > 0 {
                plannedWakeMs = nowMs + Int64(waitMs.rounded(.up))
                _ = condition.wait(until: Date(timeIntervalSinceNow: waitMs / 1000))
            }
            plannedWakeMs = .max
            let stop = stopping
            let replicate = wakeups > 0
            wakeups = 0
            deadlineNoted = false
            condition.unlock()
            if stop { break }
            let tickDue = Date().timeIntervalSince(lastTick) * 1000 >= Double(tickIntervalMs)
            if replicate { cluster.replicateAppended() }
            if replicate || tickDue {
                // Rounds until followers have caught up with what woke us.
                var previous = cluster.progressFingerprint()
                for _ in 0 ..< 64 {
                    cluster.replicationRound()
                    let now = cluster.progressFingerprint()
                    if now == previous { break }
                    previous = now
                }
            }
            let deadlineDue = cluster.nextDeadlineMs.map { $0 <= cluster.clock.nowMs() } ?? false
            if tickDue || deadlineDue {
                cluster.tick()
                if tickDue { lastTick = Date() }
            }
            if Date().timeIntervalSince(lastMaintenance) * 1000 >= Double(cluster.options.logRetentionCheckIntervalMs) {
                do { try cluster.runMaintenance() } catch {
                    cluster.logger.error("log maintenance failed", metadata: ["error": "\(error)"])
                }
                lastMaintenance = Date()
            }
        }
        finished.signal()
    }
}

/// One follower run's fetcher for one leader.
struct FetcherKey: Hashable {
    var follower: Int32
    var incarnation: Int64
    var leader: Int32
}

extension RecordBatchHeader {
    /// The base offset of the first batch in `records`, if it has one.
    static func peekFirstBaseOffset(_ records: [UInt8]) -> Int64? {
        records.withUnsafeBytes { RecordBatchHeader.peekSize($0)?.baseOffset }
    }
}
