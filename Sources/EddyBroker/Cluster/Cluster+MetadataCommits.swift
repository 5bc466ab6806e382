import EddyProtocol
import EddyStorage
import Foundation
import Synchronization

/// How metadata changes reach the brokers, as KRaft's do: the active controller writes records
/// to its replica of the metadata log under the cluster lock (`commit`, `MetadataQuorum.write`)
/// and decides from everything written (`ClusterMetadata.latestImage`); without the lock, the
/// quorum makes them durable and replicates them (`MetadataQuorum.sync`), and only what it
/// committed is applied to the brokers (`completeMetadataCommits`, `publishCommitted`). A
/// request that depends on metadata not yet committed is answered once it is applied
/// (`answerAfterCommit`), or fails once it never can be: its controller died, stepped down
/// (after check-quorum without a majority) or lost its disk first (NOT_CONTROLLER,
/// KAFKA_STORAGE_ERROR). Callers that wait themselves (`commitDurably`, `awaitMetadataApplied`)
/// get REQUEST_TIMED_OUT when a round cannot commit it.
///
/// Invariants: brokers apply only committed metadata; the published image only moves forward;
/// a held answer is released exactly once, after its write is applied (or failed).
extension Cluster {
    /// An answer held until a write is committed and applied (`answerAfterCommit`).
    struct HeldAnswer {
        var written: MetadataQuorum.Written
        var answer: @Sendable () -> Void
        /// Sent instead if the write is lost.
        var fail: @Sendable (BrokerError) -> Void
    }

    /// Writes records through the active controller (its `latestImage` has them at once), to
    /// reach the brokers once the quorum committed them: after the lock is released,
    /// `completeMetadataCommits` replicates them without the lock and then applies them.
    /// Caller holds the lock.
    /// - Throws: NOT_CONTROLLER without an active controller; the records' validation errors.
    func commit(_ records: [MetadataRecord]) throws(BrokerError) {
        guard !records.isEmpty else { return }
        try write(records)
    }

    /// `ClusterMetadata.write`; a write that stops the active controller (its disk failed)
    /// settles the answers held for earlier writes at once. Caller holds the lock.
    @discardableResult
    private func write(_ records: [MetadataRecord]) throws(BrokerError) -> MetadataQuorum.Written {
        do { return try metadata.write(records) } catch {
            settleHeldAnswers()
            throw error
        }
    }

    /// `commit`, committed and applied before returning, with the lock held throughout: for
    /// the broker lifecycle (start, stop, fencing and the elections they cause), whose next
    /// steps depend on the brokers having applied it. Caller holds the lock.
    /// - Throws: also REQUEST_TIMED_OUT when the quorum cannot commit it now (too few voters
    ///   run), and the error of a lost write.
    func commitDurably(_ records: [MetadataRecord]) throws(BrokerError) {
        guard !records.isEmpty else { return }
        let written = try write(records)
        metadata.quorum.sync(snapshotting: false)
        switch metadata.quorum.status(of: written) {
        case .committed: break
        case .pending: throw notCommitted()
        case let .lost(error):
            settleHeldAnswers()
            throw error
        }
        try publishCommitted(metadata.committedImage)
    }

    /// The error of a write the quorum could not commit now.
    func notCommitted() -> BrokerError {
        let running = metadata.quorum.runningVoters.count, voters = metadata.quorum.voters.count
        return .response(.requestTimedOut, "The controller quorum could not commit the metadata change: \(running) of \(voters) voters run and \(voters / 2 + 1) must.")
    }

    /// Queues `answer`, or, while metadata this cluster wrote is not yet applied, holds it
    /// until it is: an answer from the controller must not reveal a change a failover or a
    /// power cut could still undo (a topic, a producer id block), as KRaft's controller holds
    /// its answers until their records are committed. Caller holds the lock.
    func answerAfterCommit(_ answer: @escaping @Sendable () -> Void, failing fail: @escaping @Sendable (BrokerError) -> Void) {
        guard metadata.hasUnpublishedWrites, let written = metadata.lastWritten else { return deferred.append(answer) }
        awaitingCommit.append(HeldAnswer(written: written, answer: answer, fail: fail))
    }

    /// Whether `completeMetadataCommits` may have work. Caller holds the lock.
    var metadataCommitPending: Bool {
        !isShutDown && (metadata.hasUnpublishedWrites || !awaitingCommit.isEmpty || metadata.committedImage.offset > metadata.image.offset)
    }

    /// Makes the metadata written so far durable, replicated and applied to the brokers,
    /// without the lock held across it (appends, fetches and other metadata writes go on
    /// meanwhile). One round covers every batch written before it began. A caller that finds
    /// another thread at it returns at once: that thread looks again for batches written
    /// meanwhile once it is done, so nothing waits on a round it does not need. Rounds stop
    /// when one makes no progress (the quorum cannot commit now; `tick` tries again).
    /// Called without the lock (by `flushDeferred`).
    func completeMetadataCommits() {
        while lock.withLock({ metadataCommitPending }) {
            guard metadataSync.try() else { return }
            let progressed = syncAndPublishMetadata()
            metadataSync.unlock()
            if !progressed { return }
        }
    }

