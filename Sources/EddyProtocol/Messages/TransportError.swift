/// Why a request got no response from node `n` (the associated value). These are transport
/// failures, never broker answers: a broker's refusal is an `ErrorCode` inside the response.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The node is down, fenced off by a partition, or not a node at all; nothing was sent.
    case brokerUnavailable(Int32)
    /// No response arrived within the transport's timeout (the request may have been processed).
    case timedOut(Int32)
    /// The connection dropped after sending (the request may have been processed).
    case disconnected(Int32)
    /// The connection could not be secured or authenticated: a TLS handshake that failed (an
    /// untrusted or mismatched certificate, ...), or refused credentials. Not retried: the
    /// same connection would fail the same way (Kafka's SslAuthenticationException and
    /// SaslAuthenticationException). The reason never holds a secret.
    case authenticationFailed(Int32, reason: String)

    /// The node the request was for.
    public var node: Int32 {
        switch self {
        case let .brokerUnavailable(n), let .timedOut(n), let .disconnected(n), let .authenticationFailed(n, _): n
        }
    }

    /// Whether the same request may succeed if sent again: every failure but authentication.
    public var isRetriable: Bool {
        if case .authenticationFailed = self { false } else { true }
    }

    /// How a Kafka client reports it: a lost or refused connection is NETWORK_EXCEPTION, a
    /// request that outlived `request.timeout.ms` is REQUEST_TIMED_OUT (both retriable), a
    /// failed authentication SASL_AUTHENTICATION_FAILED (Kafka's only code for one).
    public var errorCode: ErrorCode {
        switch self {
        case .brokerUnavailable, .disconnected: .networkException
        case .timedOut: .requestTimedOut
        case .authenticationFailed: .saslAuthenticationFailed
        }
    }

    public var description: String {
        switch self {
        case let .brokerUnavailable(n): "broker \(n) is unavailable"
        case let .timedOut(n): "request to broker \(n) timed out"
        case let .disconnected(n): "disconnected from broker \(n)"
        case let .authenticationFailed(n, reason): "authentication with broker \(n) failed: \(reason)"
        }
    }
}
