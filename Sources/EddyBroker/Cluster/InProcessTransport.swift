import EddyProtocol

/// The transport for clients and brokers that live in the same process as the cluster: a
/// request is handed straight to the addressed broker's handler and the response comes back
/// through the same call chain. A stopped or killed broker answers `brokerUnavailable`, as a
/// closed connection would.
///
/// It holds its cluster strongly: a client keeps the cluster object alive (not running: a
/// cluster that was shut down answers `brokerUnavailable`). The cluster itself holds none
/// (`Cluster.transport` makes one for each caller), so there is no cycle, and no weak
/// reference: a weakly referenced object pays for every retain and release of it, and the
/// cluster is retained on every request.
public final class InProcessTransport: Transport, Sendable {
    let cluster: Cluster

    init(cluster: Cluster) {
        self.cluster = cluster
    }

    /// Requests go straight to `Cluster.deliver` on the caller's thread.
    public var deliversOnCallingThread: Bool { true }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        cluster.deliver(request, to: node, context: context, completion: completion)
    }

    /// A caught-up consumer's Fetch parks at once (`Cluster.deliverIfNonBlocking`).
    public func sendIfNonBlocking(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) -> Bool {
        cluster.deliverIfNonBlocking(request, to: node, context: context, completion: completion)
    }
}
