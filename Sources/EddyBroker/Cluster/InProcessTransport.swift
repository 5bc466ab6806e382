import EddyProtocol

/// The transport for clients and brokers that live in the same process as the cluster: a
/// request is handed straight to the addressed broker's handler and the response comes back
/// through the same call chain. A stopped or killed broker answers `brokerUnavailable`, as a
/// closed connection would.
public final class InProcessTransport: Transport, @unchecked Sendable {
    weak var cluster: Cluster?

    public init() {}

    /// Requests go straight to `Cluster.deliver` on the caller's thread.
    public var deliversOnCallingThread: Bool { true }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        guard let cluster else { return completion(.failure(.brokerUnavailable(node))) }
        cluster.deliver(request, to: node, context: context, completion: completion)
    }
}
