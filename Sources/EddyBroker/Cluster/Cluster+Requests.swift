import EddyProtocol
import EddyStorage

/// Where every transport delivers: the running broker a request is addressed to (see
/// `Broker.handle` for the request path).
extension Cluster {
    /// Entry point of every transport: runs `request` on broker `node` (`Broker.handle`). A
    /// broker that is not running answers `brokerUnavailable`, like a refused connection. The
    /// eddy broker control request is the cluster's own: it starts and stops brokers.
    public func deliver(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                        completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        if case let .eddyBrokerControl(r) = request { return controlBroker(r, via: node, completion: completion) }
        guard let broker = lock.withLock({ isShutDown ? nil : nodes[node] }) else {
            return completion(.failure(.brokerUnavailable(node)))
        }
        broker.handle(request, context: context, completion: completion)
    }

    /// Queues `response` for `respond`, to be sent once the lock is released. Caller holds the lock.
    func queue(_ respond: @escaping @Sendable (KafkaResponse) -> Void, _ response: KafkaResponse) {
        deferred.append { respond(response) }
    }
}
