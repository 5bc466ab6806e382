import EddyProtocol
@testable import EddyBroker
import EddyStorage
import Foundation
import Testing

/// Replication in a real in-process cluster, driven step by step with a manual clock.
@Suite struct ClusterTests {
    func batch(_ values: [String], ts: Int64 = 1_000) -> [UInt8] {
        var b = RecordBatchBuilder()
        for v in values { b.append(timestamp: ts, key: nil, value: Array(v.utf8)) }
        return b.build().bytes
    }

    func open(_ dir: String, clock: ManualClock, brokers: Int = 3, configure: (inout ClusterOptions) -> Void = { _ in }) throws -> Cluster {
        var options = ClusterOptions()
        options.initialBrokerCount = brokers
        options.randomSeed = 7
        configure(&options)
        return try Cluster(dataDirectory: dir, clock: clock, options: options)
    }

    /// Values of every record in `tp` on broker `id`'s replica, below `upTo` (default its LEO).
    func values(_ cluster: Cluster, _ tp: TopicPartition, broker id: Int32, upTo: Int64? = nil) throws -> [String] {
        try cluster.lock.withLock {
            guard let log = cluster.nodes[id]?.replicas[tp]?.log else { return [] }
            var out: [String] = []
            var next = log.logStartOffset
            let end = upTo ?? log.logEndOffset
            while next < end {
                let data = try log.read(from: next, maxBytes: 1 << 20, upTo: end)
                if data.bytes.isEmpty { break }
                let recs = try MemoryRecords.records(in: data.bytes).filter { $0.offset >= next && $0.offset < end }
                out += recs.map { String(decoding: $0.value ?? [], as: UTF8.self) }
                next = (recs.last?.offset ?? next) + 1
            }
            return out
        }
    }

    func registration(_ c: Cluster, _ tp: TopicPartition) -> PartitionRegistration { c.metadataImage.partition(tp)! }

