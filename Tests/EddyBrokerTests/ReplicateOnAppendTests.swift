import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Followers replicating on the appending thread while a `ClusterDriver` runs over the
/// in-process transport (`Cluster+ReplicateOnAppend`). The driver's tick is set far away, so
/// anything replicated here was replicated by the thread that sent the request.
@Suite struct ReplicateOnAppendTests {
    let tp = TopicPartition("t", 0)

    func produce(_ values: [String], acks: Int16 = -1) -> KafkaRequest {
        .produce(ProduceRequest(topic: "t", partition: 0, records: servedBatch(values), acks: acks))
    }

    func produceResponse(_ sent: SentRequest) throws -> ProduceResponse.PartitionProduceResponse {
        guard case let .produce(p) = try #require(sent.response) else { throw TestFailure("not a Produce response") }
        return try #require(p.partition(topic: "t", partition: 0))
    }

    /// A served cluster with topic t (one partition, 3 replicas, min.insync.replicas 2), settled.
    func makeCluster() throws -> ServedCluster {
        let s = try ServedCluster()
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3, configs: ["min.insync.replicas": "2"])
        s.pump()
        return s
    }

    @Test func anAcksAllProduceIsAnsweredBeforeTheSendReturns() throws {
        let s = try makeCluster(); defer { s.close() }
        let driver = ClusterDriver(cluster: s.cluster, tickIntervalMs: 600_000)
        driver.start()
        defer { driver.stop() }
        let leader = try s.cluster.leader(of: tp)
        let waiting = s.send(.fetch(FetchRequest(topic: "t", partition: 0, fetchOffset: 0, maxWaitMs: 10_000, minBytes: 1)), to: leader)
        #expect(!waiting.isAnswered)

        let sent = s.send(produce(["a", "b", "c"]), to: leader)
        let answer = try produceResponse(sent)
        #expect(answer.errorCode == ErrorCode.none)
        #expect(answer.baseOffset == 0)
        // The consumer's waiting fetch was answered by the same high watermark advance.
        guard case let .fetch(f) = try #require(waiting.response) else { throw TestFailure("not a Fetch response") }
        #expect(try MemoryRecords.records(in: f.partition(topic: "t", partition: 0)?.records ?? []).count == 3)
        // Every follower holds the records; they are committed on the leader.
        let offsets = s.cluster.replicaOffsets(tp)
        #expect(offsets.count == 3)
        #expect(offsets[leader]?.highWatermark == 3)
        for (broker, o) in offsets { #expect(o.logEndOffset == 3, "broker \(broker): LEO \(o.logEndOffset)") }
        #expect(s.cluster.lock.withLock { s.cluster.appendedPartitions.isEmpty && !s.cluster.replicatingAppended })
        // The followers learn the high watermark in their next fetch.
        s.cluster.replicationRound()
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.highWatermark == 3 })
    }

    @Test func acksOneIsReplicatedOnTheAppendingThreadToo() throws {
        let s = try makeCluster(); defer { s.close() }
        let driver = ClusterDriver(cluster: s.cluster, tickIntervalMs: 600_000)
        driver.start()
        defer { driver.stop() }
        let leader = try s.cluster.leader(of: tp)
        for i in 0 ..< 5 {
            let sent = s.send(produce(["v\(i)"], acks: 1), to: leader)
            #expect(try produceResponse(sent).baseOffset == Int64(i))
        }
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.logEndOffset == 5 })
        #expect(s.cluster.replicaOffsets(tp)[leader]?.highWatermark == 5)
    }

    /// A stopped follower has left the ISR: the rounds stop once the running replicas caught up,
    /// and the produce is acknowledged by the two that remain (min.insync.replicas 2).
    @Test func aStoppedFollowerDoesNotHoldBackTheAcknowledgement() throws {
        let s = try makeCluster(); defer { s.close() }
        let leader = try s.cluster.leader(of: tp)
        let follower = try #require(s.cluster.metadataImage.partition(tp)?.replicas.first { $0 != leader })
        try s.cluster.stopBroker(follower)
        let driver = ClusterDriver(cluster: s.cluster, tickIntervalMs: 600_000)
        driver.start()
        defer { driver.stop() }
        let sent = s.send(produce(["a"]), to: leader)
        #expect(try produceResponse(sent).errorCode == ErrorCode.none)
        let offsets = s.cluster.replicaOffsets(tp)
        #expect(offsets.count == 2)
        #expect(offsets.values.allSatisfy { $0.logEndOffset == 1 })
        #expect(offsets[leader]?.highWatermark == 1)
    }

    /// Without a driver nothing replicates behind the caller's back: the produce waits for the
    /// rounds the caller runs (tests and the simulation depend on it).
    @Test func withoutADriverReplicationWaitsForRounds() throws {
        let s = try makeCluster(); defer { s.close() }
        let leader = try s.cluster.leader(of: tp)
        let sent = s.send(produce(["a"]), to: leader)
        #expect(!sent.isAnswered)
        #expect(s.cluster.lock.withLock { s.cluster.appendedPartitions.isEmpty })
        s.cluster.replicationRound()
        #expect(!sent.isAnswered)
        s.cluster.replicationRound()
        #expect(try produceResponse(sent).errorCode == ErrorCode.none)
    }

    /// After the driver stops, appends go back to waiting for explicit rounds.
    @Test func stoppingTheDriverEndsReplicationOnAppend() throws {
        let s = try makeCluster(); defer { s.close() }
        let driver = ClusterDriver(cluster: s.cluster, tickIntervalMs: 600_000)
        driver.start()
        driver.stop()
        let leader = try s.cluster.leader(of: tp)
        let sent = s.send(produce(["a"]), to: leader)
        #expect(!sent.isAnswered)
        s.pump()
        #expect(try produceResponse(sent).errorCode == ErrorCode.none)
    }
}

/// Replication on the appending thread depends on what the transport says of itself
/// (`Transport.deliversOnCallingThread`), not on its concrete type.
@Suite struct ReplicateOnAppendTransportTests {
    /// Forwards to the cluster on the calling thread, and says so or not.
    final class ForwardingTransport: Transport, @unchecked Sendable {
        weak var cluster: Cluster?
        let deliversOnCallingThread: Bool
        init(inline: Bool) { deliversOnCallingThread = inline }
        func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
            guard let cluster else { return completion(.failure(.brokerUnavailable(node))) }
            cluster.deliver(request, to: node, context: context, completion: completion)
        }
    }

    @Test(arguments: [true, false]) func theDriverAsksTheTransport(inline: Bool) throws {
        let dir = TempDirectory("transport-kind")
        defer { dir.cleanup() }
        let transport = ForwardingTransport(inline: inline)
        var options = ClusterOptions()
        options.randomSeed = 5
        let cluster = try Cluster(dataDirectory: dir.path, clock: ManualClock(), options: options, transport: transport)
        transport.cluster = cluster
        defer { try? cluster.shutdown() }
        let driver = ClusterDriver(cluster: cluster, tickIntervalMs: 600_000)
        driver.start()
        defer { driver.stop() }
        #expect(cluster.lock.withLock { cluster.replicateOnAppend } == inline)
    }
}
