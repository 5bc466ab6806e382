import EddyProtocol
import EddyStorage

/// Expects the cluster lock held (the producer states are read from memory).
extension Broker {
    /// DescribeProducers (KIP-664, Kafka's `ReplicaManager.activeProducerState`): for each
    /// partition this broker leads, every producer its log remembers, with its epoch, last
    /// sequence and timestamp, the coordinator epoch of its last marker and the first offset of
    /// its open transaction (-1: none). UNKNOWN_TOPIC_OR_PARTITION for an unknown partition,
    /// NOT_LEADER_OR_FOLLOWER where this broker does not lead.
    func handleDescribeProducers(_ request: DescribeProducersRequest) -> DescribeProducersResponse {
        DescribeProducersResponse(topics: request.topics.map { t in
            .init(name: t.name, partitions: t.partitionIndexes.map { p in
                let replica: Replica
                switch leaderReplica(TopicPartition(t.name, p)) {
                case let .success(r): replica = r
                case let .failure(e): return .init(partitionIndex: p, errorCode: e)
                }
                let producers = replica.log.producerStateSnapshot.producers.values.sorted { $0.producerId < $1.producerId }
                return .init(partitionIndex: p, activeProducers: producers.map { e in
                    .init(producerId: e.producerId, producerEpoch: Int32(e.producerEpoch), lastSequence: e.lastSequence,
                          lastTimestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch,
                          currentTxnStartOffset: e.currentTxnFirstOffset ?? -1)
                })
            })
        })
    }
}
