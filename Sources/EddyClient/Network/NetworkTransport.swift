import EddyProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The `Transport` to brokers over TCP, speaking Kafka's wire protocol (Kafka's `NetworkClient`
/// selector): one connection per broker, opened on first use and reopened after it drops.
///
/// Brokers are known by node id, as everywhere in EddyClient. Before any metadata, only the
/// bootstrap servers are known, as nodes -1, -2, ... (`bootstrapNodes`), as Kafka's clients
/// number them; every Metadata and FindCoordinator response that passes through teaches the
/// transport the advertised address of each broker it names.
///
/// Each new connection first asks ApiVersions (v3, falling back to v0 when the broker answers
/// UNSUPPORTED_VERSION) and every request then goes in the highest version both sides know.
/// A request with no common version is answered locally with UNSUPPORTED_VERSION.
///
/// With a TLS context (`security.protocol=SSL`, see `ClientConnectionConfig`) every connection is
/// wrapped in TLS: the broker's certificate is verified against the configured CAs and, unless
/// ssl.endpoint.identification.algorithm=none, must name the host connected to (its DNS name,
/// sent as SNI, or its IP address). A failed handshake fails the requests with
/// `.authenticationFailed`, which clients do not retry.
///
/// Reconnecting (Kafka's `ClusterConnectionStates`): after a connection to a broker fails or
/// drops, the next one to that broker waits `reconnect.backoff.ms`, doubling with each
/// consecutive failure up to `reconnect.backoff.max.ms` (`ReconnectBackoff`). Requests sent
/// meanwhile wait on the new connection until it is made; a connection that completes its
/// ApiVersions exchange resets the wait.
///
/// Completion contract (`Transport`): exactly once; `.brokerUnavailable` when the connection
/// cannot be made, `.disconnected` when it drops with the request in flight. Timeouts are the
/// caller's (`KafkaClient` arms request.timeout.ms). acks=0 produce requests complete as soon as
/// they are written, with an empty response.
public final class NetworkTransport: Transport, Sendable {
    public let bootstrapServers: [BrokerAddress]
    let clientId: String
    let group: MultiThreadedEventLoopGroup
    let connectTimeoutMs: Int64
    public let reconnectBackoff: ReconnectBackoff
    /// TLS for `security.protocol=SSL` (nil: PLAINTEXT), and whether the broker's certificate
    /// must name the host connected to.
    private let tls: NIOSSLContext?
    /// SASL for `security.protocol=SASL_PLAINTEXT` or SASL_SSL: every connection authenticates.
    private let sasl: ClientConnectionConfig.SaslCredentials?
    /// The clock the backoff is measured on (monotonic milliseconds) and the jitter's draw in
    /// [0, 1): injectable for tests.
    private let now: @Sendable () -> Int64
    private let random: @Sendable () -> Double
    private let state = NIOLockedValueBox(State())

    struct State {
        var addresses: [Int32: BrokerAddress] = [:]
        var connections: [Int32: BrokerConnection] = [:]
        /// Consecutive failed or dropped connections per broker, and when the next may start.
        var failures: [Int32: Int] = [:]
        var reconnectAtMs: [Int32: Int64] = [:]
        var connectionsOpened = 0
        var closed = false
    }

