import EddyProtocol
import Foundation
import Synchronization
import Testing
@testable import EddyBroker
@testable import EddyStorage

/// Per-partition locking (as Kafka's `Partition`): an append that is writing, held up here as a
/// slow disk would hold it, keeps neither other partitions nor the rest of the cluster waiting.
/// With the cluster lock held across the write, everything below would wait for it.
@Suite struct PartitionLockTests {
    /// Runs `body` on a thread of its own; whether it finished within `seconds`.
    func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success
    }

    /// Holds every write to `log` as it starts (`beforeWrite`) until `release` is signalled;
    /// `started` is signalled as each one starts.
    func holdWrites(_ log: PartitionLog) -> (started: DispatchSemaphore, release: DispatchSemaphore) {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        log.beforeWrite = {
            started.signal()
            release.wait()
        }
        return (started, release)
    }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return true
    }

    @Test func anAppendInProgressHoldsUpNeitherOtherPartitionsNorTheCluster() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 6, replicationFactor: 3)
        s.pump()
        let busy = TopicPartition("t", 0)
        let leader = try s.cluster.leader(of: busy)
        // Another partition with the same leader: even the broker doing the write serves it.
        let other = try #require((1 ..< 6).map { TopicPartition("t", $0) }.first { (try? s.cluster.leader(of: $0)) == leader })
        let log = try #require(s.cluster.lock.withLock { s.cluster.nodes[leader]?.replicas[busy]?.log })
        let (writing, release) = holdWrites(log)
        defer { release.signal() }

        let cluster = s.cluster
        let slow = SentRequest()
        // Threads of their own: blocked Dispatch workers would starve the pool on 2 cores.
        Thread.detachNewThread {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: busy.partition, records: servedBatch(["slow"]), acks: 1)),
                                   to: leader, context: RequestContext(clientId: "slow")) { slow.set($0) }
        }
        #expect(writing.wait(timeout: .now() + 10) == .success, "the append never started writing")

        // While that append writes: a produce and a fetch on another partition of the same
        // leader, Metadata, a replication round and the timers all complete.
        let produced = SentRequest(), fetched = SentRequest(), metadata = SentRequest()
        let served = finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: other.partition, records: servedBatch(["fast"]), acks: 1)),
                                   to: leader, context: RequestContext(clientId: "fast")) { produced.set($0) }
            _ = cluster.replicationRound(only: [other])
            _ = cluster.replicationRound(only: [other])
            cluster.transport.send(.fetch(FetchRequest(topic: "t", partition: other.partition, fetchOffset: 0, maxWaitMs: 0, minBytes: 0)),
                                   to: leader, context: RequestContext(clientId: "reader")) { fetched.set($0) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["t"])), to: leader, context: RequestContext(clientId: "meta")) {
                metadata.set($0)
            }
            cluster.tick()
        }
        #expect(served, "requests for other partitions waited for an append in progress")
        #expect(!slow.isAnswered)
        guard case let .produce(p)? = produced.response else { throw TestFailure("no produce answer") }
        #expect(p.partition(topic: "t", partition: other.partition)?.errorCode == ErrorCode.none)
        #expect(p.partition(topic: "t", partition: other.partition)?.baseOffset == 0)
        guard case let .fetch(f)? = fetched.response else { throw TestFailure("no fetch answer") }
        let records = try MemoryRecords.records(in: f.partition(topic: "t", partition: other.partition)?.records ?? [])
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["fast"])
        guard case .metadata? = metadata.response else { throw TestFailure("no metadata answer") }

        // The write finishes: its produce is answered, and acknowledged at offset 0.
        release.signal()
        #expect(waitUntil(10) { slow.isAnswered })
        guard case let .produce(sp)? = slow.response else { throw TestFailure("no answer to the slow produce") }
        #expect(sp.partition(topic: "t", partition: busy.partition)?.errorCode == ErrorCode.none)
        #expect(sp.partition(topic: "t", partition: busy.partition)?.baseOffset == 0)
    }

    @Test func aGroupCoordinatorWriteInProgressHoldsUpNeitherOtherPartitionsNorTheCluster() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let coordinator = try s.coordinator(of: "g")
        s.pump()
        let offsets = try #require(s.cluster.lock.withLock { () -> PartitionLog? in
            guard let broker = s.cluster.nodes[coordinator] else { return nil }
            return broker.replicas[TopicPartition(OffsetsTopic.name, broker.groups.partition(of: "g"))]?.log
        })
        let (writing, release) = holdWrites(offsets)
        defer { release.signal() }
        let cluster = s.cluster
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        let commit = SentRequest()
        Thread.detachNewThread {
            cluster.transport.send(.offsetCommit(OffsetCommitRequest(groupId: "g", topic: "t", partition: 0, offset: 7)), to: coordinator,
                                   context: RequestContext(clientId: "committer")) { commit.set($0) }
        }
        #expect(writing.wait(timeout: .now() + 10) == .success, "the offset commit never started writing")

        // While the coordinator's record is being written: a produce elsewhere, Metadata, and
        // another group's heartbeat on the same coordinator are served.
        let produced = SentRequest(), metadata = SentRequest(), heartbeat = SentRequest()
        let served = finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["x"]), acks: 1)),
                                   to: leader, context: RequestContext()) { produced.set($0) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["t"])), to: coordinator, context: RequestContext()) { metadata.set($0) }
            cluster.transport.send(.heartbeat(HeartbeatRequest(groupId: "other", generationId: 1, memberId: "m")), to: coordinator,
                                   context: RequestContext()) { heartbeat.set($0) }
        }
        #expect(served, "requests waited for a group coordinator's write in progress")
        #expect(produced.isAnswered && metadata.isAnswered && heartbeat.isAnswered)
        #expect(!commit.isAnswered)

        release.signal()
        #expect(waitUntil(10) {
            s.pump()
            return commit.isAnswered
        })
        guard case let .offsetCommit(r)? = commit.response else { throw TestFailure("no OffsetCommit answer") }
        #expect(r.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        #expect(try s.committed("g", TopicPartition("t", 0), at: coordinator)?.committedOffset == 7)
    }

    @Test func aDeleteRecordsInProgressHoldsUpNeitherOtherPartitionsNorTheCluster() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 2, replicationFactor: 3)
        let busy = TopicPartition("t", 0), other = TopicPartition("t", 1)
        let leader = try s.cluster.leader(of: busy), otherLeader = try s.cluster.leader(of: other)
        for _ in 0 ..< 3 { _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a", "b"]), acks: -1)), to: leader) }
        s.pump()
        let log = try #require(s.cluster.lock.withLock { s.cluster.nodes[leader]?.replicas[busy]?.log })
        let (deleting, release) = holdWrites(log)
        defer { release.signal() }
        let cluster = s.cluster
        let deleted = SentRequest()
        Thread.detachNewThread {
            cluster.transport.send(.deleteRecords(DeleteRecordsRequest(topic: "t", partition: 0, offset: 4)), to: leader,
                                   context: RequestContext(clientId: "deleter")) { deleted.set($0) }
        }
        #expect(deleting.wait(timeout: .now() + 10) == .success, "the deletion never started")

        // While it deletes (as when it waits for the log cleaner to pause): a produce to another
        // partition, Metadata and the timers complete.
        let produced = SentRequest(), metadata = SentRequest()
        let served = finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: 1, records: servedBatch(["x"]), acks: 1)),
                                   to: otherLeader, context: RequestContext()) { produced.set($0) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["t"])), to: leader, context: RequestContext()) { metadata.set($0) }
            cluster.tick()
        }
        if !served { release.signal() }
        #expect(served, "requests waited for a DeleteRecords in progress")
        #expect(produced.isAnswered && metadata.isAnswered)
        #expect(!deleted.isAnswered)

        release.signal()
        #expect(waitUntil(10) { deleted.isAnswered })
        guard case let .deleteRecords(r)? = deleted.response else { throw TestFailure("no DeleteRecords answer") }
        #expect(r.topics.first?.partitions.first?.errorCode == ErrorCode.none)
        #expect(r.topics.first?.partitions.first?.lowWatermark == 4)
        #expect(log.logStartOffset == 4)
    }

    @Test func aDeleteRecordsForAnOldRoleIsRefused() throws {
        let s = try ServedCluster(); defer { s.close() }
        let (tp, leader) = try s.topicWithRecords(["a", "b"])
        // Checked as leader, then the role changes before the deletion runs: it must not land.
        let replica = try #require(s.cluster.lock.withLock { s.cluster.nodes[leader]?.replicas[tp] })
        let epoch = s.cluster.lock.withLock { replica.leaderEpoch }
        s.cluster.lock.withLock { replica.setWriter(.follower(leaderId: (leader + 1) % 3, epoch: epoch + 1)) }
        #expect(replica.whileWriter(.leader(epoch: epoch)) { true } == nil)
        let answer = try s.call(.deleteRecords(DeleteRecordsRequest(topic: "t", partition: 0, offset: 1)), to: leader)
        guard case let .deleteRecords(r) = answer else { throw TestFailure("no DeleteRecords answer") }
        #expect(r.topics.first?.partitions.first?.errorCode == .notLeaderOrFollower)
        #expect(replica.log.logStartOffset == 0)
    }

    @Test func deleteRecordsRefusesInternalAndCompactOnlyTopicsAsKafkaDoes() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("keys", partitions: 1, replicationFactor: 3, configs: ["cleanup.policy": "compact"])
        let coordinator = try s.coordinator(of: "g")
        _ = try s.call(.offsetCommit(OffsetCommitRequest(groupId: "g", topic: "keys", partition: 0, offset: 0)), to: coordinator)
        s.pump()
        let keys = try s.cluster.leader(of: TopicPartition("keys", 0))
        func errorCode(_ topic: String, _ partition: Int32, at node: Int32) throws -> ErrorCode? {
            guard case let .deleteRecords(r) = try s.call(.deleteRecords(DeleteRecordsRequest(topic: topic, partition: partition, offset: -1)), to: node)
            else { throw TestFailure("no DeleteRecords answer") }
            return r.topics.first?.partitions.first?.errorCode
        }
        #expect(try errorCode("keys", 0, at: keys) == .policyViolation)
        let offsets = try #require(s.cluster.lock.withLock { s.cluster.nodes[coordinator].map { $0.groups.partition(of: "g") } })
        #expect(try errorCode(OffsetsTopic.name, offsets, at: coordinator) == .invalidTopicException)
        // Nothing was deleted: the committed offset is still there.
        #expect(try s.committed("g", TopicPartition("keys", 0), at: coordinator)?.committedOffset == 0)
    }

    /// Group "g" with offset 7 committed for t-0 at its coordinator, and a hook on the other
    /// replicas of the group's `__consumer_offsets` partition (whichever becomes its leader reads
    /// it) that holds the first read `holds` picks until `release` is signalled; `reading` is
    /// signalled when it starts. Returns the coordinator and the partition.
    func holdCoordinatorRead(_ s: ServedCluster, reading: DispatchSemaphore, release: DispatchSemaphore,
                             holds: @escaping @Sendable () -> Bool = { true }) throws -> (old: Int32, tp: TopicPartition) {
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let old = try s.coordinator(of: "g")
        _ = try s.call(.offsetCommit(OffsetCommitRequest(groupId: "g", topic: "t", partition: 0, offset: 7)), to: old)
        s.pump()
        let tp = try #require(s.cluster.lock.withLock { s.cluster.nodes[old].map { TopicPartition(OffsetsTopic.name, $0.groups.partition(of: "g")) } })
        let logs = s.cluster.lock.withLock { s.cluster.nodes.values.filter { $0.id != old }.compactMap { $0.replicas[tp]?.log } }
        #expect(logs.count == 2)
        let blocked = Mutex(false)
        for log in logs {
            log.beforeRead = {
                guard holds(), blocked.withLock({ b in defer { b = true }; return !b }) else { return }
                reading.signal()
                release.wait()
            }
        }
        return (old, tp)
    }

    @Test func aLiveClustersCoordinatorReadsOnItsOwnQueue() throws {
        let s = try ServedCluster(); defer { s.close() }
        let reading = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        // Only the load waits (on the loader's queue); the followers' fetches pass.
        let (old, tp) = try holdCoordinatorRead(s, reading: reading, release: release) {
            DispatchQueue.getSpecific(key: Cluster.coordinatorLoaderKey) == true
        }
        defer { release.signal() }
        let driver = ClusterDriver(cluster: s.cluster, tickIntervalMs: 20)
        driver.start()
        defer { driver.stop() }
        // The broker stops and another takes over the partition: the stop returns while the new
        // coordinator's read is held, and so does whichever thread flushed the read's start.
        let cluster = s.cluster
        let returned = finishes(within: 10) { try? cluster.stopBroker(old) }
        if !returned { release.signal() }
        #expect(returned, "the stop waited for the coordinator's read")
        #expect(reading.wait(timeout: .now() + 10) == .success, "no new coordinator started reading the partition")
        // The driver keeps running the timers meanwhile: a consumer's fetch waiting on "t" is
        // answered when its fetch.max.wait.ms passes.
        let leader = try #require(s.cluster.lock.withLock { s.cluster.metadata.image.partition(TopicPartition("t", 0))?.leader })
        let waiting = SentRequest()
        Thread.detachNewThread {
            cluster.transport.send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 500, minBytes: 1)), to: leader,
                                   context: RequestContext()) { waiting.set($0) }
        }
        #expect(waitUntil(10) {
            s.clock.advance(ms: 100)
            return waiting.isAnswered
        }, "the timers stopped while the coordinator read its partition")
        let new = try #require(s.cluster.lock.withLock { s.cluster.metadata.image.partition(tp)?.leader })
        release.signal()
        #expect(waitUntil(10) { s.cluster.lock.withLock { s.cluster.nodes[new]?.groups.partitions[tp.partition] } == .loaded })
        #expect(try s.committed("g", TopicPartition("t", 0), at: new)?.committedOffset == 7)
    }

    @Test func aNewCoordinatorReadsItsPartitionWithoutTheClusterLock() throws {
        let s = try ServedCluster(); defer { s.close() }
        let reading = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let (old, tp) = try holdCoordinatorRead(s, reading: reading, release: release)
        defer { release.signal() }
        let cluster = s.cluster
        Thread.detachNewThread { try? cluster.stopBroker(old) }
        #expect(reading.wait(timeout: .now() + 10) == .success, "no new coordinator started reading the partition")

        // While it reads: Metadata, a produce and the timers are served, and the group answers
        // COORDINATOR_LOAD_IN_PROGRESS (clients retry), not stale offsets. (On a thread of its
        // own: a read under the cluster lock would hold this one up for good.)
        let metadata = SentRequest(), produced = SentRequest(), fetched = SentRequest()
        let state = Mutex<(leader: Int32, new: Int32, load: BrokerGroupCoordinator.LoadState?)?>(nil)
        let served = PartitionLockTests().finishes(within: 10) {
            let (leader, new, load) = cluster.lock.withLock { () -> (Int32, Int32, BrokerGroupCoordinator.LoadState?) in
                let new = cluster.metadata.image.partition(tp)?.leader ?? -1
                return (cluster.metadata.image.partition(TopicPartition("t", 0))?.leader ?? -1, new, cluster.nodes[new]?.groups.partitions[tp.partition])
            }
            state.withLock { $0 = (leader, new, load) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["t"])), to: new, context: RequestContext()) { metadata.set($0) }
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["x"]), acks: 1)),
                                   to: leader, context: RequestContext()) { produced.set($0) }
            cluster.transport.send(.offsetFetch(OffsetFetchRequest(groupId: "g", topic: "t", partition: 0)), to: new,
                                   context: RequestContext()) { fetched.set($0) }
            cluster.tick()
        }
        if !served { release.signal() }
        #expect(served, "requests waited for a coordinator reading its partition")
        let seen = try #require(state.withLock { $0 })
        let new = seen.new
        #expect(seen.load == .reading(lastError: nil))
        #expect(metadata.isAnswered && produced.isAnswered)
        guard case let .offsetFetch(during)? = fetched.response else { throw TestFailure("no OffsetFetch answer") }
        #expect(during.errorCode == .coordinatorLoadInProgress)

        // The read finishes: the group's offsets are served from what it read.
        release.signal()
        #expect(PartitionLockTests().waitUntil(10) {
            s.cluster.lock.withLock { s.cluster.nodes[new]?.groups.partitions[tp.partition] } == .loaded
        })
        #expect(try s.committed("g", TopicPartition("t", 0), at: new)?.committedOffset == 7)
    }

    @Test func metadataThatLeavesAFollowersRoleAloneDoesNotWaitForItsWrite() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let tp = TopicPartition("t", 0)
        let leader = try s.cluster.leader(of: tp)
        let follower = try #require([Int32(0), 1, 2].first { $0 != leader })
        let log = try #require(s.cluster.lock.withLock { s.cluster.nodes[follower]?.replicas[tp]?.log })
        let (writing, release) = holdWrites(log)
        defer { release.signal() }
        _ = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a"]), acks: 1)), to: leader)
        let cluster = s.cluster
        Thread.detachNewThread { _ = cluster.replicationRound(only: [tp]) }
        #expect(writing.wait(timeout: .now() + 10) == .success, "the follower never started writing")

        // The follower is copying the record (holding its writer lock). A metadata change that
        // leaves its role alone (another topic) is applied without waiting for that write.
        let created = finishes(within: 10) { _ = try? cluster.createTopic("other", partitions: 1, replicationFactor: 3) }
        #expect(created, "a metadata change waited for an unrelated follower write")
        release.signal()
        #expect(waitUntil(10) { s.cluster.replicaOffsets(tp)[follower]?.logEndOffset == 1 })
    }

    @Test func aWriteForAnOldRoleDoesNotLandAfterTheRoleChanged() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let tp = TopicPartition("t", 0)
        let leader = try s.cluster.leader(of: tp)
        let replica = try #require(s.cluster.lock.withLock { s.cluster.nodes[leader]?.replicas[tp] })
        let epoch = replica.leaderEpoch
        #expect(replica.writer == .leader(epoch: epoch))
        var ran = false
        #expect(replica.whileWriter(.leader(epoch: epoch)) { ran = true } != nil)
        #expect(ran)
        // A handler that checked leadership in the old epoch finds the role changed: its append is
        // refused (NOT_LEADER_OR_FOLLOWER), not written into a log that now follows another leader.
        s.cluster.lock.withLock { replica.setWriter(.follower(leaderId: 9, epoch: epoch + 1)) }
        ran = false
        #expect(replica.whileWriter(.leader(epoch: epoch)) { ran = true } == nil)
        #expect(!ran)
    }
}

