import EddyProtocol
import EddySasl
import NIOCore
import NIOSSL

/// What `eddy serve --config FILE` reads from Kafka's `server.properties`: the keys below, each
/// with Kafka's meaning. Any other key is an error that names it, so that a setting is never
/// silently ignored.
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `listeners` | `PLAINTEXT://127.0.0.1:9092` | `NAME://HOST:PORT,...`; broker N listens on each PORT + N |
/// | `advertised.listeners` | `listeners` | the addresses Metadata gives, per listener name (broker N: PORT + N) |
/// | `listener.security.protocol.map` | `PLAINTEXT:PLAINTEXT,SSL:SSL,...` | each listener name's protocol |
/// | `ssl.keystore.type` | PEM | only PEM (KIP-651) |
/// | `ssl.keystore.location` | none | PEM file with the private key and the certificate chain (needed by SSL listeners) |
/// | `ssl.key.password` | none | the key's passphrase, if it is encrypted |
/// | `ssl.truststore.type` | PEM | only PEM |
/// | `ssl.truststore.location` | none | PEM file of the CAs that sign clients' certificates (for ssl.client.auth) |
/// | `ssl.client.auth` | none | `required`: clients must present a certificate those CAs signed |
/// | `socket.request.max.bytes` | 104857600 | the largest request frame |
/// | `connections.max.idle.ms` | 600000 | idle connections close after this long |
/// | `sasl.enabled.mechanisms` | SCRAM-SHA-256,SCRAM-SHA-512 | what SASL listeners accept: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 |
/// | `sasl.server.max.receive.size` | 524288 | the largest frame before a SASL connection has authenticated |
/// | `connection.failed.authentication.delay.ms` | 100 | how long a connection whose authentication failed is held before it closes |
/// | `transaction.max.timeout.ms` | 900000 | the longest transaction.timeout.ms a producer may ask for (longer: INVALID_TRANSACTION_TIMEOUT) |
/// | `transaction.abort.timed.out.transaction.cleanup.interval.ms` | 10000 | how often coordinators abort the transactions past their timeout (and, in eddy, also forget expired transactional ids and retry markers whose completion failed to be written) |
/// | `transactional.id.expiration.ms` | 604800000 | an idle transactional id is forgotten after this long |
/// | `transaction.state.log.num.partitions` | 50 | partitions of `__transaction_state`, when it is created (at most 10000) |
/// | `transaction.state.log.replication.factor` | 3 | its replication factor, when it is created (fewer if fewer brokers run) |
///
/// Protocols: PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL. SASL users are the SCRAM credentials
/// in the cluster's metadata (`eddy users`); PLAIN checks its password against them. (Kafka's
/// default mechanism, GSSAPI, is Kerberos, which eddy does not speak: hence a different
/// default.) Secrets (`ssl.key.password`) never appear in errors.
public struct ServerProperties: Sendable, Equatable {
    public enum SecurityProtocol: String, Sendable, Equatable {
        case plaintext = "PLAINTEXT"
        case ssl = "SSL"
        case saslPlaintext = "SASL_PLAINTEXT"
        case saslSsl = "SASL_SSL"

        public var usesTLS: Bool { self == .ssl || self == .saslSsl }
        public var usesSASL: Bool { self == .saslPlaintext || self == .saslSsl }
    }

    /// One `listeners` entry with its advertised address.
    public struct ListenerSpec: Sendable, Equatable {
        public var name: String
        public var securityProtocol: SecurityProtocol
        /// The address to bind ("0.0.0.0" for all interfaces) and the first broker's port.
        public var host: String
        public var port: Int
        /// What Metadata gives for broker 0 (nil host: the bound host, or this machine's name
        /// for a wildcard; nil port: the bound port).
        public var advertisedHost: String?
        public var advertisedPort: Int?

        public init(name: String, securityProtocol: SecurityProtocol, host: String, port: Int, advertisedHost: String? = nil,
                    advertisedPort: Int? = nil) {
            self.name = name
            self.securityProtocol = securityProtocol
            self.host = host
            self.port = port
            self.advertisedHost = advertisedHost
            self.advertisedPort = advertisedPort
        }
    }

