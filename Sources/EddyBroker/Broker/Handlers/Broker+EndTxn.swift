import EddyProtocol

/// Expects the cluster lock held; the answer goes to `cluster.deferred`.
extension Broker {
    /// EndTxn, served by the transactional id's coordinator: the commit or abort is answered
    /// once the decision (PrepareCommit or PrepareAbort) is in `__transaction_state`; the
    /// markers follow (see `TransactionCoordinator.endTransaction`, `Cluster.sendMarkers`).
    func handleEndTxn(_ request: EndTxnRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let answer: @Sendable (TransactionReply) -> Void = { reply in respond(.endTxn(request.errorResponse(reply.error))) }
        let availability = transactions.availability(of: request.transactionalId)
        guard availability == .none else { return cluster.deferred.append { answer(TransactionReply(availability)) } }
        let token = transactions.register(answer)
        cluster.carryOutTransactions(transactions.coordinator.endTransaction(
            token, transactionalId: request.transactionalId, producerId: request.producerId, producerEpoch: request.producerEpoch,
            commit: request.committed, now: cluster.clock.nowMs()), on: self)
    }
}
