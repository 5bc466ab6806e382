import ArgumentParser
import EddyClient
import EddyProtocol
import EddySasl
import Foundation

/// Where a command finds the cluster: the data directory (`--data-dir`, the cluster runs in this
/// process for the command's duration) or a running server (`--bootstrap-server`, Kafka's flag:
/// `eddy serve` or any Kafka cluster, reached over the network).
struct ConnectionOptions: ParsableArguments {
    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(name: .customLong("bootstrap-server"), help: ArgumentHelp(
        "Use the running cluster at HOST:PORT[,HOST:PORT...] (eddy serve or a Kafka cluster) instead of a data directory.",
        valueName: "host:port"))
    var bootstrapServer: String?

    @Option(name: .customLong("cluster"), help: ArgumentHelp(
        "Use the cluster named NAME in $XDG_CONFIG_HOME/eddy/clusters.properties (its bootstrap servers and client properties).",
        valueName: "name"))
    var cluster: String?

    @Option(name: .customLong("command-config"), help: ArgumentHelp(
        "With --bootstrap-server: a file of client properties (security.protocol, ssl.ca.location, ...; see eddy(1)).",
        valueName: "file"))
    var commandConfig: String?

    /// The cluster over the network, when `--bootstrap-server` was given, with the client
    /// properties of `--command-config`. Throws if that file cannot be read (it was checked
    /// by `validate`, but may have changed since).
    func remote() throws -> RemoteCluster? {
        if let cluster {
            return RemoteCluster(try Self.namedCluster(cluster))
        }
        guard let bootstrapServer, let servers = BrokerAddress.list(bootstrapServer) else { return nil }
        return RemoteCluster(servers: servers, config: try commandConfig.map(Self.readCommandConfig) ?? ClientConnectionConfig())
    }

    /// The cluster `name` of the catalog (`ClusterCatalog`), or an error naming the file and
    /// the clusters it has.
    static func namedCluster(_ name: String, warn: Bool = true) throws -> ClusterCatalog.Entry {
        let path = ClusterCatalog.path(environment: ProcessInfo.processInfo.environment)
        let catalog: ClusterCatalog
        do {
            catalog = try ClusterCatalog.load(path: path)
        } catch {
            throw EddyError("--cluster: \(error)")
        }
        if warn, catalog.clusters.contains(where: { $0.config.keyPassword != nil || $0.config.sasl != nil }) { warnIfReadableByOthers(path) }
        guard let entry = catalog[name] else {
            let known = catalog.names.isEmpty
                ? "\(path) names no clusters (add cluster.\(name).bootstrap.servers=HOST:PORT there)"
                : "\(path) names: \(catalog.names.joined(separator: ", "))"
            throw EddyError("--cluster: no cluster named '\(name)'; \(known)")
        }
        return entry
    }

    func validate() throws {
        if let cluster {
            if bootstrapServer != nil || dataDirectory.dataDir != nil || commandConfig != nil {
                throw ValidationError("--cluster names a configured cluster; give it without --bootstrap-server, --data-dir or --command-config")
            }
            do {
                _ = try Self.namedCluster(cluster, warn: false)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let bootstrapServer {
            guard BrokerAddress.list(bootstrapServer) != nil else {
                throw ValidationError("--bootstrap-server must be HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:9092; got '\(bootstrapServer)'")
            }
            if dataDirectory.dataDir != nil {
                throw ValidationError("--bootstrap-server and --data-dir name two different clusters; give one of them")
            }
        }
        if let commandConfig {
            guard bootstrapServer != nil else {
                throw ValidationError("--command-config sets client properties for --bootstrap-server; give --bootstrap-server too")
            }
            do {
                _ = try Self.readCommandConfig(commandConfig)
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// Warns (on stderr) when a clusters file that holds a password (the caller checked) can be
    /// read by other users, as ssh does for its keys.
    static func warnIfReadableByOthers(_ path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 else { return }
        printNotice("eddy: warning: \(path) holds a password and can be read by other users; chmod 600 it")
    }

    /// Reads a `--command-config` file: Java properties, as Kafka's tools take them.
    static func readCommandConfig(_ path: String) throws -> ClientConnectionConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EddyError("cannot read --command-config \(path): \((error as NSError).localizedDescription)")
        }
        do {
            return try ClientConnectionConfig(properties: try JavaProperties.parse(text).dictionary)
        } catch {
            throw EddyError("--command-config \(path): \(error)")
        }
    }
}

/// A running cluster reached over the network: its bootstrap servers (`--bootstrap-server`) and
/// the client's connection properties (`--command-config`), or both from a named cluster
/// (`--cluster`).
struct RemoteCluster: Sendable {
    var servers: [BrokerAddress]
    var config: ClientConnectionConfig
    /// The name in the catalog, for `--cluster`.
    var named: String?
    /// `writable` in the catalog, for `--cluster`.
    var writable: Bool?

    init(servers: [BrokerAddress], config: ClientConnectionConfig, named: String? = nil, writable: Bool? = nil) {
        self.servers = servers
        self.config = config
        self.named = named
        self.writable = writable
    }

    /// A named cluster of the clusters file.
    init(_ entry: ClusterCatalog.Entry) {
        self.init(servers: entry.bootstrapServers, config: entry.config, named: entry.name, writable: entry.writable)
    }

    /// The bootstrap servers as the user gave them: "HOST:PORT,HOST:PORT".
    var name: String { servers.map(\.description).joined(separator: ",") }
}

/// A command's clients over the network (`--bootstrap-server`).
enum Remote {
    /// Runs `body` with an admin client connected to `servers`, then closes the connections.
    static func withAdmin<T: Sendable>(_ servers: RemoteCluster, clientId: String, interruptible: Bool = true,
                                       probe: RemoteSession.Probe = .metadata,
                                       _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        let session = try RemoteSession.connect(servers, clientId: clientId, probe: probe)
        defer { try? session.close() }
        return try session.withAdmin(clientId: clientId, interruptible: interruptible, body)
    }
}
