import EddyProtocol
import NIOConcurrencyHelpers

/// A transport that counts the requests sent through it, by API, and passes them on unchanged:
/// what a console refresh costs the cluster, for `eddy bench console` and the tests that bound
/// it (eddy(1) documents the counts).
public final class CountingTransport: Transport {
    public let inner: any Transport
    private let counts = NIOLockedValueBox<[ApiKey: Int]>([:])

    public init(_ inner: any Transport) { self.inner = inner }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        counts.withLockedValue { $0[request.apiKey, default: 0] += 1 }
        inner.send(request, to: node, context: context, completion: completion)
    }

    public var deliversOnCallingThread: Bool { inner.deliversOnCallingThread }

    public func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? { inner.advertisedVersions(of: node) }

    public func requestTimedOut(to node: Int32) { inner.requestTimedOut(to: node) }

    /// The counts since the last call, which start again from zero.
    public func take() -> [ApiKey: Int] { counts.withLockedValue { c in defer { c = [:] }; return c } }
}
