import EddyClient

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

/// A running cluster reached over the network (`--bootstrap-server`).
final class RemoteSession: ClientSession {
    let transport: NetworkTransport
    private(set) var isOpen = true

    init(servers: [BrokerAddress], clientId: String) {
        transport = NetworkTransport(bootstrapServers: servers, clientId: clientId)
    }

    /// A session whose bootstrap servers answered a Metadata request. Where nothing answers
    /// (connection refused, no route, no reply within 10 s), this fails at once with one line
    /// naming the addresses, rather than after the admin client's default.api.timeout.ms.
    static func connect(_ servers: [BrokerAddress], clientId: String) throws -> RemoteSession {
        let session = RemoteSession(servers: servers, clientId: clientId)
        let client = session.makeClient(clientId: clientId, requestTimeoutMs: 10_000)
        defer { client.close() }
        do {
            _ = try interruptibleAwait { try await client.refreshMetadata(topics: []) }
        } catch {
            try? session.close()
            if case let ClientError.transport(e) = error, e.node < 0 {
                throw EddyError("cannot reach \(servers.map(\.description).joined(separator: ",")): \(e); is eddy serve (or Kafka) running there?")
            }
            throw error
        }
        return session
    }

    var releasesWhenIdle: Bool { false }

    func makeClient(clientId: String, requestTimeoutMs: Int64) -> KafkaClient {
        KafkaClient(transport: transport, bootstrapNodes: transport.bootstrapNodes, clientId: clientId,
                    requestTimeoutMs: requestTimeoutMs)
    }

    func suspend() throws {}
    func resume() throws -> Bool { true }

    func close() throws {
        guard isOpen else { return }
        isOpen = false
        transport.close()
    }

    /// Runs `body` with an admin client of this session.
    func withAdmin<T: Sendable>(clientId: String = "eddy-admin", _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        let client = makeClient(clientId: clientId, requestTimeoutMs: 30_000)
        defer { client.close() }
        return try interruptibleAwait { try await body(Admin(client: client)) }
    }
}
