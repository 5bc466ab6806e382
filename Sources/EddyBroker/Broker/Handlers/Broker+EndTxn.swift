import EddyProtocol

/// Expects the cluster lock held; the answer goes to `cluster.deferred`.
extension Broker {
    /// EndTxn, served by the transactional id's coordinator: the commit or abort is answered
    /// once the decision (PrepareCommit or PrepareAbort) is in `__transaction_state`; the
    /// markers follow (see `TransactionCoordinator.endTransaction`, `Cluster.sendMarkers`).
    func handleEndTxn(_ request: EndTxnRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        coordinateTransaction(request.transactionalId, answer: { respond(.endTxn(request.errorResponse($0.error))) }) { c, token, now in
            c.endTransaction(token, transactionalId: request.transactionalId, producerId: request.producerId,
                             producerEpoch: request.producerEpoch, commit: request.committed, now: now)
        }
    }
}
