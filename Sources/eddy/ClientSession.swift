import EddyClient
import EddyProtocol
import NIOSSL

/// What `eddy produce` and `eddy consume` need from where the cluster is: clients, and a way to
/// let go of the cluster while input or new records are awaited. A data directory (`Session`)
/// is released while idle so other eddy commands can use it; a running server
/// (`RemoteSession`, `--bootstrap-server`) is shared by nature and stays connected.
protocol ClientSession: AnyObject {
    var isOpen: Bool { get }
    /// Whether idle waits should `suspend()` (and so stop producers and consumers first).
    var releasesWhenIdle: Bool { get }
    func makeClient(clientId: String, requestTimeoutMs: Int64) -> KafkaClient
    func suspend() throws
    /// Returns false if interrupted while waiting to get the cluster back.
    func resume() throws -> Bool
    func close() throws
}

extension Session: ClientSession {
    var releasesWhenIdle: Bool { true }
}

/// A running cluster reached over the network (`--bootstrap-server`, with `--command-config`).
final class RemoteSession: ClientSession {
    let transport: NetworkTransport
    let cluster: RemoteCluster
    private let tls: NIOSSLContext?
    private(set) var isOpen = true

    init(_ cluster: RemoteCluster, clientId: String) throws {
        self.cluster = cluster
        do {
            tls = try cluster.config.makeTLSContext()
        } catch {
            throw EddyError("--command-config: \(error)")
        }
        transport = Self.makeTransport(cluster, tls: tls, clientId: clientId)
    }

    private static func makeTransport(_ cluster: RemoteCluster, tls: NIOSSLContext?, clientId: String) -> NetworkTransport {
        NetworkTransport(bootstrapServers: cluster.servers, clientId: cluster.config.clientId ?? clientId,
                         reconnectBackoff: cluster.config.reconnectBackoff, tls: tls, sasl: cluster.config.sasl)
    }

    /// Another transport to the same cluster with the same settings: connections of its own.
    func makeTransport(clientId: String) -> NetworkTransport {
        Self.makeTransport(cluster, tls: tls, clientId: clientId)
    }

    /// A session whose bootstrap servers answered a Metadata request. Where nothing answers
    /// (connection refused, no route, no reply within 10 s), this fails at once with one line
    /// naming the addresses, rather than after the admin client's default.api.timeout.ms; a
    /// failed TLS handshake fails at once too, with its reason.
    /// How `connect` checks that the cluster answers: a Metadata request (what every command
    /// needs next), or for `eddy broker` only ApiVersions, which a server answers on every
    /// listener, even one whose broker is stopped (when every broker is, `broker start` must
    /// still get through).
    enum Probe { case metadata, apiVersions }

    static func connect(_ servers: RemoteCluster, clientId: String, probe: Probe = .metadata) throws -> RemoteSession {
        let session = try RemoteSession(servers, clientId: clientId)
        // At most 10 s, whatever request.timeout.ms is: the point is to fail fast.
        let client = KafkaClient(transport: session.transport, bootstrapNodes: session.transport.bootstrapNodes,
                                 clientId: servers.config.clientId ?? clientId,
                                 requestTimeoutMs: min(10_000, servers.config.requestTimeoutMs ?? 10_000))
        defer { client.close() }
        do {
            switch probe {
            case .metadata: _ = try interruptibleAwait { try await client.refreshMetadata(topics: []) }
            case .apiVersions: _ = try interruptibleAwait { try await client.sendToAnyBroker(.apiVersions(ApiVersionsRequest())) }
            }
        } catch {
            try? session.close()
            if case let ClientError.transport(.authenticationFailed(node, reason)) = error {
                let address = session.transport.address(of: node)?.description ?? "broker \(node)"
                let source = servers.named.map { "of cluster \($0) in clusters.properties" } ?? "of --command-config"
                let settings = reason.hasPrefix("SASL ") ? "sasl.mechanism, sasl.username and sasl.password" : "ssl.* settings"
                throw EddyError("\(address): \(reason) (security.protocol=\(servers.config.securityProtocol.rawValue); check the \(settings) \(source))")
            }
            if case let ClientError.transport(e) = error, e.node < 0 {
                // A connection closed at once may be a TLS listener that a plaintext client spoke to.
                let hint = e != .disconnected(e.node) ? ""
                    : servers.config.securityProtocol == .plaintext
                    ? " (if it is an SSL or SASL listener, give --command-config with security.protocol=SSL, SASL_PLAINTEXT or SASL_SSL)"
                    : " (if it is a PLAINTEXT listener, security.protocol=\(servers.config.securityProtocol.rawValue) does not fit it)"
                throw EddyError("cannot reach \(servers.name): \(e); is eddy serve (or Kafka) running there?\(hint)")
            }
            throw error
        }
        return session
    }

    var releasesWhenIdle: Bool { false }

    func makeClient(clientId: String, requestTimeoutMs: Int64) -> KafkaClient {
        KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: cluster.config.clientId ?? clientId,
                    requestTimeoutMs: cluster.config.requestTimeoutMs ?? requestTimeoutMs)
    }

    func suspend() throws {}
    func resume() throws -> Bool { true }

    func close() throws {
        guard isOpen else { return }
        isOpen = false
        transport.close()
    }

    /// Runs `body` with an admin client of this session.
    /// Runs `body` with an admin client; Ctrl-C ends it at once (`interruptibleAwait`), unless
    /// `interruptible` is false: bodies that watch `Signals` themselves and stop cleanly.
    func withAdmin<T: Sendable>(clientId: String = "eddy-admin", interruptible: Bool = true,
                                _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        let client = makeClient(clientId: clientId, requestTimeoutMs: 30_000)
        defer { client.close() }
        guard interruptible else { return try blockingAwait { try await body(Admin(client: client)) } }
        return try interruptibleAwait { try await body(Admin(client: client)) }
    }
}
