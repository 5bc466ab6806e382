import EddyProtocol
import EddyRaft
import EddyStorage
import Foundation
import Synchronization
import Testing
@testable import EddyBroker

/// A cluster whose metadata a quorum of controllers replicates: failover of the active
/// controller, a quorum without a majority, combined and separate controllers, and the layout
/// on disk.
@Suite struct ClusterQuorumTests {
    static func combined(_ count: Int = 3, brokers: Int = 3) -> (inout ClusterOptions) -> Void {
        { $0.controllerQuorum = ControllerQuorumOptions(count: count, combined: true) }
    }

    /// Advances the cluster's clock in the driver's 100 ms ticks until `condition` holds.
    static func tick(_ s: ServedCluster, upTo ms: Int64 = 20_000, until condition: () -> Bool) -> Bool {
        var waited: Int64 = 0
        while waited <= ms {
            if condition() { return true }
            s.clock.advance(ms: 100)
            waited += 100
            s.cluster.tick()
        }
        return condition()
    }

    @Test func whenTheActiveControllersBrokerDiesAnotherControllerIsElectedAndMetadataChangesGoOn() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        #expect(s.cluster.controllerIds == [0, 1, 2])
        try s.cluster.createTopic("before", partitions: 3, replicationFactor: 3)
        let old = try #require(s.cluster.activeController)
        try s.cluster.killBroker(old)
        // Until the others' fetch timeout runs out there is no controller: changes are refused.
        #expect(s.cluster.activeController == nil)
        #expect(throws: BrokerError.self) { try s.cluster.createTopic("refused", partitions: 1) }
        #expect(Self.tick(s) { s.cluster.activeController != nil })
        let new = try #require(s.cluster.activeController)
        #expect(new != old && s.cluster.isControllerRunning(new) && !s.cluster.isControllerRunning(old))
        // The new controller fences the dead broker once its session times out, and moves its
        // leaderships.
        #expect(Self.tick(s) { s.cluster.metadataImage.brokers[old]?.fenced == true })
        let before = try #require(s.cluster.metadataImage.topic(named: "before"))
        #expect(before.partitions.values.allSatisfy { $0.leader != old && !$0.isr.contains(old) })
        try s.cluster.createTopic("after", partitions: 1, replicationFactor: 2)
        #expect(s.cluster.metadataImage.topic(named: "after") != nil)
        #expect(s.cluster.quorumEvents.contains { $0.nodeId == new && $0.role == .leader })
        // The old controller's broker comes back, catches up, and follows.
        try s.cluster.startBroker(old)
        #expect(Self.tick(s) { s.cluster.describeQuorum().voters.allSatisfy { $0.logEndOffset == s.cluster.describeQuorum().highWatermark } })
        #expect(s.cluster.activeController == new)
    }

    @Test func aKillNoticedAtOnceElectsAtOnce() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let old = try #require(s.cluster.activeController)
        try s.cluster.killBroker(old, fenceNow: true)
        let new = try #require(s.cluster.activeController)
        #expect(new != old && s.cluster.metadataImage.brokers[old]?.fenced == true)
    }

    @Test func withoutAMajorityNothingChangesUntilAVoterReturns() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        try s.cluster.createTopic("kept", partitions: 1, replicationFactor: 1)
        let leader = try #require(s.cluster.activeController)
        let others = [Int32(0), 1, 2].filter { $0 != leader }
        try s.cluster.killBroker(others[0])
        try s.cluster.killBroker(others[1])
        // The leader alone cannot commit; its check-quorum timer then makes it resign.
        #expect(throws: BrokerError.self) { try s.cluster.createTopic("lonely", partitions: 1) }
        #expect(Self.tick(s) { s.cluster.activeController == nil })
        #expect(s.cluster.metadataImage.topic(named: "lonely") == nil && s.cluster.metadataImage.topic(named: "kept") != nil)
        // One voter back makes a majority: it elects at once, and the change goes through.
        try s.cluster.startBroker(others[0])
        #expect(s.cluster.activeController != nil)
        try s.cluster.createTopic("again", partitions: 1, replicationFactor: 1)
        #expect(s.cluster.metadataImage.topic(named: "again") != nil)
    }

    @Test func anAnswerHeldForAWriteItsControllerLostFailsWithNotController() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let cluster = s.cluster
        let leader = try #require(cluster.activeController)
        let failed = Mutex<BrokerError?>(nil), answered = Mutex(false)
        // Written, not yet replicated, and its controller dies.
        try cluster.lock.withLock { () throws(BrokerError) in
            let (id, start) = cluster.drawTopicIdAndAssignmentStart()
            try cluster.commit(cluster.controller.createTopic(name: "lost", partitions: 1, replicationFactor: 1, configs: [:], topicId: id,
                                                              image: cluster.metadata.latestImage, assignmentStart: start).records)
            cluster.answerAfterCommit({ answered.withLock { $0 = true } }, failing: { e in failed.withLock { $0 = e } })
            cluster.killVoterLocked(leader)
        }
        cluster.flushDeferred()
        #expect(!answered.withLock { $0 })
        #expect(failed.withLock { $0?.errorCode } == .notController)
        // The next controller never applies it, nor does the old one once it is back.
        #expect(Self.tick(s) { cluster.activeController != nil })
        try cluster.startController(leader)
        #expect(Self.tick(s) { cluster.describeQuorum().voters.allSatisfy { $0.logEndOffset == cluster.describeQuorum().highWatermark } })
        #expect(cluster.metadataImage.topic(named: "lost") == nil)
        #expect(cluster.metadata.quorum.replicaLog(leader)?.latestImage.topic(named: "lost") == nil)
    }

    @Test func aStoppedActiveControllerResignsAndTheOthersElectWithoutWaitingForTheFetchTimeout() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let leader = try #require(s.cluster.activeController)
        try s.cluster.stopBroker(leader)
        #expect(s.cluster.activeController == nil)
        // EndQuorumEpoch: well within the 2 s fetch timeout.
        #expect(Self.tick(s, upTo: 1500) { s.cluster.activeController != nil })
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 1)
    }

    @Test func separateControllersOutliveTheBrokersAndFailOverOnTheirOwn() throws {
        let s = try ServedCluster { $0.controllerQuorum = ControllerQuorumOptions(count: 3, combined: false) }
        defer { s.close() }
        #expect(s.cluster.controllerIds == [3000, 3001, 3002])
        let leader = try #require(s.cluster.activeController)
        try s.cluster.killBroker(0, fenceNow: true)
        #expect(s.cluster.activeController == leader)
        try s.cluster.killController(leader)
        #expect(s.cluster.runningBrokers == [1, 2])
        #expect(Self.tick(s) { s.cluster.activeController != nil })
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 2)
        #expect(throws: BrokerError.self) { try s.cluster.killController(7) }
        try s.cluster.startController(leader)
        #expect(s.cluster.isControllerRunning(leader))
    }

    /// A broker killed (its unflushed records lost) while no majority of controllers ran could
    /// not be fenced, so it stayed in the ISR; then the whole process died. The next process
    /// fences it first: the replicas with every acknowledged record lead, not it. (Without
    /// that, fencing the crashed brokers in id order left broker 2, with an empty log, as the
    /// last ISR member, and it led: the stress campaign's seed 1223509.)
    @Test func aBrokerKilledWhileNoControllerCouldFenceItIsFencedFirstByTheNextProcess() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let values = (0 ..< 20).map { "acked-\($0)" }
        let (tp, _) = try s.topicWithRecords(values)
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.highWatermark == 20 })
        s.cluster.lock.withLock {
            s.cluster.killVoterLocked(0)
            s.cluster.killVoterLocked(1)
        }
        #expect(s.cluster.activeController == nil)
        try s.cluster.killBroker(2, fenceNow: true)
        #expect(Disk.exists(Cluster.unfencedKillMarker(dataDirectory: s.dir.path, id: 2)))
        s.cluster.simulateProcessKill()
        var options = s.cluster.options
        options.randomSeed = 99
        let reopened = try Cluster(dataDirectory: s.dir.path, clock: s.clock, options: options)
        defer { try? reopened.shutdown() }
        let leader = try reopened.leader(of: tp)
        #expect(leader != 2)
        let offsets = reopened.replicaOffsets(tp)
        #expect(offsets[leader]?.logEndOffset == 20 && offsets[leader]?.highWatermark == 20, "\(offsets)")
        #expect(!Disk.exists(Cluster.unfencedKillMarker(dataDirectory: s.dir.path, id: 2)))
    }

    @Test func aKilledBrokerNobodyCouldFenceIsFencedOnceAControllerIsElected() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        s.cluster.lock.withLock {
            s.cluster.killVoterLocked(0)
            s.cluster.killVoterLocked(1)
        }
        try s.cluster.killBroker(2, fenceNow: true)
        #expect(s.cluster.metadataImage.brokers[2]?.fenced == false)
        // A majority again: the first controller elected fences it.
        try s.cluster.startController(0)
        try s.cluster.startController(1)
        #expect(Self.tick(s) { s.cluster.metadataImage.brokers[2]?.fenced == true })
        #expect(!Disk.exists(Cluster.unfencedKillMarker(dataDirectory: s.dir.path, id: 2)))
    }

    /// Without a controller, a broker whose previous run was never fenced cannot start: it
    /// would lead again, in the same leader epoch, with what its kill lost.
    @Test func aBrokerNobodyFencedCannotStartWithoutAController() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        _ = try s.topicWithRecords(["a", "b"])
        s.cluster.lock.withLock {
            s.cluster.killVoterLocked(0)
            s.cluster.killVoterLocked(1)
        }
        try s.cluster.killBroker(2, fenceNow: true)
        #expect(s.cluster.metadataImage.brokers[2]?.fenced == false)
        #expect(throws: BrokerError.self) { try s.cluster.startBroker(2) }
        #expect(!s.cluster.runningBrokers.contains(2))
    }

    /// Found in CI (interop test_broker_control_over_the_wire): the brokers were stopped one
    /// after another sooner than the quorum elected a controller after the first, the active
    /// one, so the other two stopped unfenced; then neither could start again (no controller
    /// to fence its previous run), and no controller could be elected without one of them. A
    /// clean stop lost nothing: such a broker starts in its old registration.
    @Test func aBrokerStoppedWhileNoControllerCouldFenceItStartsAgainWithoutOne() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let (tp, _) = try s.topicWithRecords((0 ..< 20).map { "acked-\($0)" })
        let controller = try #require(s.cluster.activeController)
        try s.cluster.stopBroker(controller)
        let others = [Int32(0), 1, 2].filter { $0 != controller }
        for id in others { try s.cluster.stopBroker(id) }
        #expect(s.cluster.activeController == nil)
        #expect(others.allSatisfy { s.cluster.metadataImage.brokers[$0]?.fenced == false })
        try s.cluster.startBroker(others[0])
        #expect(s.cluster.runningBrokers == [others[0]])
        try s.cluster.startBroker(controller)
        try s.cluster.startBroker(others[1])
        #expect(Self.tick(s) {
            s.cluster.activeController != nil && s.cluster.metadataImage.brokers.values.allSatisfy { !$0.fenced }
        })
        #expect(s.cluster.runningBrokers == [0, 1, 2])
        s.pump()
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.logEndOffset == 20 && $0.highWatermark == 20 },
                "\(s.cluster.replicaOffsets(tp))")
        try s.cluster.createTopic("after", partitions: 1, replicationFactor: 3)
    }

    /// Without a controller, a stopped broker whose logs did not close cleanly (no
    /// `.kafka_cleanshutdown`: what it had not flushed may be gone) starts only once one
    /// can fence its previous run.
    @Test func aStopThatDidNotCloseItsLogsCannotStartWithoutAController() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        _ = try s.topicWithRecords(["a", "b"])
        let controller = try #require(s.cluster.activeController)
        try s.cluster.stopBroker(controller)
        let others = [Int32(0), 1, 2].filter { $0 != controller }
        for id in others { try s.cluster.stopBroker(id) }
        let victim = others[0]
        #expect(s.cluster.metadataImage.brokers[victim]?.fenced == false)
        let marker = Disk.join(Disk.join(s.dir.path, Broker.logDirectoryName(nodeId: victim)), LogManager.cleanShutdownFile)
        #expect(Disk.exists(marker))
        try Disk.remove(marker)
        #expect(throws: BrokerError.self) { try s.cluster.startBroker(victim) }
        #expect(!s.cluster.runningBrokers.contains(victim))
    }

    /// A broker started while no controller runs waits, fenced; the ISR change that would take
    /// it back fails for want of a controller, and is proposed again once one is elected.
    @Test func anIsrChangeNoControllerTookIsProposedAgainAfterTheElection() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let (tp, _) = try s.topicWithRecords(["a", "b"])
        try s.cluster.killBroker(2, fenceNow: true)
        #expect(s.cluster.metadataImage.partition(tp)?.isr.contains(2) == false)
        s.cluster.lock.withLock {
            s.cluster.killVoterLocked(0)
            s.cluster.killVoterLocked(1)
        }
        // Fenced, so it may start; it catches up, and its leader's proposal finds no controller.
        try s.cluster.startBroker(2)
        s.pump()
        #expect(s.cluster.metadataImage.partition(tp)?.isr.contains(2) == false)
        try s.cluster.startController(0)
        #expect(Self.tick(s) {
            s.cluster.replicationRound()
            return s.cluster.metadataImage.partition(tp)?.isr.sorted() == [0, 1, 2] && s.cluster.metadataImage.brokers[2]?.fenced == false
        })
    }

    /// A killed broker whose fence was written but not committed (its controller lost its
    /// majority) must not start: in the brokers' image it still led, in the same leader epoch,
    /// and its followers would truncate to what its power cut left (stress-serve seed
    /// 7800015, where the fence had been written by an earlier attempt).
    @Test func aBrokerStartsOnlyOnceTheFenceOfItsPreviousRunIsApplied() throws {
        let s = try ServedCluster { $0.controllerQuorum = ControllerQuorumOptions(count: 3, combined: false) }
        defer { s.close() }
        let (tp, victim) = try s.topicWithRecords((0 ..< 10).map { "v\($0)" })
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.highWatermark == 10 })
        let controller = try #require(s.cluster.activeController)
        for id in s.cluster.controllerIds where id != controller { try s.cluster.killController(id) }
        // The fence is written by the lone controller (it has not resigned yet), never committed.
        #expect(throws: BrokerError.self) { try s.cluster.killBroker(victim, fenceNow: true) }
        #expect(s.cluster.lock.withLock { s.cluster.metadata.latestImage.brokers[victim]?.fenced } == true)
        #expect(s.cluster.metadataImage.brokers[victim]?.fenced == false)
        #expect(throws: BrokerError.self) { try s.cluster.startBroker(victim) }
        #expect(!s.cluster.runningBrokers.contains(victim))
        s.cluster.replicationRound()
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.logEndOffset == 10 }, "\(s.cluster.replicaOffsets(tp))")
    }

    /// A leader's ISR shrink that found no controller stays pending (no answer ever comes);
    /// once a controller is elected it is proposed again, and lagging followers leave the ISR.
    @Test func anIsrShrinkNoControllerTookIsProposedAgainAfterTheElection() throws {
        let s = try ServedCluster(configure: Self.combined())
        defer { s.close() }
        let (tp, leader) = try s.topicWithRecords(["a"])
        let others = [Int32(0), 1, 2].filter { $0 != leader }
        s.cluster.lock.withLock { for id in others { s.cluster.killVoterLocked(id) } }
        // One voter of three: whatever is written is never committed (the leader's own voter
        // resigns after its check-quorum timer).
        #expect(s.cluster.metadata.quorum.runningVoters.count == 1)
        // The followers stop fetching and fall behind; past replica.lag.time.max.ms the leader
        // proposes dropping them, and no controller takes it.
        s.cluster.setFollowerFetchInterval(10_000_000, topics: [tp.topic])
        s.cluster.replicationRound()
        _ = s.send(.produce(ProduceRequest(topic: tp.topic, partition: 0, records: servedBatch(["b"]), acks: 1)), to: leader)
        for _ in 0 ..< 35 {
            s.clock.advance(ms: 1_000)
            s.cluster.tick()
        }
        #expect(s.cluster.metadataImage.partition(tp)?.isr.count == 3)
        try s.cluster.startController(others[0])
        #expect(Self.tick(s) { s.cluster.metadataImage.partition(tp)?.isr == [leader] })
    }

    @Test func theAdminExtensionKillsAndStartsSeparateControllers() throws {
        let s = try ServedCluster { $0.controllerQuorum = ControllerQuorumOptions(count: 3, combined: false) }
        defer { s.close() }
        let leader = try #require(s.cluster.activeController)
        #expect(s.cluster.performBrokerControl(EddyBrokerControlRequest(brokerId: leader, action: .kill)).changed)
        #expect(!s.cluster.isControllerRunning(leader) && s.cluster.runningBrokers == [0, 1, 2])
        let again = s.cluster.performBrokerControl(EddyBrokerControlRequest(brokerId: leader, action: .kill))
        #expect(again.errorCode == .none && !again.changed)
        #expect(s.cluster.performBrokerControl(EddyBrokerControlRequest(brokerId: leader, action: .start)).changed)
        #expect(s.cluster.isControllerRunning(leader))
        let unknown = s.cluster.performBrokerControl(EddyBrokerControlRequest(brokerId: 9, action: .kill))
        #expect(unknown.errorCode == .brokerIdNotRegistered && unknown.errorMessage?.hasSuffix("its controllers are 3000,3001,3002.") == true)
    }

    @Test func theLayoutIsRecordedAndReopened() throws {
        let dir = TempDirectory("quorum-layout")
        defer { dir.cleanup() }
        var options = ClusterOptions()
        options.randomSeed = 5
        options.controllerQuorum = ControllerQuorumOptions(count: 3, combined: true)
        do {
            let cluster = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options)
            try cluster.createTopic("kept", partitions: 2, replicationFactor: 3)
            try cluster.shutdown()
        }
        let meta = try #require(try MetaProperties.read(directory: dir.path))
        #expect(meta.voters == [0, 1, 2] && meta.combined)
        for id in 0 ..< 3 {
            let state = try #require(try QuorumStateFile.read(directory: dir.file("controller-\(id)/__cluster_metadata-0")))
            #expect(state.voters == [0, 1, 2])
        }
        #expect(!Disk.exists(dir.file("__cluster_metadata-0")))
        // Reopened with other options: the recorded layout wins, the timing is this process's
        // (eddy serve's controller.quorum.* keys).
        options.controllerQuorum = .legacy
        options.controllerQuorum.settings.fetchTimeoutMs = 12_345
        let cluster = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options)
        defer { try? cluster.shutdown() }
        #expect(cluster.controllerIds == [0, 1, 2] && cluster.controllerQuorum.combined)
        #expect(cluster.controllerQuorum.settings.fetchTimeoutMs == 12_345)
        #expect(cluster.metadataImage.topic(named: "kept")?.partitionCount == 2)
    }

    @Test func combinedModeNeedsABrokerPerController() throws {
        let dir = TempDirectory("quorum-too-few")
        defer { dir.cleanup() }
        var options = ClusterOptions()
        options.initialBrokerCount = 2
        options.controllerQuorum = ControllerQuorumOptions(count: 3, combined: true)
        #expect(throws: BrokerError.self) { _ = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options) }
    }

    @Test func metaPropertiesCarryTheQuorum() throws {
        let text = "version=1\ncluster.id=abc\nnode.id=0\ncontroller.quorum.voters=0,1,2\nprocess.roles=broker,controller\n"
        let meta = try MetaProperties(parsing: text)
        #expect(meta.voters == [0, 1, 2] && meta.combined && meta.quorum == ControllerQuorumOptions(count: 3, combined: true))
        #expect(try MetaProperties(parsing: meta.text) == meta)
        #expect(try MetaProperties(parsing: "version=1\ncluster.id=abc\nnode.id=0\n").quorum == .legacy)
        for bad in ["controller.quorum.voters=0,x", "controller.quorum.voters=1,1", "controller.quorum.voters=", "process.roles=broker"] {
            #expect(throws: BrokerError.self, "\(bad)") { try MetaProperties(parsing: "version=1\ncluster.id=abc\nnode.id=0\n\(bad)\n") }
        }
    }
}
