import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
import Foundation
import Testing

/// One broker is killed and not yet fenced: the metadata still names it leader of its
/// partitions until broker.session.timeout.ms passes. The cluster runs on a `ManualClock`, so
/// that window lasts until the test moves the clock; only the dead broker's partitions may
/// stall, the others stay readable and writable.
@Suite(.serialized) struct DeadLeaderTests {
    /// A 3-broker cluster on a manual clock (the driver replicates in real time) with topic
    /// `t` of 6 partitions, replicated `replicationFactor` times, leaders spread over the brokers.
    final class Setup: @unchecked Sendable {
        let clock = ManualClock()
        let harness: TestCluster
        let client: KafkaClient
        var cluster: Cluster { harness.cluster }

        init(replicationFactor: Int16) throws {
            harness = try TestCluster(label: "dead-leader", brokers: 3, seed: 23, clock: clock) { options in
                options.brokerSessionTimeoutMs = 9_000
                options.replicaLagTimeMaxMs = 30_000
                options.autoLeaderRebalanceEnable = false
            }
            try harness.cluster.createTopic("t", partitions: 6, replicationFactor: replicationFactor)
            client = harness.client("dead-leader", retryBackoffMs: 10)
        }

        var partitions: [TopicPartition] { (0 ..< 6).map { TopicPartition("t", Int32($0)) } }

        func leader(_ tp: TopicPartition) throws -> Int32 { try cluster.leader(of: tp) }

        /// Moves the clock past broker.session.timeout.ms: the controller fences the dead
        /// broker on its next tick and elects new leaders.
        func expireSessions() {
            clock.advance(ms: cluster.options.brokerSessionTimeoutMs + 1)
        }

        func shutdown() {
            client.close()
            harness.shutdown()
        }
    }

    /// Admin's offsets are read per partition: while broker 0 is dead but not fenced, the
    /// partitions led by brokers 1 and 2 get their log start, high watermark and log end at
    /// once, and only broker 0's partitions are missing, reported as unreachable, without
    /// waiting out default.api.timeout.ms.
    @Test func offsetsOfLiveLeadersAreReadWhileAnotherLeaderIsDead() async throws {
        let s = try Setup(replicationFactor: 3)
        defer { s.shutdown() }
        for (i, tp) in s.partitions.enumerated() {
            var builder = RecordBatchBuilder()
            for r in 0 ..< (i + 1) { builder.append(timestamp: 1_700_000_000_000, key: nil, value: Array("v\(r)".utf8)) }
            _ = try s.cluster.produce(tp, records: builder.build().bytes, acks: -1)
        }
        let admin = Admin(client: s.client, config: AdminConfig(defaultApiTimeoutMs: 30_000))
        _ = try await s.client.refreshMetadata(topics: ["t"])
        try await waitUntil("every follower has caught up") {
            let all = try await admin.logOffsets(s.partitions)
            return s.partitions.enumerated().allSatisfy { all[$1]?.highWatermark == Int64($0 + 1) }
        }
        let dead = try s.partitions.filter { try s.leader($0) == 0 }
        let live = try s.partitions.filter { try s.leader($0) != 0 }
        #expect(!dead.isEmpty && !live.isEmpty)

        try s.cluster.killBroker(0)
        let start = ClientTime.monotonicMs()
        let result = try await admin.logOffsetsResult(s.partitions)
        let elapsed = ClientTime.monotonicMs() - start
        for tp in live {
            let n = Int64(tp.partition + 1)
            #expect(result.offsets[tp] == GroupPositions.PartitionOffsets(logStartOffset: 0, highWatermark: n, logEndOffset: n, lastStableOffset: n), "\(tp)")
        }
        #expect(Set(result.failures.keys) == Set(dead))
        #expect(result.unreachable == Set(dead))
        #expect(elapsed < 15_000, "took \(elapsed) ms of a 30 s budget")
        // The plain call leaves the unreachable partitions out instead of failing.
        let plain = try await admin.logOffsets(s.partitions)
        #expect(Set(plain.keys) == Set(live))
        #expect(try s.leader(dead[0]) == 0, "still within the session timeout")

        // Once fenced, broker 0's partitions have new leaders and answer again.
        s.expireSessions()
        try await waitUntil("broker 0 is fenced and its partitions have new leaders") {
            try dead.allSatisfy { try s.leader($0) != 0 }
        }
        try await waitUntil("every partition answers") {
            let r = try await admin.logOffsetsResult(s.partitions)
            return r.failures.isEmpty && r.offsets.count == s.partitions.count
        }
    }