    /// Waits until `written` is applied, replicating it here if no other thread is (for
    /// callers that return only once their change took effect: the cluster's own admin calls).
    /// Called without the lock.
    /// - Throws: the lost write's error, or REQUEST_TIMED_OUT when the quorum cannot commit it.
    func awaitMetadataApplied(_ written: MetadataQuorum.Written) throws(BrokerError) {
        while true {
            if lock.withLock({ isShutDown }) { throw .brokerClosed }
            switch metadata.quorum.status(of: written) {
            case let .lost(error):
                // Others' writes that backed off while this thread had `metadataSync` go on.
                flushDeferred()
                throw error
            case .committed where lock.withLock({ metadata.image.offset >= written.offsets.upperBound }):
                flushDeferred()
                return
            default: break
            }
            metadataSync.lock()
            let progressed = syncAndPublishMetadata()
            metadataSync.unlock()
            if !progressed {
                if case .committed = metadata.quorum.status(of: written), lock.withLock({ metadata.image.offset >= written.offsets.upperBound }) { continue }
                flushDeferred()
                throw lock.withLock { notCommitted() }
            }
        }
    }

    /// One round of `completeMetadataCommits`: replicate what is written, then publish what
    /// the quorum committed and settle the held answers. Returns whether anything changed.
    /// Caller holds `metadataSync`, not the lock.
    @discardableResult
    func syncAndPublishMetadata() -> Bool {
        // Taken under `metadataSync`, before replicating: which then covers all of it.
        guard let latest = lock.withLock({ isShutDown ? nil : (metadata.hasUnpublishedWrites ? metadata.latestImage : metadata.image) }) else { return false }
        if latest.offset > lock.withLock({ metadata.image.offset }) { prepareLogs(for: latest) }
        // Snapshots are written after `metadataSync` is released (`flushDeferred`): a commit
        // must not wait for one.
        metadata.quorum.sync(snapshotting: false)
        return lock.withLock {
            guard !isShutDown else { return false }
            var progressed = false
            let committed = metadata.committedImage
            if committed.offset > metadata.image.offset {
                progressed = true
                do { try publishCommitted(committed) } catch {
                    logger.error("applying committed metadata failed", metadata: ["offset": "\(committed.offset)", "error": "\(error)"])
                }
            }
            return settleHeldAnswers() || progressed
        }
    }

    /// Releases the held answers whose writes are applied, and fails those whose writes are
    /// lost. Returns whether any was settled. Caller holds the lock.
    @discardableResult
    func settleHeldAnswers() -> Bool {
        forgetLostWrite()
        guard !awaitingCommit.isEmpty else { return false }
        var kept: [HeldAnswer] = []
        for held in awaitingCommit {
            switch metadata.quorum.status(of: held.written) {
            case .committed where metadata.image.offset >= held.written.offsets.upperBound: deferred.append(held.answer)
            case let .lost(error): deferred.append { held.fail(error) }
            default: kept.append(held)
            }
        }
        defer { awaitingCommit = kept }
        return kept.count < awaitingCommit.count
    }

    /// Forgets the newest write once it is lost: answers are no longer held for it.
    /// Caller holds the lock.
    func forgetLostWrite() {
        guard let written = metadata.lastWritten, case .lost = metadata.quorum.status(of: written) else { return }
        metadata.lastWritten = nil
    }

    /// Creates the logs that `pending` gives running brokers for topics new to them, before it
    /// is applied under the lock: creating the directories and files and fsyncing
    /// `partition.metadata` then happen without the lock, and `applyMetadata` finds the logs
    /// open. Only partitions with neither an open log nor a directory are prepared; anything
    /// else (a directory left by an older incarnation of the topic, say) is `applyMetadata`'s
    /// to judge. A log prepared for a topic that is deleted before it is applied is deleted by
    /// `applyMetadata` too. Called without the lock.
    func prepareLogs(for image: MetadataImage) {
        let (brokers, committed) = lock.withLock {
            // The next publication looks for prepared logs whose topic went meanwhile.
            logsPrepared = true
            return (nodes.values.sorted { $0.id < $1.id }, metadata.image)
        }
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

    /// Publishes a committed image (`ClusterMetadata.publish`) and tells every running broker;
    /// then releases the answers held for it. Caller holds the lock.
    func publishCommitted(_ committed: MetadataImage) throws(BrokerError) {
        let before = metadata.image
        guard committed.offset > before.offset else { return }
        metadata.publish(committed)
        let image = metadata.image
        let deleted = Set(before.topicNames.filter { name in before.topic(named: name).map { image.topic(id: $0.id) == nil } ?? false })
        // A topic deleted and created again under its name within one publication: its old
        // replicas must go rather than serve as the new topic's (`applyMetadata`).
        let replaced = Set(deleted.filter { image.topic(named: $0) != nil })
        // A deleted partition's high watermark must not pass to a topic re-created under its name.
        knownHighWatermarks.withLock { known in known = known.filter { image.partition($0.key) != nil && !replaced.contains($0.key.topic) } }
        if !deleted.isEmpty {
            for node in nodes.values { node.pruneFetchWakeups { image.partition($0) != nil && !replaced.contains($0.topic) } }
        }
        defer { settleHeldAnswers() }
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