/// A metadata change is fsynced without the cluster lock, and reaches the brokers (and its
/// requester) only once durable.
@Suite struct MetadataCommitLockTests {
    /// Holds every fsync of the metadata log as it starts until `release` is signalled;
    /// `started` is signalled as each one starts.
    func holdMetadataSyncs(_ cluster: Cluster) -> (started: DispatchSemaphore, release: DispatchSemaphore) {
        let started = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        cluster.metadata.leaderLog?.log.beforeSync = {
            started.signal()
            release.wait()
        }
        return (started, release)
    }

    /// The metadata log's fsyncs, held until `letGo` (idempotent).
    final class HeldSyncs {
        let cluster: Cluster, release: DispatchSemaphore
        private var done = false
        init(_ cluster: Cluster, _ release: DispatchSemaphore) { (self.cluster, self.release) = (cluster, release) }
        func letGo() {
            guard !done else { return }
            done = true
            cluster.metadata.leaderLog?.log.beforeSync = nil
            release.signal()
        }
    }

    /// Topic "t" (one partition, 3 replicas) on `s`, then a CreateTopics for `name` sent to its
    /// leader, held in the metadata log's fsync.
    func creatingWithSyncHeld(_ s: ServedCluster, _ name: String, partitions: Int32) throws -> (leader: Int32, created: SentRequest, held: HeldSyncs) {
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        let (syncing, release) = holdMetadataSyncs(s.cluster)
        let held = HeldSyncs(s.cluster, release)
        let created = createInBackground(s.cluster, name, partitions: partitions, via: leader)
        guard syncing.wait(timeout: .now() + 10) == .success else {
            held.letGo()
            throw TestFailure("the topic's creation never fsynced the metadata log")
        }
        return (leader, created, held)
    }

