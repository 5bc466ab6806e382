import EddyProtocol
import EddyStorage
import Synchronization

/// Where every transport delivers: the running broker a request is addressed to (see
/// `Broker.handle` for the request path).
extension Cluster {
    /// Entry point of every transport: runs `request` on broker `node` (`Broker.handle`). A
    /// broker that is not running answers `brokerUnavailable`, like a refused connection. The
    /// eddy broker control request is the cluster's own: it starts and stops brokers.
    public func deliver(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                        completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        if case let .eddyBrokerControl(r) = request { return controlBroker(r, via: node, completion: completion) }
        guard let broker = liveNodes.withLock({ $0[node] }) else {
            return completion(.failure(.brokerUnavailable(node)))
        }
        broker.handle(request, context: context, completion: completion)
    }

    /// `deliver` for a request that can be taken without blocking (see
    /// `Transport.sendIfNonBlocking`): a consumer's Fetch that finds nothing to read parks in
    /// the broker's purgatory at once (`Broker.parkIfNothingToRead`), without the cluster lock.
    /// False, doing nothing, for every other request.
    public func deliverIfNonBlocking(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) -> Bool {
        guard case let .fetch(fetch) = request, fetch.replicaId < 0, fetch.maxWaitMs > 0,
              let broker = liveNodes.withLock({ $0[node] }) else { return false }
        return broker.parkIfNothingToRead(fetch, context: context, respond: countingFetchBytes(on: node) { completion(.success($0)) })
    }

    /// Sends a request between brokers (or from the cluster's own CLI calls): through the
    /// given transport, else straight to `deliver`.
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        if let givenTransport {
            givenTransport.send(request, to: node, context: context, completion: completion)
        } else {
            deliver(request, to: node, context: context, completion: completion)
        }
    }

    /// Whether `send` completes on the calling thread (in-process delivery).
    var sendsOnCallingThread: Bool { givenTransport?.deliversOnCallingThread ?? true }

    /// Queues `response` for `respond`, to be sent once the lock is released. Caller holds the lock.
    func queue(_ respond: @escaping @Sendable (KafkaResponse) -> Void, _ response: KafkaResponse) {
        deferred.append { respond(response) }
    }
}
