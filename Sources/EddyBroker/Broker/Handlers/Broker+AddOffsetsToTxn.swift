import EddyProtocol

/// Expects the cluster lock held; the answer goes to `cluster.deferred`.
extension Broker {
    /// AddOffsetsToTxn, served by the transactional id's coordinator: the group's
    /// `__consumer_offsets` partition joins the transaction (Kafka's coordinator adds it as
    /// AddPartitionsToTxn would), so that the offsets the producer then commits with
    /// TxnOffsetCommit are committed or aborted with it.
    func handleAddOffsetsToTxn(_ request: AddOffsetsToTxnRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let answer: @Sendable (TransactionReply) -> Void = { reply in respond(.addOffsetsToTxn(request.errorResponse(reply.error))) }
        guard !request.groupId.isEmpty else { return cluster.deferred.append { answer(TransactionReply(.invalidGroupId)) } }
        let offsetsTopic: TopicImage
        do { offsetsTopic = try cluster.ensureOffsetsTopic() } catch {
            return cluster.deferred.append { answer(TransactionReply(.coordinatorNotAvailable)) }
        }
        let partition = TopicPartition(OffsetsTopic.name,
                                       OffsetsTopic.partitionFor(groupId: request.groupId, partitionCount: Int32(max(1, offsetsTopic.partitionCount))))
        coordinateTransaction(request.transactionalId, answer: answer) { c, token, now in
            c.addPartitions(token, transactionalId: request.transactionalId, producerId: request.producerId,
                            producerEpoch: request.producerEpoch, partitions: [partition], now: now)
        }
    }
}
