import EddyProtocol
import Foundation

/// Named clusters (`--cluster NAME`): `$XDG_CONFIG_HOME/eddy/clusters.properties`
/// (`~/.config/eddy/clusters.properties` when XDG_CONFIG_HOME is not set), a Java properties
/// file, as Kafka's configuration files are, with one section of keys per cluster:
///
/// ```properties
/// cluster.local.bootstrap.servers=127.0.0.1:9092
/// cluster.local.writable=true
///
/// cluster.prod.bootstrap.servers=kafka-1.example.com:9093,kafka-2.example.com:9093
/// # client properties, as --command-config takes them (ClientConnectionConfig)
/// cluster.prod.security.protocol=SSL
/// cluster.prod.ssl.ca.location=/etc/ssl/prod-ca.pem
/// ```
///
/// Every key is `cluster.NAME.KEY` (NAME: letters, digits, `-` and `_`). `bootstrap.servers`
/// is required; `writable` (true or false, default false) lets the console change the cluster
/// (reset offsets, produce, create topics) without `--writable`; every other KEY is a client
/// property, checked as `--command-config`'s are. Any other key, or a bad value, is an error
/// that names its line.
public struct ClusterCatalog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var bootstrapServers: [BrokerAddress]
        public var writable: Bool
        public var config: ClientConnectionConfig
    }

    /// Sorted by name.
    public var clusters: [Entry]

    public init(clusters: [Entry] = []) {
        self.clusters = clusters
    }

    public subscript(name: String) -> Entry? { clusters.first { $0.name == name } }

    public var names: [String] { clusters.map(\.name) }

    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Where the file is, for this environment.
    public static func path(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/eddy/clusters.properties" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/eddy/clusters.properties"
    }

    /// The catalog at `path`: empty when there is no such file.
    public static func load(path: String) throws(ConfigError) -> ClusterCatalog {
        guard FileManager.default.fileExists(atPath: path) else { return ClusterCatalog() }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(description: "cannot read \(path): \((error as NSError).localizedDescription)")
        }
        do {
            return try parse(text)
        } catch {
            throw ConfigError(description: "\(path): \(error.description)")
        }
    }

    /// Parses the file's text.
    public static func parse(_ text: String) throws(ConfigError) -> ClusterCatalog {
        let file: JavaProperties
        do {
            file = try JavaProperties.parse(text)
        } catch {
            throw ConfigError(description: error.description)
        }
        var sections: [String: [(key: String, value: String, line: Int)]] = [:]
        for entry in file.entries {
            let parts = entry.key.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "cluster", !parts[1].isEmpty, !parts[2].isEmpty,
                  parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw ConfigError(description: "line \(entry.line): '\(entry.key)' is not cluster.NAME.KEY (e.g. cluster.prod.bootstrap.servers)")
            }
            sections[String(parts[1]), default: []].append((String(parts[2]), entry.value, entry.line))
        }
        var entries: [Entry] = []
        for name in sections.keys.sorted() {
            var servers: [BrokerAddress]?
            var writable = false
            var properties: [String: String] = [:]
            for (key, value, line) in sections[name]! {
                switch key {
                case "bootstrap.servers":
                    guard let list = BrokerAddress.list(value) else {
                        throw ConfigError(description: "line \(line): cluster.\(name).bootstrap.servers must be HOST:PORT[,HOST:PORT...], not '\(value)'")
                    }
                    servers = list
                case "writable":
                    guard let b = Bool(value.lowercased()) else {
                        throw ConfigError(description: "line \(line): cluster.\(name).writable must be true or false, not '\(value)'")
                    }
                    writable = b
                default:
                    properties[key] = value
                }
            }
            guard let servers else {
                throw ConfigError(description: "cluster \(name) has no cluster.\(name).bootstrap.servers")
            }
            let config: ClientConnectionConfig
            do {
                config = try ClientConnectionConfig(properties: properties)
            } catch {
                throw ConfigError(description: "cluster \(name): \(error)")
            }
            entries.append(Entry(name: name, bootstrapServers: servers, writable: writable, config: config))
        }
        return ClusterCatalog(clusters: entries)
    }
}