    /// acks=1: records to partitions led by live brokers keep being acknowledged while the dead
    /// leader's batches wait (retried, not failed), and those are delivered to the new leader
    /// once the controller has fenced the dead broker.
    @Test func producerKeepsAcknowledgingLiveLeadersWhileADeadLeadersBatchesWait() async throws {
        let s = try Setup(replicationFactor: 3)
        defer { s.shutdown() }
        let producer = try BytesProducer(config: testProducerConfig {
            $0.acks = .leader
            $0.lingerMs = 0
            $0.requestTimeoutMs = 60_000
        }, client: s.client)
        defer { Task { await producer.close(timeoutMs: 0) } }
        _ = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: [0]))
        let dead = try s.partitions.filter { try s.leader($0) == 0 }
        let live = try s.partitions.filter { try s.leader($0) != 0 }

        try s.cluster.killBroker(0)
        let results = SendResults()
        var index: [Int: TopicPartition] = [:]
        for round in 0 ..< 20 {
            for tp in s.partitions {
                let i = round * s.partitions.count + Int(tp.partition)
                index[i] = tp
                try await producer.send(ProducerRecord(topic: "t", partition: tp.partition, value: Array("r\(round)".utf8)),
                                        completion: results.completion(i))
            }
        }
        let liveIndexes = Set(index.filter { live.contains($0.value) }.keys)
        try await waitUntil("every record to a live leader is acknowledged") {
            liveIndexes.isSubset(of: Set(results.all.keys))
        }
        #expect(liveIndexes.allSatisfy { if case .success = results.all[$0] { true } else { false } },
                "\(results.failures.prefix(3))")
        #expect(results.all.keys.allSatisfy { liveIndexes.contains($0) }, "a record to the dead leader completed")
        #expect(try s.leader(dead[0]) == 0, "still within the session timeout")

        s.expireSessions()
        try await waitUntil("the dead leader's records reach the new leaders") { results.count == index.count }
        #expect(results.failures.isEmpty, "\(results.failures.prefix(3))")
    }

    /// acks=all, as in Kafka: every partition whose ISR still holds the dead broker waits for
    /// it (the high watermark cannot pass its log end) until the controller fences it and it
    /// leaves the ISR; then every record is acknowledged, none lost or failed.
    @Test func acksAllWaitsForTheDeadIsrMemberUntilItIsFenced() async throws {
        let s = try Setup(replicationFactor: 3)
        defer { s.shutdown() }
        let producer = try BytesProducer(config: testProducerConfig {
            $0.lingerMs = 0
            $0.requestTimeoutMs = 60_000
        }, client: s.client)
        defer { Task { await producer.close(timeoutMs: 0) } }
        _ = try await producer.send(ProducerRecord(topic: "t", partition: 0, value: [0]))

        func logEnd(_ tp: TopicPartition) -> Int64 { s.cluster.replicaOffsets(tp).values.map(\.logEndOffset).max() ?? 0 }
        let live = try s.partitions.filter { try s.leader($0) != 0 }
        let before = Dictionary(uniqueKeysWithValues: live.map { ($0, logEnd($0)) })
        try s.cluster.killBroker(0)
        let results = SendResults()
        for i in 0 ..< 60 {
            try await producer.send(ProducerRecord(topic: "t", partition: Int32(i % 6), value: Array("r\(i)".utf8)),
                                    completion: results.completion(i))
        }
        try await waitUntil("the live leaders have appended") { live.allSatisfy { logEnd($0) > before[$0]! } }
        #expect(results.count == 0, "acknowledged while broker 0 was still in the ISR: \(results.all.keys.sorted())")

        s.expireSessions()
        try await waitUntil("every record is acknowledged after the fencing") { results.count == 60 }
        #expect(results.failures.isEmpty, "\(results.failures.prefix(3))")
        for tp in s.partitions { #expect(try s.cluster.describeTopic("t").partitions[Int(tp.partition)].isr.contains(0) == false) }
    }
}