    /// Sends CreateTopics from a thread of its own (it may be held mid-way).
    func createInBackground(_ cluster: Cluster, _ name: String, partitions: Int32, via broker: Int32) -> SentRequest {
        let created = SentRequest()
        Thread.detachNewThread {
            cluster.transport.send(.createTopics(CreateTopicsRequest(topics: [.init(name: name, numPartitions: partitions, replicationFactor: 3)])),
                                   to: broker, context: RequestContext(clientId: "admin")) { created.set($0) }
        }
        return created
    }

    @Test func aTopicDeletedAndCreatedAgainInOnePublicationStartsEmpty() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        let (tp, _) = try s.topicWithRecords(["old-1", "old-2", "old-3"])
        let oldId = try #require(cluster.metadataImage.topic(named: tp.topic)?.id)
        // Both written before either is applied: one publication carries both.
        try cluster.lock.withLock {
            try cluster.commit(cluster.controller.deleteTopic(name: tp.topic, image: cluster.metadata.latestImage))
            let (id, start) = cluster.drawTopicIdAndAssignmentStart()
            try cluster.commit(cluster.controller.createTopic(name: tp.topic, partitions: 1, replicationFactor: 3, configs: [:], topicId: id,
                                                              image: cluster.metadata.latestImage, assignmentStart: start).records)
        }
        cluster.flushDeferred()
        let newId = try #require(cluster.metadataImage.topic(named: tp.topic)?.id)
        #expect(newId != oldId)
        let logs = cluster.lock.withLock { cluster.nodes.values.compactMap { $0.replicas[tp]?.log } }
        #expect(logs.count == 3)
        for log in logs {
            #expect(log.logEndOffset == 0, "the new topic serves the old one's records")
            #expect(log.highWatermark == 0)
            #expect(PartitionMetadataFile.read(directory: log.directory) == newId)
        }
        #expect(cluster.replicaOffsets(tp).values.allSatisfy { $0.highWatermark == 0 })
    }

    @Test func aFailedMetadataFsyncFailsTheAnswersWaitingForIt() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let cluster = s.cluster
        let leader = try cluster.leader(of: TopicPartition("t", 0))
        cluster.metadata.leaderLog?.failSync = { .storage(.io(operation: "fsync", path: "__cluster_metadata-0", errno: EIO)) }
        let created = SentRequest()
        cluster.transport.send(.createTopics(CreateTopicsRequest(topics: [.init(name: "u", numPartitions: 1, replicationFactor: 3)])),
                               to: leader, context: RequestContext(clientId: "admin")) { created.set($0) }
        #expect(PartitionLockTests().waitUntil(10) {
            cluster.tick()
            return created.isAnswered
        }, "the CreateTopics waiting for the failed fsync was never answered")
        guard case let .createTopics(c)? = created.response else { throw TestFailure("no CreateTopics answer") }
        #expect(c.topics.map(\.errorCode) == [.kafkaStorageError])
        #expect(cluster.metadataImage.topic(named: "u") == nil)
        // Later changes are refused at once; the data path goes on.
        let again = try s.call(.createTopics(CreateTopicsRequest(topics: [.init(name: "v", numPartitions: 1, replicationFactor: 3)])), to: leader)
        guard case let .createTopics(v) = again else { throw TestFailure("not CreateTopics") }
        #expect(v.topics.first?.errorCode != ErrorCode.none)
        guard case let .produce(p) = try s.call(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["x"]), acks: 1)), to: leader) else {
            throw TestFailure("not Produce")
        }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        #expect(throws: BrokerError.self) { try cluster.createTopic("w", partitions: 1) }
    }

    @Test func aFailedMetadataWriteFailsTheAnswersHeldForEarlierWritesAndNothingIsPublished() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        let (_, created, held) = try creatingWithSyncHeld(s, "u", partitions: 1)
        defer { held.letGo() }
        // The next write fails: "u" can no longer be made durable, and its creator is told.
        cluster.metadata.leaderLog?.failWrite = { .io(operation: "write", path: "__cluster_metadata-0", errno: EIO) }
        #expect(throws: BrokerError.self) { try cluster.createTopic("v", partitions: 1) }
        #expect(PartitionLockTests().waitUntil(10) { created.isAnswered }, "the held CreateTopics was never answered")
        guard case let .createTopics(c)? = created.response else { throw TestFailure("no CreateTopics answer") }
        #expect(c.topics.map(\.errorCode) == [.kafkaStorageError])
        // The fsync in progress then succeeds, but what it covers is never applied.
        held.letGo()
        // The thread that was fsyncing holds `metadataSync` until it has published, or not.
        cluster.metadataSync.lock()
        cluster.metadataSync.unlock()
        #expect(cluster.metadataImage.topic(named: "u") == nil)
        #expect(cluster.lock.withLock { cluster.nodes.values.allSatisfy { $0.replicas[TopicPartition("u", 0)] == nil } })
    }

    @Test func aKillWhoseFencingCannotBeWrittenStillStopsTheBroker() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let cluster = s.cluster
        let victim: Int32 = 1
        let log = try #require(cluster.lock.withLock { cluster.nodes[victim]?.replicas[TopicPartition("t", 0)]?.log })
        cluster.metadata.leaderLog?.failSync = { .storage(.io(operation: "fsync", path: "__cluster_metadata-0", errno: EIO)) }
        #expect(throws: BrokerError.self) { try cluster.killBroker(victim, fenceNow: true) }
        // Its logs lost their unflushed data and are closed, and it is not left half-stopped.
        #expect(throws: StorageError.self) { _ = try log.append(servedBatch(["after"]), leaderEpoch: 0) }
        #expect(cluster.lock.withLock { cluster.stoppingBrokers.isEmpty && cluster.nodes[victim] == nil })
    }

    @Test func aPreparedLogDoesNotOverwriteTheTopicIdAlreadyRecorded() throws {
        let dir = TempDirectory("pmeta")
        defer { dir.cleanup() }
        let newer = Uuid(mostSignificantBits: 2, leastSignificantBits: 2), older = Uuid(mostSignificantBits: 1, leastSignificantBits: 1)
        try PartitionMetadataFile.write(directory: dir.path, topicId: newer)
        try PartitionMetadataFile.write(directory: dir.path, topicId: older, ifAbsent: true)
        #expect(PartitionMetadataFile.read(directory: dir.path) == newer)
        try PartitionMetadataFile.write(directory: dir.path, topicId: older)
        #expect(PartitionMetadataFile.read(directory: dir.path) == older)
    }

    @Test func logsPreparedForATopicDeletedBeforeItWasAppliedAreDeleted() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        // The creation is written and its logs prepared, as `completeMetadataCommits` does...
        let pending = try cluster.lock.withLock { () throws -> MetadataImage in
            let (id, start) = cluster.drawTopicIdAndAssignmentStart()
            try cluster.commit(cluster.controller.createTopic(name: "x", partitions: 2, replicationFactor: 3, configs: [:], topicId: id,
                                                              image: cluster.metadata.latestImage, assignmentStart: start).records)
            return cluster.metadata.latestImage
        }
        cluster.prepareLogs(for: pending)
        let brokers = cluster.lock.withLock { Array(cluster.nodes.values) }
        #expect(brokers.allSatisfy { $0.logManager.log(for: TopicPartition("x", 0)) != nil })
        // ...but the topic is deleted before any of it is applied.
        try cluster.lock.withLock { try cluster.commit(cluster.controller.deleteTopic(name: "x", image: cluster.metadata.latestImage)) }
        cluster.flushDeferred()
        #expect(cluster.metadataImage.topic(named: "x") == nil)
        for broker in brokers {
            #expect(broker.logManager.log(for: TopicPartition("x", 0)) == nil)
            broker.logManager.awaitDeletions()
            #expect(try broker.logManager.partitionsOnDisk().filter { $0.topic == "x" }.isEmpty)
        }
    }

    @Test func aStoppingBrokerClosesItsLogsWithoutTheLock() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 3, replicationFactor: 3)
        s.pump()
        let cluster = s.cluster
        let stopping: Int32 = 2
        // Looked up first: this thread must not wait for the lock while a held stop may have it.
        let leaders = try (0 ..< 3).map { try s.cluster.leader(of: TopicPartition("t", Int32($0))) }
        let served = Int32(try #require(leaders.firstIndex { $0 != stopping }))
        let leader = leaders[Int(served)]
        let log = try #require(cluster.lock.withLock { cluster.nodes[stopping]?.replicas[TopicPartition("t", 0)]?.log })
        let closing = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        log.beforeSync = {
            closing.signal()
            release.wait()
        }
        var released = false
        defer {
            if !released {
                log.beforeSync = nil
                release.signal()
            }
        }
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? cluster.stopBroker(stopping)
            stopped.signal()
        }
        #expect(closing.wait(timeout: .now() + 10) == .success, "the stopped broker never closed its log")
        // While its logs close: the others serve, and the broker cannot start again yet.
        let produced = SentRequest()
        let finished = PartitionLockTests().finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: served, records: servedBatch(["during"]), acks: 1)),
                                   to: leader, context: RequestContext(clientId: "p")) { produced.set($0) }
            cluster.tick()
        }
        #expect(finished, "requests waited for a stopping broker's logs")
        guard finished else {
            // Let the stop finish before the cluster is closed.
            release.signal()
            released = true
            return
        }
        guard case let .produce(p)? = produced.response else { throw TestFailure("no produce answer") }
        #expect(p.partition(topic: "t", partition: served)?.errorCode == ErrorCode.none)
        #expect(stopped.wait(timeout: .now()) == .timedOut)
        #expect(throws: BrokerError.self) { try cluster.startBroker(stopping) }
        log.beforeSync = nil
        release.signal()
        released = true
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        try cluster.startBroker(stopping)
        #expect(cluster.runningBrokers.contains(stopping))
    }

    @Test func aMetadataSnapshotIsWrittenWithoutTheLock() throws {
        let s = try ServedCluster { $0.metadata.maxRecordsBetweenSnapshots = 5 }
        defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        s.pump()
        let leader = try s.cluster.leader(of: TopicPartition("t", 0))
        let cluster = s.cluster
        let writing = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        cluster.metadata.leaderLog?.beforeWritingSnapshot = {
            writing.signal()
            release.wait()
        }
        var released = false
        defer {
            if !released {
                cluster.metadata.leaderLog?.beforeWritingSnapshot = nil
                release.signal()
            }
        }
        let created = createInBackground(cluster, "u", partitions: 8, via: leader)
        #expect(writing.wait(timeout: .now() + 10) == .success, "no snapshot was written")
        let produced = SentRequest(), other = SentRequest()
        let served = PartitionLockTests().finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["during"]), acks: 1)),
                                   to: leader, context: RequestContext(clientId: "p")) { produced.set($0) }
            cluster.transport.send(.createTopics(CreateTopicsRequest(topics: [.init(name: "v", numPartitions: 1, replicationFactor: 3)])),
                                   to: leader, context: RequestContext(clientId: "admin2")) { other.set($0) }
            cluster.tick()
        }
        #expect(served, "requests waited for a metadata snapshot")
        guard case let .produce(p)? = produced.response else { throw TestFailure("no produce answer") }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        // The snapshot is of the committed image that included "u"; "v" committed meanwhile.
        guard case let .createTopics(v)? = other.response else { throw TestFailure("no answer for v") }
        #expect(v.topics.map(\.errorCode) == [ErrorCode.none])
        #expect(cluster.metadataImage.topic(named: "v") != nil)
        cluster.metadata.leaderLog?.beforeWritingSnapshot = nil
        release.signal()
        released = true
        #expect(PartitionLockTests().waitUntil(10) { cluster.lock.withLock { cluster.metadata.leaderLog?.latestSnapshot != nil } })
        let snapshotEnd = try #require(cluster.lock.withLock { cluster.metadata.leaderLog?.latestSnapshot?.endOffset })
        #expect(snapshotEnd <= cluster.metadataImage.offset)
        #expect(created.isAnswered)
    }

    /// A high watermark that a leader state's event advances is in the log before the replica's
    /// `stateLock` is released: another thread that answers an acks=all produce from the leader
    /// state (which it reads under that lock) can then never answer before a consumer, a
    /// ListOffsets or an election sees the records as committed. (Published after the lock, a
    /// read_committed ListOffsets right after a transaction's commit once saw the old offset.)
    @Test func aLeaderEventPublishesItsHighWatermarkBeforeReleasingTheState() throws {
        let dir = TempDirectory("replica"); defer { dir.cleanup() }
        let tp = TopicPartition("t", 0)
        let log = try PartitionLog(directory: dir.path, topicPartition: tp, config: LogConfig(), clock: ManualClock())
        defer { log.closeWithoutFlush() }
        _ = try log.append(servedBatch(["a", "b"]), leaderEpoch: 0)
        let replica = Replica(topicPartition: tp, log: log, role: .offline, leaderEpoch: -1, partitionEpoch: -1)
        replica.becomeLeader(PartitionLeaderState(leaderId: 0, leaderEpoch: 0, partitionEpoch: 0, replicas: [0, 1], isr: [0, 1],
                                                  logEndOffset: 2, highWatermark: 0, leaderEpochStartOffset: 0, now: 0),
                             epoch: 0, partitionEpoch: 0)
        #expect(log.highWatermark == 0)
        let actions = replica.leaderEvent { $0.onFollowerFetch(replicaId: 1, fetchOffset: 2, leaderLogEndOffset: 2, now: 0) }
        #expect(actions == [.highWatermarkAdvanced(2)])
        #expect(log.highWatermark == 2)
        // Answered from the state (as `checkProduceStatus` does) only once that holds.
        #expect(replica.withLeaderState { $0.acksAllOutcome(requiredOffset: 2, minInsyncReplicas: 2) } == .complete(.none))
        // Not leading in another epoch: nothing runs, nothing is published.
        #expect(replica.leaderEvent(epoch: 1) { _ in [.highWatermarkAdvanced(5)] } == nil)
        // Retired (its broker stops): no event runs after, so the high watermark its broker
        // remembers at the stop is the last one it acknowledged anything by.
        _ = try log.append(servedBatch(["c"]), leaderEpoch: 0)
        replica.retire()
        #expect(replica.leaderEvent { $0.onFollowerFetch(replicaId: 1, fetchOffset: 3, leaderLogEndOffset: 3, now: 0) } == nil)
        #expect(replica.leaderState == nil && !replica.isLeader)
        #expect(log.highWatermark == 2)
    }

    /// Produce and Fetch take no cluster lock (issue 9 §1): with it held by another thread for
    /// the whole test, an acks=all produce on a partition with three replicas is appended, its
    /// followers fetch it and report their positions, the high watermark advances, and the
    /// produce and a consumer fetch waiting for the records are answered; so is a Metadata-free
    /// acks=1 produce and a plain consumer read. Only the partitions' and brokers' own locks
    /// were taken.
    @Test func produceAndFetchServeWhileTheClusterLockIsHeld() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        s.pump()
        let tp = TopicPartition("t", 0)
        let cluster = s.cluster
        let registration = try #require(cluster.metadataImage.partition(tp))
        let leader = registration.leader, epoch = registration.leaderEpoch
        let followers = try registration.replicas.filter { $0 != leader }.map { id in
            (id, try #require(cluster.lock.withLock { cluster.nodes[id]?.incarnation }))
        }
        /// A follower's fetch, as its replica fetcher sends it, from `offset`.
        @Sendable func followerFetch(_ id: Int32, _ incarnation: Int64, from offset: Int64) -> KafkaRequest {
            .fetch(FetchRequest(replicaId: id, replicaEpoch: incarnation, maxWaitMs: 0, minBytes: 0, topics: [
                .init(topic: "t", partitions: [.init(partition: 0, currentLeaderEpoch: epoch, fetchOffset: offset,
                                                     lastFetchedEpoch: offset == 0 ? -1 : epoch, logStartOffset: 0, partitionMaxBytes: 1 << 20)]),
            ]))
        }
        @Sendable func send(_ request: KafkaRequest, _ into: SentRequest) {
            cluster.transport.send(request, to: leader, context: RequestContext(clientId: "c")) { into.set($0) }
        }

        cluster.lock.lock()
        var locked = true
        defer { if locked { cluster.lock.unlock() } }
        let waiting = SentRequest(), produced = SentRequest(), copied = SentRequest(), oneAck = SentRequest(), read = SentRequest()
        let served = PartitionLockTests().finishes(within: 10) {
            send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 60_000, minBytes: 1)), waiting)
            send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["a", "b", "c"]), acks: -1)), produced)
            // Each follower copies the records, then reports that it holds them.
            for (id, incarnation) in followers {
                send(followerFetch(id, incarnation, from: 0), copied)
                send(followerFetch(id, incarnation, from: 3), SentRequest())
            }
            send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["d"]), acks: 1)), oneAck)
            send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 0, minBytes: 0)), read)
        }
        #expect(served, "a produce or fetch waited for the cluster lock")
        guard case let .produce(p)? = produced.response else { throw TestFailure("the acks=all produce was not answered") }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        #expect(p.partition(topic: "t", partition: 0)?.baseOffset == 0)
        guard case let .fetch(c)? = copied.response else { throw TestFailure("no follower fetch answer") }
        #expect(try MemoryRecords.records(in: c.partition(topic: "t", partition: 0)?.records ?? []).count == 3)
        guard case let .fetch(w)? = waiting.response else { throw TestFailure("the waiting consumer fetch was not answered") }
        #expect(try MemoryRecords.records(in: w.partition(topic: "t", partition: 0)?.records ?? []).map { $0.value.map { String(decoding: $0, as: UTF8.self) } } == ["a", "b", "c"])
        guard case let .produce(o)? = oneAck.response else { throw TestFailure("the acks=1 produce was not answered") }
        #expect(o.partition(topic: "t", partition: 0)?.baseOffset == 3)
        guard case let .fetch(r)? = read.response else { throw TestFailure("the consumer read was not answered") }
        #expect(r.partition(topic: "t", partition: 0)?.highWatermark == 3)
        locked = false
        cluster.lock.unlock()
    }

    @Test func aMetadataFsyncHoldsUpNeitherProduceNorFetchNorTheCluster() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        let (leader, created, held) = try creatingWithSyncHeld(s, "u", partitions: 2)
        defer { held.letGo() }

        // While the metadata log fsyncs: produce, fetch, Metadata, replication and the timers
        // all complete, on the leader that took the CreateTopics.
        let produced = SentRequest(), fetched = SentRequest(), metadata = SentRequest(), metadataOfU = SentRequest()
        let served = PartitionLockTests().finishes(within: 10) {
            cluster.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(["during"]), acks: 1)),
                                   to: leader, context: RequestContext(clientId: "p")) { produced.set($0) }
            _ = cluster.replicationRound()
            cluster.transport.send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 0, minBytes: 0)),
                                   to: leader, context: RequestContext(clientId: "reader")) { fetched.set($0) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["t"], allowAutoTopicCreation: false)), to: leader,
                                   context: RequestContext(clientId: "meta")) { metadata.set($0) }
            cluster.transport.send(.metadata(MetadataRequest(topics: ["u"], allowAutoTopicCreation: false)), to: leader,
                                   context: RequestContext(clientId: "meta")) { metadataOfU.set($0) }
            cluster.tick()
        }
        #expect(served, "requests waited for a metadata fsync")
        guard case let .produce(p)? = produced.response else { throw TestFailure("no produce answer") }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        guard case let .fetch(f)? = fetched.response else { throw TestFailure("no fetch answer") }
        #expect(f.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        // Until it is durable, the new topic is the controller's alone: no broker applied it,
        // and neither its creator nor a Metadata request for it has an answer yet.
        guard case let .metadata(m)? = metadata.response else { throw TestFailure("no metadata answer") }
        #expect(m.topics.map(\.name) == ["t"])
        #expect(!metadataOfU.isAnswered)
        #expect(cluster.metadataImage.topic(named: "u") == nil)
        #expect(cluster.lock.withLock { cluster.metadata.latestImage.topic(named: "u") != nil })
        #expect(cluster.lock.withLock { cluster.nodes.values.allSatisfy { $0.replicas[TopicPartition("u", 0)] == nil } })
        #expect(!created.isAnswered)
        // Its logs were created without the lock, ready to be applied.
        #expect(cluster.lock.withLock { Array(cluster.nodes.values) }.allSatisfy { $0.logManager.log(for: TopicPartition("u", 1)) != nil })

        // Durable: applied, then answered.
        held.letGo()
        #expect(PartitionLockTests().waitUntil(10) { created.isAnswered })
        guard case let .createTopics(c)? = created.response else { throw TestFailure("no CreateTopics answer") }
        #expect(c.topics.map(\.errorCode) == [ErrorCode.none])
        #expect(cluster.metadataImage.topic(named: "u")?.partitionCount == 2)
        #expect(PartitionLockTests().waitUntil(10) { metadataOfU.isAnswered })
        guard case let .metadata(mu)? = metadataOfU.response else { throw TestFailure("no metadata answer for u") }
        #expect(mu.topics.first?.partitions.count == 2)
        #expect(mu.topics.first?.errorCode == ErrorCode.none)
        #expect(cluster.lock.withLock { cluster.nodes.values.filter { $0.replicas[TopicPartition("u", 0)] != nil }.count } == 3)
    }
}