    public init(bootstrapServers: [BrokerAddress], clientId: String = "eddy", connectTimeoutMs: Int64 = 10_000,
                reconnectBackoff: ReconnectBackoff = ReconnectBackoff(), tls: NIOSSLContext? = nil,
                sasl: ClientConnectionConfig.SaslCredentials? = nil,
                now: @escaping @Sendable () -> Int64 = { ClientTime.monotonicMs() },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0 ..< 1) }) {
        self.bootstrapServers = bootstrapServers
        self.clientId = clientId
        self.connectTimeoutMs = connectTimeoutMs
        self.reconnectBackoff = reconnectBackoff
        self.tls = tls
        self.sasl = sasl
        self.now = now
        self.random = random
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        state.withLockedValue { s in
            for (i, a) in bootstrapServers.enumerated() { s.addresses[Self.bootstrapNode(i)] = a }
        }
    }

    /// The node id of bootstrap server `index`: -1, -2, ...
    public static func bootstrapNode(_ index: Int) -> Int32 { -1 - Int32(index) }

    /// The node ids to bootstrap a `KafkaClient` with.
    public var bootstrapNodes: [Int32] { bootstrapServers.indices.map(Self.bootstrapNode) }

    /// The address the transport uses for `node`, if it knows one.
    public func address(of node: Int32) -> BrokerAddress? {
        state.withLockedValue { $0.addresses[node] }
    }

    public func send(_ request: KafkaRequest, to node: Int32, context: RequestContext,
                     completion: @escaping @Sendable (Result<KafkaResponse, TransportError>) -> Void) {
        let nowMs = now()
        let (connection, isNew): (BrokerConnection?, Bool) = state.withLockedValue { s in
            guard !s.closed, let address = s.addresses[node] else { return (nil, false) }
            if let c = s.connections[node], c.isUsable { return (c, false) }
            let delay = max(0, (s.reconnectAtMs[node] ?? nowMs) - nowMs)
            let c = BrokerConnection(node: node, address: address, clientId: clientId, group: group,
                                     connectTimeoutMs: connectTimeoutMs, connectDelayMs: delay, tls: tls, sasl: sasl) { [weak self] connected in
                self?.noteConnection(to: node, connected: connected)
            }
            s.connections[node] = c
            s.connectionsOpened += 1
            return (c, true)
        }
        guard let connection else { return completion(.failure(.brokerUnavailable(node))) }
        if isNew { connection.start() }
        connection.send(request, context: context) { [weak self] result in
            if case let .success(response) = result { self?.learn(from: response) }
            completion(result)
        }
    }

    /// A connection to `node` completed its ApiVersions exchange (`connected`), or failed or
    /// dropped: the next connection to it waits the backoff.
    private func noteConnection(to node: Int32, connected: Bool) {
        let nowMs = now(), draw = random()
        state.withLockedValue { s in
            if connected {
                s.failures[node] = nil
                s.reconnectAtMs[node] = nil
            } else {
                let failures = (s.failures[node] ?? 0) + 1
                s.failures[node] = failures
                s.reconnectAtMs[node] = nowMs + reconnectBackoff.delayMs(failures: failures, random: draw)
            }
        }
    }

    /// What `node` advertised on the current connection to it, once negotiated.
    public func advertisedVersions(of node: Int32) -> [ApiKey: ClosedRange<Int16>]? {
        state.withLockedValue { $0.connections[node] }?.advertisedVersions
    }

    /// How long a new connection to `node` would wait now before connecting.
    func reconnectDelayMs(to node: Int32) -> Int64 {
        let nowMs = now()
        return state.withLockedValue { max(0, ($0.reconnectAtMs[node] ?? nowMs) - nowMs) }
    }

    /// The brokers it knows an address for, bootstrap servers (negative ids) included.
    var knownNodes: [Int32] { state.withLockedValue { $0.addresses.keys.sorted() } }

    /// Connections opened so far (for tests).
    var connectionsOpened: Int { state.withLockedValue { $0.connectionsOpened } }

    /// Drops the connection to `node` after a request timed out (see `Transport`); the next
    /// connection waits the backoff, as after any other drop.
    public func requestTimedOut(to node: Int32) {
        let connection: BrokerConnection? = state.withLockedValue { $0.connections.removeValue(forKey: node) }
        connection?.drop()
    }

    /// Records the brokers a response names. Metadata lists every live broker: one that it no
    /// longer lists (stopped, fenced, removed) is forgotten and its connection closed, so that
    /// nothing waits on it; the bootstrap servers are kept.
    private func learn(from response: KafkaResponse) {
        var found: [(Int32, BrokerAddress)] = []
        var live: Set<Int32>?
        switch response {
        case let .metadata(m):
            found = m.brokers.map { ($0.nodeId, BrokerAddress(host: $0.host, port: Int($0.port))) }
            if !m.brokers.isEmpty { live = Set(m.brokers.map(\.nodeId)) }
        case let .findCoordinator(f):
            if f.errorCode == .none, f.nodeId >= 0 { found.append((f.nodeId, BrokerAddress(host: f.host, port: Int(f.port)))) }
            for c in f.coordinators where c.errorCode == .none && c.nodeId >= 0 {
                found.append((c.nodeId, BrokerAddress(host: c.host, port: Int(c.port))))
            }
        default:
            return
        }
        guard !found.isEmpty else { return }
        let stale: [BrokerConnection] = state.withLockedValue { s in
            var stale: [BrokerConnection] = []
            for (id, address) in found where s.addresses[id] != address {
                s.addresses[id] = address
                if let c = s.connections.removeValue(forKey: id) { stale.append(c) }
            }
            if let live {
                for id in s.addresses.keys where id >= 0 && !live.contains(id) {
                    s.addresses[id] = nil
                    if let c = s.connections.removeValue(forKey: id) { stale.append(c) }
                }
            }
            return stale
        }
        for c in stale { c.close() }
    }

    /// Closes every connection; requests in flight complete with `.disconnected`.
    public func close() {
        let connections: [BrokerConnection] = state.withLockedValue { s in
            s.closed = true
            defer { s.connections = [:] }
            return Array(s.connections.values)
        }
        for c in connections { c.close() }
        group.shutdownGracefully { _ in }
    }
}
