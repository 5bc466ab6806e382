import EddyProtocol

/// Expects the cluster lock held; the answer goes to `cluster.deferred`.
extension Broker {
    /// AddPartitionsToTxn (v0-3), served by the transactional id's coordinator: the partitions
    /// join the producer's transaction once `__transaction_state` holds them (see
    /// `TransactionCoordinator.addPartitions`). Every partition gets the same error, as from
    /// Kafka's coordinator; partitions of unknown topics are UNKNOWN_TOPIC_OR_PARTITION and the
    /// others then OPERATION_NOT_ATTEMPTED, nothing being added.
    func handleAddPartitionsToTxn(_ request: AddPartitionsToTxnRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let partitions = request.topicPartitions
        let unknown = Set(partitions.filter { cluster.metadata.image.partition($0) == nil })
        if !unknown.isEmpty {
            var response = request.errorResponse(.operationNotAttempted)
            for t in response.results.indices {
                for p in response.results[t].partitions.indices
                    where unknown.contains(TopicPartition(response.results[t].name, response.results[t].partitions[p].partitionIndex)) {
                    response.results[t].partitions[p].errorCode = .unknownTopicOrPartition
                }
            }
            let answer = response
            return cluster.deferred.append { respond(.addPartitionsToTxn(answer)) }
        }
        coordinateTransaction(request.transactionalId, answer: { respond(.addPartitionsToTxn(request.errorResponse($0.error))) }) { c, token, now in
            c.addPartitions(token, transactionalId: request.transactionalId, producerId: request.producerId,
                            producerEpoch: request.producerEpoch, partitions: partitions, now: now)
        }
    }
}
