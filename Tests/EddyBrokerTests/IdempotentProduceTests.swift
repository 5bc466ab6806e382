import EddyProtocol
import EddyStorage
import Foundation
import Testing
@testable import EddyBroker

/// Idempotent produce through the transport: retries are acknowledged with their original
/// offsets and not written twice; gaps and zombie epochs are refused.
@Suite struct IdempotentProduceTests {
    func produce(_ s: ServedCluster, _ tp: TopicPartition, _ records: [UInt8], acks: Int16 = -1) throws -> ProduceResponse.PartitionProduceResponse {
        let leader = try s.cluster.leader(of: tp)
        guard case let .produce(r) = try s.call(.produce(ProduceRequest(topic: tp.topic, partition: tp.partition, records: records, acks: acks)), to: leader),
              let p = r.partition(topic: tp.topic, partition: tp.partition) else { throw TestFailure("not Produce") }
        return p
    }

    @Test func aRetriedBatchIsAcknowledgedWithItsOriginalOffsetAndNotWrittenTwice() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        guard case let .initProducerId(pid) = try s.call(.initProducerId(InitProducerIdRequest()), to: 0) else { throw TestFailure("no pid") }
        #expect(try produce(s, tp, servedBatch(["other"])).baseOffset == 0)
        let first = servedBatch(["a", "b"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 0)
        let second = servedBatch(["c"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 2)
        #expect(try produce(s, tp, first).baseOffset == 1)
        #expect(try produce(s, tp, second).baseOffset == 3)
        // Both retried (e.g. after lost responses), under acks=all and acks=1.
        let retry = try produce(s, tp, first)
        #expect(retry.errorCode == .none && retry.baseOffset == 1)
        #expect(try produce(s, tp, second, acks: 1).baseOffset == 3)
        s.pump()
        let offsets = s.cluster.replicaOffsets(tp)
        #expect(offsets.values.allSatisfy { $0.logEndOffset == 4 && $0.highWatermark == 4 })

        // A gap and an unknown sequence are refused, as is an older epoch.
        let gap = try produce(s, tp, servedBatch(["x"], producerId: pid.producerId, epoch: pid.producerEpoch, sequence: 10))
        #expect(gap.errorCode == .outOfOrderSequenceNumber)
        let bumped = try produce(s, tp, servedBatch(["y"], producerId: pid.producerId, epoch: 1, sequence: 0))
        #expect(bumped.errorCode == .none && bumped.baseOffset == 4)
        let zombie = try produce(s, tp, servedBatch(["z"], producerId: pid.producerId, epoch: 0, sequence: 3))
        #expect(zombie.errorCode == .invalidProducerEpoch)
        #expect(s.cluster.replicaOffsets(tp)[try s.cluster.leader(of: tp)]?.logEndOffset == 5)
    }

    /// The new leader after a failover knows the producers (it replicated their batches).
    @Test func duplicatesAreDetectedAfterALeaderChange() throws {
        let s = try ServedCluster(); defer { s.close() }
        try s.cluster.createTopic("t", partitions: 1, replicationFactor: 3)
        let tp = TopicPartition("t", 0)
        let batch = servedBatch(["a"], producerId: 42, epoch: 0, sequence: 0)
        #expect(try produce(s, tp, batch).baseOffset == 0)
        s.pump()
        let old = try s.cluster.leader(of: tp)
        try s.cluster.stopBroker(old)
        #expect(try s.cluster.leader(of: tp) != old)
        let retry = try produce(s, tp, batch)
        #expect(retry.errorCode == .none && retry.baseOffset == 0)
        #expect(s.cluster.replicaOffsets(tp).values.allSatisfy { $0.logEndOffset == 1 })
    }

    @Test func clientsCannotProduceToInternalTopics() throws {
        let s = try ServedCluster(brokers: 1); defer { s.close() }
        _ = try s.coordinator(of: "g")
        let tp = TopicPartition(OffsetsTopic.name, 0)
        #expect(try produce(s, tp, servedBatch(["x"])).errorCode == .invalidTopicException)
        guard case let .metadata(m) = try s.call(.metadata(MetadataRequest(topics: [OffsetsTopic.name])), to: 0) else {
            throw TestFailure("not Metadata")
        }
        #expect(m.topics.first?.isInternal == true)
    }
}