    public enum ClientAuth: String, Sendable, Equatable {
        case none
        case required
    }

    public var listeners: [ListenerSpec] = [ListenerSpec(name: "PLAINTEXT", securityProtocol: .plaintext, host: "127.0.0.1", port: 9092)]
    /// Whether the file set `listeners` (`--listen` may not be given with it).
    public var setsListeners = false
    public var setsAdvertisedListeners = false
    public var keystoreLocation: String?
    public var keyPassword: String?
    public var truststoreLocation: String?
    public var clientAuth = ClientAuth.none
    public var socketRequestMaxBytes: Int?
    public var connectionsMaxIdleMs: Int64?
    /// `sasl.enabled.mechanisms`, for the SASL listeners.
    public var saslMechanisms: [SaslMechanism] = [.scram(.sha256), .scram(.sha512)]
    public var saslServerMaxReceiveSize: Int?
    public var connectionFailedAuthenticationDelayMs: Int64?
    /// The transaction coordinators' settings (`transaction.*`, `transactional.id.expiration.ms`);
    /// nil: Kafka's default.
    public var transactionMaxTimeoutMs: Int32?
    public var transactionAbortTimedOutTransactionCleanupIntervalMs: Int64?
    public var transactionalIdExpirationMs: Int64?
    public var transactionStateLogNumPartitions: Int32?
    public var transactionStateLogReplicationFactor: Int16?
    /// The controller quorum's timing (KIP-595's `controller.quorum.election.timeout.ms`,
    /// `controller.quorum.fetch.timeout.ms`, `controller.quorum.election.backoff.max.ms`,
    /// `controller.quorum.request.timeout.ms`), the metadata log's snapshot threshold
    /// (`metadata.log.max.record.bytes.between.snapshots`) and how long the active controller
    /// waits for a broker's heartbeat before fencing it (`broker.session.timeout.ms`); nil:
    /// Kafka's default.
    public var controllerQuorumElectionTimeoutMs: Int64?
    public var controllerQuorumFetchTimeoutMs: Int64?
    public var controllerQuorumElectionBackoffMaxMs: Int64?
    public var controllerQuorumRequestTimeoutMs: Int64?
    public var metadataLogMaxRecordBytesBetweenSnapshots: Int64?
    public var brokerSessionTimeoutMs: Int64?
    /// Kafka's `auto.leader.rebalance.enable` (default true) and
    /// `leader.imbalance.check.interval.seconds` (default 300): whether, and how often, the
    /// controller moves leadership back to preferred replicas.
    public var autoLeaderRebalanceEnable: Bool?
    public var leaderImbalanceCheckIntervalSeconds: Int64?

    public struct ConfigError: Error, Equatable, CustomStringConvertible {
        public var description: String
        init(_ key: String, line: Int?, _ reason: String) {
            description = "\(line.map { "line \($0): " } ?? "")\(key): \(reason)"
        }
    }

    public static let knownKeys: [String] = [
        "listeners", "advertised.listeners", "listener.security.protocol.map", "ssl.keystore.type", "ssl.keystore.location",
        "ssl.key.password", "ssl.truststore.type", "ssl.truststore.location", "ssl.client.auth", "socket.request.max.bytes",
        "connections.max.idle.ms", "sasl.enabled.mechanisms", "sasl.server.max.receive.size",
        "connection.failed.authentication.delay.ms", "transaction.max.timeout.ms",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms", "transactional.id.expiration.ms",
        "transaction.state.log.num.partitions", "transaction.state.log.replication.factor",
        "controller.quorum.election.timeout.ms", "controller.quorum.fetch.timeout.ms",
        "controller.quorum.election.backoff.max.ms", "controller.quorum.request.timeout.ms",
        "metadata.log.max.record.bytes.between.snapshots", "broker.session.timeout.ms",
        "auto.leader.rebalance.enable", "leader.imbalance.check.interval.seconds",
    ]

