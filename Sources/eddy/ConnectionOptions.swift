import ArgumentParser
import EddyClient

/// Where a command finds the cluster: the data directory (`--data-dir`, the cluster runs in this
/// process for the command's duration) or a running server (`--bootstrap-server`, Kafka's flag:
/// `eddy serve` or any Kafka cluster, reached over the network).
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(name: .customLong("bootstrap-server"), help: ArgumentHelp(
        "Use the running cluster at HOST:PORT[,HOST:PORT...] (eddy serve or a Kafka cluster) instead of a data directory.",
        valueName: "host:port"))
    var bootstrapServer: String?

    /// The bootstrap servers, when `--bootstrap-server` was given.
    var bootstrapServers: [BrokerAddress]? { bootstrapServer.flatMap(BrokerAddress.list) }

    func validate() throws {
        if let bootstrapServer {
            guard BrokerAddress.list(bootstrapServer) != nil else {
                throw ValidationError("--bootstrap-server must be HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:9092; got '\(bootstrapServer)'")
            }
            if dataDirectory.dataDir != nil {
                throw ValidationError("--bootstrap-server and --data-dir name two different clusters; give one of them")
            }
        }
    }
}

/// A command's clients over the network (`--bootstrap-server`).
enum Remote {
    /// Runs `body` with an admin client connected to `servers`, then closes the connections.
    static func withAdmin<T: Sendable>(_ servers: [BrokerAddress], clientId: String,
                                       _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        let session = try RemoteSession.connect(servers, clientId: clientId)
        defer { try? session.close() }
        return try session.withAdmin(clientId: clientId, body)
    }
}
