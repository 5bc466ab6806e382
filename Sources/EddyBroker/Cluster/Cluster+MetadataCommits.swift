import EddyProtocol
import EddyStorage
import Foundation
import Synchronization

/// How metadata changes reach the brokers, as KRaft's do: the controller writes records to the
/// metadata log under the cluster lock (`commit`) and decides from everything written
/// (`MetadataLog.latestImage`); the records are fsynced without the lock, and only then applied
/// to the brokers (`completeMetadataCommits`, `publishCommitted`). A request that depends on
/// metadata not yet durable is answered once it is (`answerAfterCommit`); if the fsync fails,
/// with KAFKA_STORAGE_ERROR, and the metadata log refuses changes until eddy restarts.
///
/// Invariants: brokers apply only durable metadata; committed offsets only grow; a held answer
/// is released exactly once, after its offset is applied (or failed).
extension Cluster {
    /// An answer held until the metadata log is durable through `offset` (`answerAfterCommit`).
    struct HeldAnswer {
        var offset: Int64
        var answer: @Sendable () -> Void
        /// Sent instead if the metadata could not be made durable.
        var fail: @Sendable () -> Void
    }

    /// Writes records to the metadata log for the controller (its `latestImage` has them at
    /// once), to reach the brokers once they are durable: after the lock is released,
    /// `completeMetadataCommits` fsyncs them without the lock and then applies them. Caller
    /// holds the lock.
    func commit(_ records: [MetadataRecord]) throws(BrokerError) {
        guard !records.isEmpty else { return }
        try writeMetadata(records)
    }

    /// `MetadataLog.write`; a write that leaves the log unusable (an I/O error) fails the
    /// answers held for earlier writes, which can no longer be made durable. Caller holds the lock.
    private func writeMetadata(_ records: [MetadataRecord]) throws(BrokerError) {
        do { try metadataLog.write(records) } catch {
            if metadataLog.failure != nil { metadataFailed(error) }
            throw error
        }
    }

    /// `commit`, made durable and applied before returning, with the lock held throughout: for
    /// the broker lifecycle (start, stop, fencing and the elections they cause), whose next
    /// steps depend on the brokers having applied it. Caller holds the lock.
    func commitDurably(_ records: [MetadataRecord]) throws(BrokerError) {
        guard !records.isEmpty else { return }
        try writeMetadata(records)
        guard let pending = metadataLog.pendingCommit else { return }
        do { try metadataLog.syncWritten() } catch {
            metadataFailed(error)
            throw error
        }
        try publishCommitted(pending)
    }

    /// Queues `answer`, or, while metadata is written but not yet durable, holds it until that
    /// metadata is applied: an answer from the controller must not reveal a change a power cut
    /// could still undo (a topic, a producer id block), as KRaft's controller holds its
    /// answers until their records are committed. Caller holds the lock.
    func answerAfterCommit(_ answer: @escaping @Sendable () -> Void, failing fail: @escaping @Sendable () -> Void) {
        guard metadataLog.pendingCommit != nil else { return deferred.append(answer) }
        awaitingCommit.append(HeldAnswer(offset: metadataLog.latestImage.offset, answer: answer, fail: fail))
    }

    /// Whether `completeMetadataCommits` has work. Caller holds the lock.
    var metadataCommitPending: Bool { !isShutDown && metadataLog.pendingCommit != nil }

    /// Makes the metadata written so far durable and applies it to the brokers, without the
    /// lock held across the fsync (appends, fetches and other metadata writes go on meanwhile).
    /// One fsync covers every batch written before it began (group commit). A caller that finds
    /// another thread fsyncing returns at once: that thread looks again for batches written
    /// meanwhile once it is done, so nothing waits on an fsync it does not need.
    /// Called without the lock (by `flushDeferred`).
    func completeMetadataCommits() {
        while lock.withLock({ metadataCommitPending }) {
            guard metadataSync.try() else { return }
            syncAndPublishMetadata()
            metadataSync.unlock()
        }
    }

    /// Waits until the metadata written through `offset` is applied, fsyncing it here if no
    /// other thread is (for callers that return only once their change took effect: the
    /// cluster's own admin calls). Called without the lock.
    func awaitMetadataApplied(through offset: Int64) throws(BrokerError) {
        while lock.withLock({ metadataLog.image.offset < offset }) {
            metadataSync.lock()
            syncAndPublishMetadata()
            metadataSync.unlock()
            if let failure = lock.withLock({ metadataLog.failure }) { throw failure }
            if lock.withLock({ isShutDown }) { throw .brokerClosed }
        }
        flushDeferred()
    }

    /// One round of `completeMetadataCommits`: fsync what is written, then publish it. Caller
    /// holds `metadataSync`, not the lock.
    func syncAndPublishMetadata() {
        // Taken under `metadataSync`, before the fsync: which then covers all of it.
        guard let pending = lock.withLock({ isShutDown ? nil : metadataLog.pendingCommit }) else { return }
        prepareLogs(for: pending)
        do throws(BrokerError) {
            try metadataLog.syncWritten()
        } catch {
            lock.withLock { metadataFailed(error) }
            return
        }
        lock.withLock {
            guard !isShutDown else { return }
            do { try publishCommitted(pending) } catch {
                logger.error("applying committed metadata failed", metadata: ["offset": "\(pending.offset)", "error": "\(error)"])
            }
        }
    }