/// Appends on several threads while brokers stop and start: with writes outside the cluster
/// lock, role changes must still order them. Every acknowledged record stays readable at its
/// offset, and the replicas agree below the high watermark.
@Suite struct ConcurrentAppendTests {
    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool { PartitionLockTests().waitUntil(seconds, condition) }

    final class Acked: @unchecked Sendable {
        private let lock = NSLock()
        private var records: [Int32: [Int64: String]] = [:]
        private var duplicated: [String] = []
        func add(_ partition: Int32, _ offset: Int64, _ value: String) {
            lock.withLock {
                if let other = records[partition]?[offset] { duplicated.append("p\(partition)@\(offset): \(other) and \(value)") }
                records[partition, default: [:]][offset] = value
            }
        }
        var count: Int { lock.withLock { records.values.reduce(0) { $0 + $1.count } } }
        var all: [Int32: [Int64: String]] { lock.withLock { records } }
        var offsetsAckedTwice: [String] { lock.withLock { duplicated } }
    }

    @Test func acknowledgedRecordsSurviveConcurrentAppendsAndRoleChanges() throws {
        let s = try ServedCluster(); defer { s.close() }
        let partitions: Int32 = 4, perPartition = 120
        try s.cluster.createTopic("s", partitions: partitions, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        s.pump()
        let cluster = s.cluster
        let driver = ClusterDriver(cluster: cluster, tickIntervalMs: 20)
        driver.start()
        let acked = Acked()
        let finished = DispatchSemaphore(value: 0)
        let failures = Acked()
        for p in 0 ..< partitions {
            Thread.detachNewThread {
                defer { finished.signal() }
                let tp = TopicPartition("s", p)
                var n = 0, attempts = 0
                while n < perPartition, attempts < perPartition * 50 {
                    attempts += 1
                    guard let leader = try? cluster.leader(of: tp) else { continue }
                    let value = "p\(p)-\(n)"
                    let answered = DispatchSemaphore(value: 0)
                    let result = SentRequest()
                    cluster.transport.send(.produce(ProduceRequest(topic: "s", partition: p, records: servedBatch([value]), acks: -1)),
                                           to: leader, context: RequestContext(clientId: "stress")) { r in
                        result.set(r)
                        answered.signal()
                    }
                    guard answered.wait(timeout: .now() + 20) == .success else {
                        failures.add(p, Int64(n), "no answer to an acks=all produce within 20 s")
                        return
                    }
                    guard case let .produce(r)? = result.response, let part = r.partition(topic: "s", partition: p),
                          part.errorCode == .none else { continue }
                    acked.add(p, part.baseOffset, value)
                    n += 1
                }
            }
        }
        // Meanwhile: each broker in turn stops (controlled) or is killed, then starts, each time
        // after the producers have made progress and every partition is fully replicated again
        // (as a rolling restart waits for no under-replicated partitions). Without that wait a
        // kill may hit the last in-sync replica, which then loses what it had not fsynced and
        // still comes back as leader: acknowledged records lost, as in Kafka before KIP-966.
        let fullyReplicated = {
            (0 ..< partitions).allSatisfy { p in
                cluster.metadataImage.partition(TopicPartition("s", p)).map { $0.isr.count == 3 } ?? false
            }
        }
        // Alone the whole test takes 2–3 s; beside the suite's simulations on two cores, once
        // (CI at 8089080) the ISRs took longer than 20 s to refill after a restart. The waits
        // are conditions with deadlines, long enough for that load.
        for round in 0 ..< 6 {
            let before = acked.count
            #expect(waitUntil(60) { acked.count >= min(before + 25, Int(partitions) * perPartition) || failures.count > 0 })
            #expect(waitUntil(60) { fullyReplicated() || failures.count > 0 })
            let broker = Int32(round % 3)
            if round % 2 == 0 { try cluster.stopBroker(broker) } else { try cluster.killBroker(broker, fenceNow: true) }
            let during = acked.count
            #expect(waitUntil(60) { acked.count >= min(during + 10, Int(partitions) * perPartition) || failures.count > 0 })
            try cluster.startBroker(broker)
        }
        for _ in 0 ..< partitions { #expect(finished.wait(timeout: .now() + 60) == .success) }
        driver.stop()
        s.pump(rounds: 200)
        #expect(failures.count == 0, "\(failures.all)")
        #expect(acked.offsetsAckedTwice.isEmpty, "\(acked.offsetsAckedTwice)")
        #expect(acked.count == Int(partitions) * perPartition)

        for (p, records) in acked.all {
            let tp = TopicPartition("s", p)
            let logs = cluster.lock.withLock { cluster.nodes.values.compactMap { $0.replicas[tp]?.log } }
            #expect(logs.count == 3)
            let leaderHW = try #require(cluster.replicaOffsets(tp)[try cluster.leader(of: tp)]?.highWatermark)
            var contents: [[Int64: String]] = []
            for log in logs {
                var byOffset: [Int64: String] = [:]
                var next = log.logStartOffset
                while next < min(log.logEndOffset, leaderHW) {
                    let bytes = try log.read(from: next, maxBytes: 1 << 20).bytes
                    guard let last = try MemoryRecords.batches(in: bytes).last else { break }
                    for r in try MemoryRecords.records(in: bytes) { byOffset[r.offset] = String(decoding: r.value ?? [], as: UTF8.self) }
                    next = last.header.nextOffset
                }
                contents.append(byOffset.filter { $0.key < leaderHW })
            }
            // Every acknowledged record, at its offset, on every replica; replicas identical below the HW.
            for (offset, value) in records {
                for c in contents { #expect(c[offset] == value, "p\(p)@\(offset)") }
            }
            #expect(contents.allSatisfy { $0 == contents[0] }, "replicas of p\(p) differ below the high watermark")
        }
    }
}

/// A metadata publication applies only the topics it changed: with thousands of partitions,
/// visiting every one for each ISR change or config change held the cluster lock for
/// milliseconds. What it does not apply stays as it was; what it changes takes effect.
@Suite(.serialized) struct MetadataDeltaTests {
    @Test func aPublicationAppliesOnlyTheTopicsItChanged() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        for i in 0 ..< 10 { try cluster.createTopic("t\(i)", partitions: 2, replicationFactor: 3) }
        s.pump()
        let before = cluster.lock.withLock { cluster.appliedTopicCount }
        _ = try cluster.alterConfigs(topic: "t3", set: ["retention.ms": "1000"])
        s.pump()
        #expect(cluster.lock.withLock { cluster.appliedTopicCount } - before == 1, "t3 alone")
        // The change reached every replica of t3 and no other topic's.
        let brokers = cluster.lock.withLock { Array(cluster.nodes.values) }
        for broker in brokers {
            #expect(broker.logManager.log(for: TopicPartition("t3", 0))?.config.retentionMs == 1000)
            #expect(broker.logManager.log(for: TopicPartition("t4", 0))?.config.retentionMs != 1000)
        }
        // Taken in order before the deletion: the order must not be kept past it.
        for broker in brokers { _ = cluster.lock.withLock { broker.sortedReplicas } }
        // A deleted topic's replicas go, though it is not among the changed topics.
        let deleting = cluster.lock.withLock { cluster.appliedTopicCount }
        try cluster.deleteTopic("t5")
        s.pump()
        #expect(cluster.lock.withLock { cluster.appliedTopicCount } == deleting)
        for broker in brokers { #expect(cluster.lock.withLock { broker.replicas[TopicPartition("t5", 0)] } == nil) }
        #expect(cluster.metadataImage.topicNames.count == 9)
        // The replicas in partition order, as rounds and ticks visit them, follow every change.
        for broker in brokers {
            cluster.lock.withLock {
                #expect(broker.sortedReplicas.map(\.key) == broker.replicas.keys.sorted())
                #expect(!broker.sortedReplicas.contains { $0.key.topic == "t5" })
                #expect(broker.sortedReplicas.allSatisfy { broker.replicas[$0.key] === $0.value })
            }
        }
    }

    @Test func changedTopicsAreThoseWhoseRegistrationsOrConfigsDiffer() throws {
        let s = try ServedCluster(); defer { s.close() }
        let cluster = s.cluster
        try cluster.createTopic("a", partitions: 1, replicationFactor: 3)
        try cluster.createTopic("b", partitions: 1, replicationFactor: 3)
        s.pump()
        let first = cluster.metadataImage
        _ = try cluster.alterConfigs(topic: "b", set: ["cleanup.policy": "compact"])
        try cluster.createTopic("c", partitions: 1, replicationFactor: 3)
        s.pump()
        #expect(MetadataImage.changedTopics(from: first, to: cluster.metadataImage) == ["b", "c"])
        #expect(MetadataImage.changedTopics(from: cluster.metadataImage, to: cluster.metadataImage).isEmpty)
    }
}
