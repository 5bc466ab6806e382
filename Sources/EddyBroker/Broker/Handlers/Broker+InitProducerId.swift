import EddyProtocol
import EddyStorage

/// Served by any running broker for the controller (Kafka forwards it to the controller; here it
/// is in the same process). Expects the cluster lock held.
extension Broker {
    /// InitProducerId for an idempotent producer (no transactional id): a producer id unique
    /// across the cluster and its restarts, epoch 0. Each broker hands out ids from a block of
    /// `Controller.producerIdBlockSize` the controller allocated it in the metadata log, and asks
    /// for the next block when it runs out. The producer id and epoch a re-initialising producer
    /// sends are ignored (as Kafka does without a transactional id). An empty transactional id is
    /// INVALID_REQUEST; any other is UNSUPPORTED_VERSION: eddy has no transactions.
    func handleInitProducerId(_ request: InitProducerIdRequest) -> InitProducerIdResponse {
        if let id = request.transactionalId {
            return request.errorResponse(id.isEmpty ? .invalidRequest : .unsupportedVersion)
        }
        if producerIds.isEmpty {
            do throws(BrokerError) {
                let allocation = try cluster.controller.allocateProducerIds(brokerId: id, brokerEpoch: incarnation, image: cluster.metadataLog.latestImage)
                try cluster.commit(allocation.records)
                producerIds = allocation.block
            } catch {
                cluster.logger.error("could not allocate producer ids", metadata: ["broker": "\(id)", "error": "\(error)"])
                return request.errorResponse(error.errorCode)
            }
        }
        let id = producerIds.lowerBound
        producerIds = id + 1 ..< producerIds.upperBound
        return InitProducerIdResponse(producerId: id, producerEpoch: 0)
    }
}
