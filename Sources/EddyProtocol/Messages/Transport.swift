/// How clients (and follower brokers) reach brokers. The in-process transport dispatches
/// straight to the cluster in the same process; a simulated one delays, drops and partitions;
/// EddyClient's `NetworkTransport` speaks Kafka's protocol over TCP.
///
/// Contract: `completion` is called exactly once per `send`, possibly on another thread and
/// possibly before `send` returns. A transport that drops a request still completes it, with
/// `.timedOut` or `.disconnected`, so callers never wait forever.
public protocol Transport: Sendable {
    func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
              completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void)

    /// Whether `send` hands the request to the broker on the calling thread, with no thread or
    /// network in between (an in-process transport). A cluster driver uses it to decide whether
    /// followers may copy appends on the appending thread; a transport that does not say so is
    /// taken to deliver elsewhere.
    var deliversOnCallingThread: Bool { get }

    /// Hands `request` to the broker only if the broker can take it on the calling thread
    /// without blocking: no disk I/O, and no waiting for a lock that a thread doing disk I/O may
    /// hold. Returns false, without calling `completion`, otherwise; then `send` it as usual.
    /// For a network server's event loop, which must never block: it tries the requests that
    /// usually only wait (a caught-up consumer's Fetch, which parks until records arrive) here,
    /// and sends the rest from a work queue. When it returns true, `completion` is called
    /// exactly once, as for `send` (usually later, from another thread).
    func sendIfNonBlocking(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                           completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) -> Bool

    /// The API versions broker `node` advertised in ApiVersions, once a connection to it has
    /// asked; nil while unknown, and for transports that do not negotiate (the in-process one
    /// reaches eddy's own brokers, which serve `SupportedApis`). Clients use it to tell an eddy
    /// cluster (which advertises its admin extension) from others, whose answers may need the
    /// workarounds documented where they are applied.
    func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]?

    /// A request to `node` got no answer within its timeout: drop the connection to it, as
    /// Kafka's NetworkClient does, so that the requests behind it (a broker answers a
    /// connection's requests in order) do not wait for it too; they fail with `.disconnected`
    /// and the next request opens a new connection. Nothing for transports without connections.
    func requestTimedOut(to node: Int32)
}

extension Transport {
    public var deliversOnCallingThread: Bool { false }

    public func sendIfNonBlocking(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                                  completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) -> Bool {
        false
    }

    public func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? { nil }

    public func requestTimedOut(to node: Int32) {}

    /// `send` as an async call. Cancelling the calling task does not abandon the request: it
    /// returns when the transport completes it (which the contract guarantees).
    public func send(_ request: KafkaRequest, to node: Int32,
                     context: RequestContext = RequestContext()) async throws(TransportError) -> KafkaResponse {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<KafkaResponse, TransportError>, Never>) in
            send(request, to: node, context: context) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}

/// The broker side: what a transport delivers requests to (eddy's `Broker`). `completion` is
/// called exactly once, possibly later and on another thread (e.g. an acks=all produce waits for
/// the high watermark, a fetch for `minBytes`), with a response of the request's API key, or
/// with `brokerUnavailable` when the broker stopped, as a closed connection would fail it.
public protocol RequestHandler: Sendable {
    func handle(_ request: KafkaRequest, context: RequestContext,
                completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void)
}