    @Test func replicatesAndAdvancesTheHighWatermarkWithAcksAll() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock)
        defer { try? c.shutdown() }
        try c.createTopic("orders", partitions: 3, replicationFactor: 3)
        // Leaders are spread over the brokers, each partition fully in sync.
        let leaders = (0 ..< 3).map { registration(c, TopicPartition("orders", Int32($0))).leader }
        #expect(Set(leaders).count == 3)
        let tp = TopicPartition("orders", 0)
        let r = try c.produce(tp, records: batch(["a", "b"]), acks: -1)
        #expect(r.baseOffset == 0)
        let offsets = c.replicaOffsets(tp)
        #expect(offsets.count == 3)
        // acks=all returned only once every ISR member had the batch.
        #expect(offsets.values.allSatisfy { $0.logEndOffset == 2 })
        c.settle()
        #expect(c.replicaOffsets(tp).values.allSatisfy { $0.highWatermark == 2 })
        for id: Int32 in 0 ..< 3 { #expect(try values(c, tp, broker: id) == ["a", "b"]) }
    }

    @Test func acksZeroAndOneDoNotWaitForFollowers() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let c = try open(dir.path, clock: ManualClock())
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let leader = registration(c, tp).leader
        for acks: Int16 in [1, 0] {
            let response = try c.call(.produce(ProduceRequest(topic: "t", partition: 0, records: batch(["x"]), acks: acks)), to: leader)
            guard case let .produce(p) = response else { Issue.record("not a produce response"); return }
            #expect(p.partition(topic: "t", partition: 0)?.errorCode == ErrorCode.none)
        }
        let offsets = c.replicaOffsets(tp)
        #expect(offsets[leader]!.logEndOffset == 2)
        #expect(offsets.filter { $0.key != leader }.allSatisfy { $0.value.logEndOffset == 0 })
        #expect(offsets[leader]!.highWatermark == 0) // not replicated yet
        c.settle()
        #expect(c.replicaOffsets(tp).values.allSatisfy { $0.logEndOffset == 2 && $0.highWatermark == 2 })
    }

    @Test func invalidAcksAndNonLeaderAreRejected() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let c = try open(dir.path, clock: ManualClock())
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let reg = registration(c, tp)
        let follower = reg.replicas.first { $0 != reg.leader }!
        func error(_ acks: Int16, to node: Int32) throws -> ErrorCode? {
            guard case let .produce(p) = try c.call(.produce(ProduceRequest(topic: "t", partition: 0, records: batch(["x"]), acks: acks)), to: node)
            else { return nil }
            return p.partition(topic: "t", partition: 0)?.errorCode
        }
        #expect(try error(2, to: reg.leader) == .invalidRequiredAcks)
        #expect(try error(1, to: follower) == .notLeaderOrFollower)
        guard case let .fetch(f) = try c.call(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0)), to: follower) else { return }
        #expect(f.partition(topic: "t", partition: 0)?.errorCode == .notLeaderOrFollower)
    }

    @Test func minInsyncReplicasWithStoppedBrokers() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let c = try open(dir.path, clock: ManualClock())
        defer { try? c.shutdown() }
        try c.createTopic("pay", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("pay", 0)
        try c.produce(tp, records: batch(["1"]))
        let reg = registration(c, tp)
        let others = reg.replicas.filter { $0 != reg.leader }
        // One broker stopped: the ISR shrinks to 2 and acks=all still works.
        try c.stopBroker(others[0])
        #expect(registration(c, tp).isr.count == 2)
        try c.produce(tp, records: batch(["2"]))
        // A second stopped broker (the leader): leadership moves, the ISR is down to 1.
        try c.stopBroker(reg.leader)
        let now = registration(c, tp)
        #expect(now.leader == others[1] && now.isr == [others[1]])
        #expect(throws: BrokerError.response(.notEnoughReplicas, "")) {
            do { try c.produce(tp, records: batch(["3"])) } catch let BrokerError.response(code, _) { throw BrokerError.response(code, "") }
        }
        // acks=1 still works with one in-sync replica.
        try c.produce(tp, records: batch(["3"]), acks: 1)
        // Both come back, catch up and rejoin the ISR; all replicas agree.
        try c.startBroker(others[0])
        try c.startBroker(reg.leader)
        c.settle()
        #expect(Set(registration(c, tp).isr) == Set(reg.replicas))
        for id in reg.replicas { #expect(try values(c, tp, broker: id) == ["1", "2", "3"]) }
        // The preferred leader has it back.
        #expect(registration(c, tp).leader == reg.replicas[0])
    }

    @Test func isrShrinksAfterReplicaLagTimeAndExpandsOnCatchUp() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock) { $0.brokerSessionTimeoutMs = 1_000_000_000 }
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        c.settle()
        let reg = registration(c, tp)
        let lagging = reg.replicas.first { $0 != reg.leader }!
        // The follower crashes (not fenced: its session has not timed out).
        try c.killBroker(lagging)
        try c.produce(tp, records: batch(["a"]), acks: 1)
        // The healthy follower keeps fetching (and stays caught up); the crashed one does not.
        clock.advance(ms: 30_000)
        c.replicationRound(); c.tick()
        #expect(registration(c, tp).isr.contains(lagging)) // exactly replica.lag.time.max.ms: still in
        clock.advance(ms: 1)
        c.replicationRound(); c.tick()
        #expect(!registration(c, tp).isr.contains(lagging))
        #expect(registration(c, tp).isr.count == 2)
        try c.startBroker(lagging)
        c.settle()
        #expect(registration(c, tp).isr.contains(lagging))
    }

    @Test func sessionTimeoutFencesACrashedLeaderAndFailsOverWithoutLoss() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock)
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("t", 0)
        var acked: [String] = []
        for i in 0 ..< 5 {
            try c.produce(tp, records: batch(["v\(i)"]))
            acked.append("v\(i)")
        }
        let old = registration(c, tp)
        try c.killBroker(old.leader)
        clock.advance(ms: 9001)
        c.tick()
        let new = registration(c, tp)
        #expect(new.leader != old.leader && new.leader != -1)
        #expect(new.leaderEpoch > old.leaderEpoch)
        #expect(try values(c, tp, broker: new.leader, upTo: c.replicaOffsets(tp)[new.leader]!.highWatermark) == acked)
        try c.produce(tp, records: batch(["after"]))
        try c.startBroker(old.leader)
        c.settle()
        for id in old.replicas { #expect(try values(c, tp, broker: id) == acked + ["after"]) }
    }

    @Test func divergedFollowerTruncatesByLeaderEpoch() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock)
        defer { try? c.shutdown() }
        // flush.messages=1: nothing is lost to the simulated power cut, so the old leader
        // comes back holding a record nobody else has.
        try c.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["flush.messages": "1"])
        let tp = TopicPartition("t", 0)
        try c.produce(tp, records: batch(["common"]))
        c.settle()
        let old = registration(c, tp)
        try c.produce(tp, records: batch(["lost-unreplicated"]), acks: 1)
        try c.killBroker(old.leader, fenceNow: true)
        let new = registration(c, tp)
        try c.produce(tp, records: batch(["new-leader"]), acks: 1)
        try c.startBroker(old.leader)
        c.settle()
        #expect(registration(c, tp).leaderEpoch > new.leaderEpoch || registration(c, tp).leader == new.leader)
        for id in old.replicas { #expect(try values(c, tp, broker: id) == ["common", "new-leader"], "broker \(id)") }
    }

    @Test func uncleanLeaderElectionOffAndOn() throws {
        for unclean in [false, true] {
            let dir = TempDirectory(); defer { dir.cleanup() }
            let clock = ManualClock()
            let c = try open(dir.path, clock: clock) { $0.autoLeaderRebalanceEnable = false }
            defer { try? c.shutdown() }
            try c.createTopic("t", partitions: 1, replicationFactor: 2,
                              configs: ["unclean.leader.election.enable": "\(unclean)", "flush.messages": "1"])
            let tp = TopicPartition("t", 0)
            try c.produce(tp, records: batch(["a"]))
            let reg = registration(c, tp)
            let follower = reg.replicas.first { $0 != reg.leader }!
            // The follower stops; the leader writes more alone; then the leader dies.
            try c.stopBroker(follower)
            try c.produce(tp, records: batch(["b"]), acks: 1)
            try c.killBroker(reg.leader, fenceNow: true)
            #expect(registration(c, tp).leader == -1)
            try c.startBroker(follower)
            if unclean {
                #expect(registration(c, tp).leader == follower)
                #expect(c.describeCluster().uncleanElectionLosses[tp] ?? 0 >= 0)
                #expect(c.describeCluster().offlinePartitions == 0)
            } else {
                #expect(registration(c, tp).leader == -1)
                #expect(c.describeCluster().offlinePartitions == 1)
                #expect(throws: BrokerError.self) { try c.produce(tp, records: batch(["c"])) }
                // The last in-sync replica returning brings the partition back with all its data.
                try c.startBroker(reg.leader)
                c.settle()
                #expect(registration(c, tp).leader == reg.leader)
                #expect(try values(c, tp, broker: follower) == ["a", "b"])
            }
        }
    }

    @Test func acksAllTimesOutWhenFollowersDoNotFetch() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock) { $0.brokerSessionTimeoutMs = 1_000_000_000 }
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 2)
        let tp = TopicPartition("t", 0)
        let reg = registration(c, tp)
        try c.killBroker(reg.replicas.first { $0 != reg.leader }!)
        let box = ResponseBox()
        c.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: batch(["x"]), acks: -1, timeoutMs: 1000)),
                         to: reg.leader, context: RequestContext()) { box.set($0) }
        c.replicationRound(); c.tick()
        #expect(box.get() == nil)
        clock.advance(ms: 1000)
        c.tick()
        guard case let .success(.produce(p)) = box.get() else { Issue.record("no response"); return }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == .requestTimedOut)
    }

    @Test func notEnoughReplicasAfterAppendWhenTheIsrShrinksWhileWaiting() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        let c = try open(dir.path, clock: clock) { $0.brokerSessionTimeoutMs = 1_000_000_000 }
        defer { try? c.shutdown() }
        try c.createTopic("t", partitions: 1, replicationFactor: 2, configs: ["min.insync.replicas": "2"])
        let tp = TopicPartition("t", 0)
        let reg = registration(c, tp)
        // The follower crashes unnoticed; the ISR is still [leader, follower], so the append is accepted.
        try c.killBroker(reg.replicas.first { $0 != reg.leader }!)
        let box = ResponseBox()
        c.transport.send(.produce(ProduceRequest(topic: "t", partition: 0, records: batch(["x"]), acks: -1, timeoutMs: 120_000)),
                         to: reg.leader, context: RequestContext()) { box.set($0) }
        c.replicationRound(); c.tick()
        #expect(box.get() == nil)
        // replica.lag.time.max.ms later the leader drops the follower: the HW passes the batch,
        // but with one in-sync replica left the write is not as durable as asked.
        clock.advance(ms: 30_001)
        c.tick()
        #expect(registration(c, tp).isr == [reg.leader])
        guard case let .success(.produce(p)) = box.get() else { Issue.record("no response"); return }
        #expect(p.partition(topic: "t", partition: 0)?.errorCode == .notEnoughReplicasAfterAppend)
    }

    @Test func brokerStateSurvivesReopeningTheDataDirectory() throws {
        let dir = TempDirectory(); defer { dir.cleanup() }
        let clock = ManualClock()
        do {
            let c = try open(dir.path, clock: clock)
            try c.createTopic("t", partitions: 2, replicationFactor: 3)
            try c.produce(TopicPartition("t", 1), records: batch(["x"]))
            try c.stopBroker(2)
            try c.shutdown()
        }
        let c = try open(dir.path, clock: clock, brokers: 5) // initial count only applies to a new directory
        defer { try? c.shutdown() }
        #expect(c.runningBrokers == [0, 1])
        #expect(c.describeCluster().brokers.map(\.state) == [.running, .running, .stopped])
        #expect(c.describeCluster().underReplicatedPartitions == 2)
        try c.startBroker(2)
        c.settle()
        #expect(c.describeCluster().underReplicatedPartitions == 0)
        #expect(try values(c, TopicPartition("t", 1), broker: 2) == ["x"])
    }
}
