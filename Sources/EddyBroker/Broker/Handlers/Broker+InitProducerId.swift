import EddyProtocol
import EddyStorage

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process), or by the transaction coordinator of a transactional id. Expects the
/// cluster lock held.
extension Broker {
    /// InitProducerId for an idempotent producer (no transactional id): a producer id unique
    /// across the cluster and its restarts, epoch 0. Each broker hands out ids from a block of
    /// `Controller.producerIdBlockSize` the controller allocated it in the metadata log, and asks
    /// for the next block when it runs out. The producer id and epoch a re-initialising producer
    /// sends are ignored (as Kafka does without a transactional id). With a transactional id it
    /// goes to the transaction coordinator (`handleTransactionalInitProducerId`).
    func handleInitProducerId(_ request: InitProducerIdRequest) -> InitProducerIdResponse {
        switch nextProducerId(durably: false) {
        case let .success(id): InitProducerIdResponse(producerId: id, producerEpoch: 0)
        case let .failure(e): request.errorResponse(e.errorCode)
        }
    }

    /// The next producer id of this broker's block, allocating a new block first when it is
    /// used up (`durably`: the allocation is fsynced before the id is handed out, for answers
    /// that are not held until the metadata is durable).
    func nextProducerId(durably: Bool) -> Result<Int64, BrokerError> {
        if producerIds.isEmpty {
            do throws(BrokerError) {
                let allocation = try cluster.controller.allocateProducerIds(brokerId: id, brokerEpoch: incarnation, image: cluster.metadata.latestImage)
                if durably { try cluster.commitDurably(allocation.records) } else { try cluster.commit(allocation.records) }
                producerIds = allocation.block
            } catch {
                cluster.logger.error("could not allocate producer ids", metadata: ["broker": "\(id)", "error": "\(error)"])
                return .failure(error)
            }
        }
        let next = producerIds.lowerBound
        producerIds = next + 1 ..< producerIds.upperBound
        return .success(next)
    }

    /// InitProducerId with a transactional id, served by its transaction coordinator (Kafka's
    /// `TransactionCoordinator.handleInitProducerId`): answered once `__transaction_state` holds
    /// the new producer id and epoch (see `TransactionCoordinator.initProducerId`). An empty id
    /// is INVALID_REQUEST; a broker that does not coordinate it answers NOT_COORDINATOR (or
    /// COORDINATOR_LOAD_IN_PROGRESS while it loads the partition).
    func handleTransactionalInitProducerId(_ request: InitProducerIdRequest, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        let transactionalId = request.transactionalId ?? ""
        let answer: @Sendable (TransactionReply) -> Void = { reply in
            respond(.initProducerId(InitProducerIdResponse(errorCode: reply.error, producerId: reply.producerId, producerEpoch: reply.producerEpoch)))
        }
        guard !transactionalId.isEmpty else { return cluster.deferred.append { answer(TransactionReply(.invalidRequest)) } }
        let availability = transactions.availability(of: transactionalId)
        guard availability == .none else { return cluster.deferred.append { answer(TransactionReply(availability)) } }
        // Allocated before the state machine runs: a new block is committed to the metadata log,
        // whose publication may load or unload this coordinator's partitions, which must not
        // happen during its call.
        var fresh: Int64?
        if transactions.coordinator.needsNewProducerId(transactionalId), case let .success(id) = nextProducerId(durably: true) { fresh = id }
        coordinateTransaction(transactionalId, answer: answer) { [fresh] c, token, now in
            c.initProducerId(token, transactionalId: transactionalId, timeoutMs: request.transactionTimeoutMs, producerId: request.producerId,
                             producerEpoch: request.producerEpoch, now: now, newProducerId: { fresh })
        }
    }
}