    public init() {}

    public init(_ file: JavaProperties) throws(ConfigError) {
        func line(_ key: String) -> Int? { file.entries.first { $0.key == key }?.line }
        for entry in file.entries where !Self.knownKeys.contains(entry.key) {
            let reason = entry.key.contains("jaas")
                ? "eddy needs no JAAS: users are the SCRAM credentials made with `eddy users add`"
                : "not a setting eddy serve supports (it reads: \(Self.knownKeys.joined(separator: ", ")))"
            throw ConfigError(entry.key, line: entry.line, reason)
        }
        var map = ["PLAINTEXT": "PLAINTEXT", "SSL": "SSL", "SASL_PLAINTEXT": "SASL_PLAINTEXT", "SASL_SSL": "SASL_SSL"]
        if let text = file["listener.security.protocol.map"] {
            map = [:]
            for item in text.split(separator: ",").map(Self.trimmed) where !item.isEmpty {
                let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw ConfigError("listener.security.protocol.map", line: line("listener.security.protocol.map"),
                                      "'\(item)' is not NAME:PROTOCOL")
                }
                map[parts[0].uppercased()] = parts[1].uppercased()
            }
        }
        if let text = file["listeners"] {
            setsListeners = true
            listeners = []
            for (name, host, port) in try Self.parseListeners(text, key: "listeners", line: line("listeners")) {
                guard let protocolName = map[name] else {
                    throw ConfigError("listeners", line: line("listeners"),
                                      "listener \(name) has no protocol in listener.security.protocol.map")
                }
                let proto: SecurityProtocol
                switch protocolName {
                case "PLAINTEXT": proto = .plaintext
                case "SSL": proto = .ssl
                case "SASL_PLAINTEXT": proto = .saslPlaintext
                case "SASL_SSL": proto = .saslSsl
                default:
                    throw ConfigError("listener.security.protocol.map", line: line("listener.security.protocol.map"),
                                      "unknown security protocol \(protocolName) (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)")
                }
                guard !listeners.contains(where: { $0.name == name }) else {
                    throw ConfigError("listeners", line: line("listeners"), "listener \(name) is given twice")
                }
                listeners.append(ListenerSpec(name: name, securityProtocol: proto, host: host.isEmpty ? "0.0.0.0" : host, port: port))
            }
            guard !listeners.isEmpty else { throw ConfigError("listeners", line: line("listeners"), "names no listener") }
        }
        if let text = file["advertised.listeners"] {
            setsAdvertisedListeners = true
            for (name, host, port) in try Self.parseListeners(text, key: "advertised.listeners", line: line("advertised.listeners")) {
                guard let i = listeners.firstIndex(where: { $0.name == name }) else {
                    throw ConfigError("advertised.listeners", line: line("advertised.listeners"), "listener \(name) is not in listeners")
                }
                guard !host.isEmpty, host != "0.0.0.0", host != "::" else {
                    throw ConfigError("advertised.listeners", line: line("advertised.listeners"),
                                      "listener \(name) needs a host clients can connect to, not '\(host)'")
                }
                listeners[i].advertisedHost = host
                listeners[i].advertisedPort = port
            }
        }
        for key in ["ssl.keystore.type", "ssl.truststore.type"] {
            if let type = file[key], type.uppercased() != "PEM" {
                throw ConfigError(key, line: line(key), "eddy reads PEM files only (KIP-651's ssl.keystore.type=PEM), not \(type)")
            }
        }
        keystoreLocation = file["ssl.keystore.location"]
        keyPassword = file["ssl.key.password"]
        truststoreLocation = file["ssl.truststore.location"]
        if let auth = file["ssl.client.auth"] {
            switch auth.lowercased() {
            case "none": clientAuth = .none
            case "required": clientAuth = .required
            case "requested":
                throw ConfigError("ssl.client.auth", line: line("ssl.client.auth"), "requested is not supported; use required or none")
            default:
                throw ConfigError("ssl.client.auth", line: line("ssl.client.auth"), "must be required or none, not \(auth)")
            }
        }
        if clientAuth == .required, truststoreLocation == nil {
            throw ConfigError("ssl.client.auth", line: line("ssl.client.auth"), "required needs ssl.truststore.location (the CAs of clients' certificates)")
        }
        if listeners.contains(where: { $0.securityProtocol.usesTLS }), keystoreLocation == nil {
            throw ConfigError("ssl.keystore.location", line: nil, "an SSL or SASL_SSL listener needs it: a PEM file with the broker's private key and certificate chain")
        }
        if let text = file["sasl.enabled.mechanisms"] {
            saslMechanisms = []
            for item in text.split(separator: ",").map(Self.trimmed) where !item.isEmpty {
                guard let m = SaslMechanism(name: item) else {
                    throw ConfigError("sasl.enabled.mechanisms", line: line("sasl.enabled.mechanisms"),
                                      "eddy speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, not \(item)")
                }
                if !saslMechanisms.contains(m) { saslMechanisms.append(m) }
            }
            if saslMechanisms.isEmpty, listeners.contains(where: { $0.securityProtocol.usesSASL }) {
                throw ConfigError("sasl.enabled.mechanisms", line: line("sasl.enabled.mechanisms"), "names no mechanism, so no client could authenticate")
            }
        }
        if let text = file["socket.request.max.bytes"] {
            guard let n = Int(text), n >= 1024, n <= Int(Int32.max) else {
                throw ConfigError("socket.request.max.bytes", line: line("socket.request.max.bytes"), "must be an integer from 1024 to \(Int32.max)")
            }
            socketRequestMaxBytes = n
        }
        if let text = file["sasl.server.max.receive.size"] {
            guard let n = Int(text), n >= 1024, n <= Int(Int32.max) else {
                throw ConfigError("sasl.server.max.receive.size", line: line("sasl.server.max.receive.size"), "must be an integer from 1024 to \(Int32.max)")
            }
            saslServerMaxReceiveSize = n
        }
        if let text = file["connection.failed.authentication.delay.ms"] {
            guard let n = Int64(text), n >= 0, n <= 60_000 else {
                throw ConfigError("connection.failed.authentication.delay.ms", line: line("connection.failed.authentication.delay.ms"),
                                  "must be an integer from 0 to 60000")
            }
            connectionFailedAuthenticationDelayMs = n
        }
        if let text = file["connections.max.idle.ms"] {
            guard let n = Int64(text), n >= 1 else {
                throw ConfigError("connections.max.idle.ms", line: line("connections.max.idle.ms"), "must be a positive integer")
            }
            connectionsMaxIdleMs = n
        }
        /// A positive integer of type `T` (Kafka's int or short), if `key` is set.
        func positive<T: FixedWidthInteger>(_ key: String, as _: T.Type) throws(ConfigError) -> T? {
            guard let text = file[key] else { return nil }
            guard let n = T(text), n >= 1 else { throw ConfigError(key, line: line(key), "must be an integer from 1 to \(T.max)") }
            return n
        }
        transactionMaxTimeoutMs = try positive("transaction.max.timeout.ms", as: Int32.self)
        transactionAbortTimedOutTransactionCleanupIntervalMs = try positive("transaction.abort.timed.out.transaction.cleanup.interval.ms",
                                                                            as: Int32.self).map(Int64.init)
        transactionalIdExpirationMs = try positive("transactional.id.expiration.ms", as: Int32.self).map(Int64.init)
        transactionStateLogNumPartitions = try positive("transaction.state.log.num.partitions", as: Int32.self)
        transactionStateLogReplicationFactor = try positive("transaction.state.log.replication.factor", as: Int16.self)
        controllerQuorumElectionTimeoutMs = try positive("controller.quorum.election.timeout.ms", as: Int32.self).map(Int64.init)
        controllerQuorumFetchTimeoutMs = try positive("controller.quorum.fetch.timeout.ms", as: Int32.self).map(Int64.init)
        controllerQuorumElectionBackoffMaxMs = try positive("controller.quorum.election.backoff.max.ms", as: Int32.self).map(Int64.init)
        controllerQuorumRequestTimeoutMs = try positive("controller.quorum.request.timeout.ms", as: Int32.self).map(Int64.init)
        metadataLogMaxRecordBytesBetweenSnapshots = try positive("metadata.log.max.record.bytes.between.snapshots", as: Int64.self)
        brokerSessionTimeoutMs = try positive("broker.session.timeout.ms", as: Int32.self).map(Int64.init)
        if let text = file["auto.leader.rebalance.enable"] {
            switch text.lowercased() {
            case "true": autoLeaderRebalanceEnable = true
            case "false": autoLeaderRebalanceEnable = false
            default: throw ConfigError("auto.leader.rebalance.enable", line: line("auto.leader.rebalance.enable"), "must be true or false")
            }
        }
        leaderImbalanceCheckIntervalSeconds = try positive("leader.imbalance.check.interval.seconds", as: Int32.self).map(Int64.init)
    }

    static func trimmed(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    /// `NAME://HOST:PORT,...`, IPv6 hosts in brackets, an empty host allowed.
    static func parseListeners(_ text: String, key: String, line: Int?) throws(ConfigError) -> [(String, String, Int)] {
        var out: [(String, String, Int)] = []
        for item in text.split(separator: ",").map(Self.trimmed) where !item.isEmpty {
            let parts = item.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw ConfigError(key, line: line, "'\(item)' is not NAME://HOST:PORT") }
            let name = parts[0].uppercased()
            let address = parts[1]
            guard !name.isEmpty, let colon = address.lastIndex(of: ":"),
                  let port = Int(address[address.index(after: colon)...]), (0 ... 65535).contains(port) else {
                throw ConfigError(key, line: line, "'\(item)' is not NAME://HOST:PORT with a port from 0 to 65535")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            out.append((name, host, port))
        }
        return out
    }

    /// The TLS context for the SSL and SASL_SSL listeners: the keystore's key and chain, and for
    /// ssl.client.auth=required the truststore's CAs. The files are read here, so a missing or
    /// malformed one fails at start. Nil without SSL listeners.
    public func makeTLSContext() throws(ConfigError) -> NIOSSLContext? {
        guard listeners.contains(where: { $0.securityProtocol.usesTLS }), let keystoreLocation else { return nil }
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(keystoreLocation)
        } catch {
            throw ConfigError("ssl.keystore.location", line: nil, "cannot read certificates from \(keystoreLocation): \(error)")
        }
        guard !chain.isEmpty else {
            throw ConfigError("ssl.keystore.location", line: nil, "\(keystoreLocation) holds no PEM certificate (it needs the key and the chain)")
        }
        do {
            if let password = keyPassword {
                key = try NIOSSLPrivateKey(file: keystoreLocation, format: .pem) { (setter: ([UInt8]) -> Void) in setter(Array(password.utf8)) }
            } else {
                key = try NIOSSLPrivateKey(file: keystoreLocation, format: .pem)
            }
        } catch {
            throw ConfigError("ssl.keystore.location", line: nil,
                              "cannot read the private key in \(keystoreLocation)\(keyPassword == nil ? " (set ssl.key.password if it is encrypted)" : " with ssl.key.password"): \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // Kafka's ssl.enabled.protocols: TLSv1.2 and TLSv1.3.
        tls.minimumTLSVersion = .tlsv12
        if clientAuth == .required, let truststoreLocation {
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(truststoreLocation) } catch {
                throw ConfigError("ssl.truststore.location", line: nil, "cannot read certificates from \(truststoreLocation): \(error)")
            }
            guard !roots.isEmpty else { throw ConfigError("ssl.truststore.location", line: nil, "\(truststoreLocation) holds no PEM certificate") }
            tls.trustRoots = .certificates(roots)
            // Clients are not checked against a host name, only against the CAs.
            tls.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ConfigError("ssl.keystore.location", line: nil, "cannot set up TLS: \(error)")
        }
    }
}