    /// A failed metadata fsync: nothing written since the last durable point is ever applied
    /// (`MetadataLog.markFailed`), and the answers held for it fail. Caller holds the lock.
    func metadataFailed(_ error: BrokerError) {
        logger.critical("metadata log fsync failed; metadata changes are refused until eddy restarts", metadata: ["error": "\(error)"])
        metadataLog.markFailed(error)
        deferred.append(contentsOf: awaitingCommit.map(\.fail))
        awaitingCommit.removeAll()
    }

    /// Writes a snapshot of the committed metadata if one is due, with the lock held only to
    /// take and finish it (one at a time: see `MetadataLog.snapshotJob`). Called without the
    /// lock, after the caller's answers went out.
    func writeMetadataSnapshotIfDue() {
        let job: MetadataLog.SnapshotJob? = lock.withLock {
            guard !isShutDown, metadataLog.snapshotDue else { return nil }
            return try? metadataLog.snapshotJob()
        }
        guard let job else { return }
        var written = true
        do throws(BrokerError) { try metadataLog.writeSnapshot(job) } catch {
            written = false
            logger.error("metadata snapshot failed; retried once more metadata is committed", metadata: ["error": "\(error)"])
        }
        lock.withLock { metadataLog.finishSnapshot(job, written: written) }
    }

    /// Creates the logs that `pending` gives running brokers for topics new to them, before it
    /// is applied under the lock: creating the directories and files and fsyncing
    /// `partition.metadata` then happen without the lock, and `applyMetadata` finds the logs
    /// open. Only partitions with neither an open log nor a directory are prepared; anything
    /// else (a directory left by an older incarnation of the topic, say) is `applyMetadata`'s
    /// to judge. A log prepared for a topic that is deleted before it is applied is deleted by
    /// `applyMetadata` too. Called without the lock.
    func prepareLogs(for pending: MetadataLog.PendingCommit) {
        let (brokers, committed) = lock.withLock {
            // The next publication looks for prepared logs whose topic went meanwhile.
            logsPrepared = true
            return (nodes.values.sorted { $0.id < $1.id }, metadataLog.image)
        }
        let image = pending.image
        for name in image.topicNames {
            guard let topic = image.topic(named: name), committed.topic(id: topic.id) == nil else { continue }
            let config = image.logConfig(forTopic: name).config
            for broker in brokers {
                for p in topic.partitionIds where topic.partitions[p]?.replicas.contains(broker.id) == true {
                    let tp = TopicPartition(name, p)
                    guard broker.logManager.log(for: tp) == nil,
                          !Disk.exists(Disk.join(broker.logManager.directory, tp.directoryName)) else { continue }
                    do {
                        let log = try broker.logManager.getOrCreateLog(tp, config: config)
                        // Absent only: `applyMetadata` may meanwhile have adopted the log for a
                        // newer topic of the same name and written that topic's ID.
                        try PartitionMetadataFile.write(directory: log.directory, topicId: topic.id, ifAbsent: true)
                    } catch {
                        // `applyMetadata` tries again, and reports a failure.
                        logger.debug("could not prepare a log", metadata: ["partition": "\(tp)", "broker": "\(broker.id)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Publishes a durable image (`MetadataLog.markCommitted`) and tells every running broker;
    /// then releases the answers held for it. Caller holds the lock.
    func publishCommitted(_ pending: MetadataLog.PendingCommit) throws(BrokerError) {
        let before = metadataLog.image
        // After a failed fsync, a later one's success proves nothing (`MetadataLog.markFailed`).
        guard pending.offset > before.offset, metadataLog.failure == nil else { return }
        metadataLog.markCommitted(pending)
        let image = metadataLog.image
        let deleted = Set(before.topicNames.filter { name in before.topic(named: name).map { image.topic(id: $0.id) == nil } ?? false })
        // A topic deleted and created again under its name within one publication: its old
        // replicas must go rather than serve as the new topic's (`applyMetadata`).
        let replaced = Set(deleted.filter { image.topic(named: $0) != nil })
        // A deleted partition's high watermark must not pass to a topic re-created under its name.
        knownHighWatermarks.withLock { known in known = known.filter { image.partition($0.key) != nil && !replaced.contains($0.key.topic) } }
        if !deleted.isEmpty {
            for node in nodes.values { node.pruneFetchWakeups { image.partition($0) != nil && !replaced.contains($0.topic) } }
        }
        defer {
            let ready = awaitingCommit.prefix { $0.offset <= image.offset }
            deferred.append(contentsOf: ready.map(\.answer))
            awaitingCommit.removeFirst(ready.count)
        }
        // Only what changed, unless an earlier publication failed part-way.
        let only: Set<String>? = metadataFullApplyNeeded ? nil : MetadataImage.changedTopics(from: before, to: image).union(replaced)
        let scanLogs = only == nil || logsPrepared || before.topicNames != image.topicNames
        logsPrepared = false
        do throws(BrokerError) {
            try applyMetadata(replacing: replaced, only: only, scanLogs: scanLogs)
            metadataFullApplyNeeded = false
        } catch {
            metadataFullApplyNeeded = true
            throw error
        }
        if !deleted.isEmpty {
            // Nor may a group's committed offsets (Kafka's coordinator drops them too).
            for node in nodes.values.sorted(by: { $0.id < $1.id }) {
                carryOut(node.groups.coordinator.removeOffsets(ofTopics: deleted, now: clock.nowMs()), on: node)
            }
        }
    }
}
