import ArgumentParser
import EddyBroker
import EddyProtocol
import EddySasl
import EddyStorage
import EddyServer
import Foundation
import Logging
import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `eddy serve`: the data directory's cluster behind Kafka's wire protocol, so that Kafka
/// clients (kcat, librdkafka, kafka-python, aiokafka) and eddy commands with
/// `--bootstrap-server` can use it while it runs.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the data directory's cluster over the Kafka protocol.",
        discussion: """
            Starts the cluster in --data-dir (creating it as other commands do) and gives each broker \
            a listener: broker N on the --listen port + N (default 127.0.0.1:9092, so 9092, 9093, 9094). \
            Metadata answers with --advertised-host (default: the --listen host) and those ports. \
            --config FILE reads Kafka's server.properties keys that eddy supports instead: listeners \
            (PLAINTEXT://HOST:PORT,SSL://HOST:PORT, broker N on each PORT + N), advertised.listeners, \
            listener.security.protocol.map, ssl.keystore.type=PEM, ssl.keystore.location, \
            ssl.key.password, ssl.truststore.location, ssl.client.auth, socket.request.max.bytes, \
            connections.max.idle.ms, the SASL settings, and the transaction coordinators' \
            transaction.max.timeout.ms, transaction.abort.timed.out.transaction.cleanup.interval.ms, \
            transactional.id.expiration.ms, transaction.state.log.num.partitions and \
            transaction.state.log.replication.factor, the controller quorum's \
            controller.quorum.election.timeout.ms, controller.quorum.fetch.timeout.ms, \
            controller.quorum.election.backoff.max.ms and controller.quorum.request.timeout.ms, \
            metadata.log.max.record.bytes.between.snapshots and broker.session.timeout.ms (see \
            eddy(1)); any other key is an error. \
            Binds to loopback by default; a listener on another address without client certificates \
            prints a warning that anyone who reaches it can read and write. Logs go to stderr. SIGINT \
            or SIGTERM stop accepting, finish in-flight requests and shut down cleanly.
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("The first broker's address; broker N listens on port + N (default 127.0.0.1:9092).",
                               valueName: "host:port"))
    var listen: String?

    @Option(help: ArgumentHelp("Kafka's server.properties: listeners, advertised.listeners, ssl.* and the other keys eddy(1) lists.",
                               valueName: "file"))
    var config: String?

    @Option(name: .customLong("advertised-host"), help: ArgumentHelp(
        "The host name Metadata gives clients (default: the --listen host).", valueName: "host"))
    var advertisedHost: String?

    @Option(name: .customLong("socket-request-max-bytes"), help: ArgumentHelp(
        "The largest request frame accepted (Kafka's socket.request.max.bytes; default 104857600).", valueName: "bytes"))
    var socketRequestMaxBytes: Int?

    @Option(name: .customLong("connections-max-idle-ms"), help: ArgumentHelp(
        "Close connections idle this long (Kafka's connections.max.idle.ms; default 600000).", valueName: "ms"))
    var connectionsMaxIdleMs: Int64?

    func validate() throws {
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9092; got '\(listen)'")
        }
        if let advertisedHost, advertisedHost.isEmpty { throw ValidationError("--advertised-host must not be empty") }
        if let socketRequestMaxBytes, socketRequestMaxBytes < 1024 { throw ValidationError("--socket-request-max-bytes must be at least 1024") }
        if let connectionsMaxIdleMs, connectionsMaxIdleMs < 1 { throw ValidationError("--connections-max-idle-ms must be positive") }
        if config != nil {
            let properties = try serverProperties()
            if properties.setsListeners, listen != nil {
                throw ValidationError("--listen and the listeners of --config both say where to listen; give one of them")
            }
            if properties.setsAdvertisedListeners, listen != nil {
                throw ValidationError("--listen replaces the listeners that the advertised.listeners of --config name; give listeners in the file instead")
            }
            if properties.setsAdvertisedListeners, advertisedHost != nil {
                throw ValidationError("--advertised-host and the advertised.listeners of --config both say what to advertise; give one of them")
            }
        }
    }

    /// The listeners and settings: from --config, with --listen, --advertised-host and the
    /// flags for what the file leaves out. A file that cannot be read or holds an unsupported
    /// key is a usage error.
    func serverProperties() throws -> ServerProperties {
        var properties = ServerProperties()
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read --config \(config): \((error as NSError).localizedDescription)")
            }
            do {
                properties = try ServerProperties(try JavaProperties.parse(text))
            } catch {
                throw ValidationError("--config \(config): \(error)")
            }
            if let n = properties.transactionStateLogNumPartitions, n > Controller.maxPartitionsPerRequest {
                throw ValidationError("--config \(config): transaction.state.log.num.partitions: must be at most "
                    + "\(Controller.maxPartitionsPerRequest), the most partitions a topic is created with")
            }
        }
        if let listen, let address = ListenAddress(listen) {
            properties.listeners = [ServerProperties.ListenerSpec(name: "PLAINTEXT", securityProtocol: .plaintext, host: address.host,
                                                                  port: address.port)]
        }
        if let advertisedHost {
            for i in properties.listeners.indices { properties.listeners[i].advertisedHost = advertisedHost }
        }
        if let socketRequestMaxBytes { properties.socketRequestMaxBytes = socketRequestMaxBytes }
        if let connectionsMaxIdleMs { properties.connectionsMaxIdleMs = connectionsMaxIdleMs }
        return properties
    }

    /// The broker settings of --config: the transaction coordinators', the controller quorum's
    /// timing, the metadata log's snapshot threshold and broker.session.timeout.ms.
    static func clusterOptions(_ properties: ServerProperties) -> ClusterOptions {
        var options = ClusterOptions.forCommands()
        if let n = properties.transactionMaxTimeoutMs { options.transactionCoordinator.maxTimeoutMs = n }
        if let n = properties.transactionAbortTimedOutTransactionCleanupIntervalMs {
            options.transactionCoordinator.abortTimedOutTransactionCleanupIntervalMs = n
        }
        if let n = properties.transactionalIdExpirationMs { options.transactionCoordinator.transactionalIdExpirationMs = n }
        if let n = properties.transactionStateLogNumPartitions { options.transactionCoordinator.numPartitions = n }
        if let n = properties.transactionStateLogReplicationFactor { options.transactionCoordinator.replicationFactor = n }
        if let n = properties.controllerQuorumElectionTimeoutMs { options.controllerQuorum.settings.electionTimeoutMs = n }
        if let n = properties.controllerQuorumFetchTimeoutMs { options.controllerQuorum.settings.fetchTimeoutMs = n }
        if let n = properties.controllerQuorumElectionBackoffMaxMs { options.controllerQuorum.settings.electionBackoffMaxMs = n }
        if let n = properties.controllerQuorumRequestTimeoutMs { options.controllerQuorum.settings.requestTimeoutMs = n }
        if let n = properties.metadataLogMaxRecordBytesBetweenSnapshots {
            options.metadata.maxRecordBytesBetweenSnapshots = Int(clamping: n)
        }
        if let n = properties.brokerSessionTimeoutMs { options.brokerSessionTimeoutMs = n }
        if let on = properties.autoLeaderRebalanceEnable { options.autoLeaderRebalanceEnable = on }
        if let s = properties.leaderImbalanceCheckIntervalSeconds { options.leaderImbalanceCheckIntervalMs = s * 1000 }
        return options
    }

    func run() throws {
        let properties = try serverProperties()
        let tls: NIOSSLContext?
        do {
            tls = try properties.makeTLSContext()
        } catch {
            throw EddyError("--config \(config ?? ""): \(error)")
        }
        let logger = Logger(label: "eddy.serve")
        let directory = dataDirectory.path
        // Held for the server's lifetime, like a broker's log directories.
        let lock = try DataDirectoryLock(directory: directory, create: true, waitMilliseconds: Session.lockWaitMilliseconds)
        defer { lock.release() }
        OpenFileLimit.raise()
        let cluster = try Cluster(dataDirectory: directory, options: Self.clusterOptions(properties), logger: Logger(label: "eddy.cluster"))
        let driver = ClusterDriver(cluster: cluster)
        driver.start()
        defer {
            driver.stop()
            do { try cluster.shutdown() } catch { printError("clean shutdown failed: \(error)") }
        }
        var serverConfig = KafkaServer.Config()
        if let n = properties.socketRequestMaxBytes { serverConfig.socketRequestMaxBytes = n }
        if let n = properties.connectionsMaxIdleMs { serverConfig.connectionsMaxIdleMs = n }
        if let n = properties.saslServerMaxReceiveSize { serverConfig.saslServerMaxReceiveSize = n }
        if let n = properties.connectionFailedAuthenticationDelayMs { serverConfig.connectionFailedAuthenticationDelayMs = n }
        let served = try ServedCluster(cluster: cluster, listeners: properties.listeners, tls: tls,
                                       clientAuth: properties.clientAuth == .required, saslMechanisms: properties.saslMechanisms,
                                       config: serverConfig, logger: logger)
        let server = served.server, bootstrap = served.bootstrap
        ServeMarker.write(directory: directory, bootstrap: bootstrap)
        defer { ServeMarker.remove(directory: directory) }
        printNotice("eddy: serving \(directory): " + served.summary + "; clients bootstrap with \(bootstrap)")
        OpenFileLimit.warnIfNearLimit()
        while !Signals.interrupted {
            usleep(100_000)
        }
        printNotice("eddy: shutting down")
        server.shutdown()
    }
}

/// A cluster behind `KafkaServer`: on each listener a port per broker (broker N on the port + N)
/// and the advertised listeners set to match, as `eddy serve` and `eddy demo` run it.
struct ServedCluster {
    let server: KafkaServer
    /// HOST:PORT of broker 0 on the first listener, for `--bootstrap-server` and `kcat -b`.
    let bootstrap: String
    /// "broker 0 at HOST:PORT, ..." (per listener when there are several).
    let summary: String

    init(cluster: Cluster, address: ListenAddress, advertisedHost: String?, config: KafkaServer.Config, logger: Logger) throws {
        try self.init(cluster: cluster,
                      listeners: [.init(name: "PLAINTEXT", securityProtocol: .plaintext, host: address.host, port: address.port,
                                        advertisedHost: advertisedHost)],
                      tls: nil, clientAuth: false, config: config, logger: logger)
    }

    init(cluster: Cluster, listeners specs: [ServerProperties.ListenerSpec], tls: NIOSSLContext?, clientAuth: Bool,
         saslMechanisms: [SaslMechanism] = [], config: KafkaServer.Config, logger: Logger) throws {
        let sasl = SaslServerConfig(mechanisms: saslMechanisms, credentials: { [cluster] in cluster.scramCredentials(of: $0) })
        let brokers = cluster.metadataImage.brokers.keys.sorted()
        for spec in specs {
            guard spec.port == 0 || spec.port + Int(brokers.last ?? 0) <= 65535 else {
                throw EddyError("listener \(spec.name) port \(spec.port) leaves no room for broker \(brokers.last ?? 0) (port + id must be at most 65535)")
            }
            let address = ListenAddress(host: spec.host, port: spec.port)
            if !address.isLoopback, !spec.securityProtocol.usesSASL, spec.securityProtocol == .plaintext || !clientAuth {
                printNotice("eddy: warning: listener \(spec.name) listens on \(spec.host), not loopback, and asks clients for no credentials: anyone who can reach it can read and write every topic")
            }
        }
        // Each listener takes ports port ... port + the highest broker id: two listeners on
        // overlapping hosts must not share one (Kafka's PLAINTEXT://:9092,SSL://:9093 would:
        // broker 1's PLAINTEXT port is broker 0's SSL port).
        let top = Int(brokers.last ?? 0)
        for (i, a) in specs.enumerated() {
            for b in specs[(i + 1)...] where a.port != 0 && b.port != 0 {
                let sameHost = a.host == b.host || ListenAddress(host: a.host, port: 0).isWildcard || ListenAddress(host: b.host, port: 0).isWildcard
                guard sameHost, a.port <= b.port + top, b.port <= a.port + top else { continue }
                throw EddyError("listeners \(a.name) (ports \(a.port)-\(a.port + top)) and \(b.name) (ports \(b.port)-\(b.port + top)) overlap: broker N listens on each listener's port + N, so put the listeners at least \(top + 1) ports apart")
            }
            if let port = a.advertisedPort, port != 0, port + top > 65535 {
                throw EddyError("advertised listener \(a.name) port \(port) leaves no room for broker \(top) (port + id must be at most 65535)")
            }
        }
        var listeners: [KafkaServer.Listener] = []
        for spec in specs {
            for id in brokers {
                listeners.append(KafkaServer.Listener(node: id, host: spec.host, port: spec.port == 0 ? 0 : spec.port + Int(id), name: spec.name,
                                                      tls: spec.securityProtocol.usesTLS ? tls : nil,
                                                      sasl: spec.securityProtocol.usesSASL ? sasl : nil))
            }
        }
        do throws(ListenError) {
            server = try KafkaServer(listeners: listeners, dispatcher: cluster.transport, config: config, logger: logger)
        } catch {
            throw EddyError("cannot listen on \(error.address): \(error.reason); choose other addresses with --listen or listeners")
        }
        let bound = server.boundListeners
        var advertised: [String: [Int32: (host: String, port: Int32)]] = [:]
        var lines: [String] = []
        var first: String?
        for spec in specs {
            let host = spec.advertisedHost ?? ListenAddress(host: spec.host, port: spec.port).advertisableHost
            var endpoints: [Int32: (host: String, port: Int32)] = [:]
            for l in bound where l.name == spec.name {
                let port = spec.advertisedPort.map { $0 == 0 ? l.port : $0 + Int(l.node) } ?? l.port
                endpoints[l.node] = (host: host, port: Int32(port))
            }
            advertised[spec.name] = endpoints
            let list = endpoints.keys.sorted().map { "broker \($0) at \(host):\(endpoints[$0]!.port)" }.joined(separator: ", ")
            lines.append(specs.count == 1 && spec.name == "PLAINTEXT" ? list : "\(spec.name) \(list)")
            if first == nil, let zero = endpoints.keys.min() { first = "\(host):\(endpoints[zero]!.port)" }
        }
        cluster.setAdvertisedListeners(advertised)
        bootstrap = first ?? ""
        summary = lines.joined(separator: "; ")
    }
}

/// A `--listen` value: HOST:PORT, with IPv6 hosts in brackets ([::1]:9092).
struct ListenAddress {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0 ... 65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    var isLoopback: Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }

    /// All interfaces: "0.0.0.0" or "::".
    var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// The host to put in Metadata: a wildcard address is not one a client can connect to.
    var advertisableHost: String {
        guard isWildcard else { return host }
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return "localhost" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// `<data-dir>/serve.bootstrap`: written by a running `eddy serve` (its PID and bootstrap
/// address), so that a command given the directory can say where to connect instead.
enum ServeMarker {
    static let fileName = "serve.bootstrap"

    static func write(directory: String, bootstrap: String) {
        try? "\(getpid()) \(bootstrap)\n".write(toFile: directory + "/" + fileName, atomically: true, encoding: .utf8)
    }

    static func remove(directory: String) {
        unlink(directory + "/" + fileName)
    }

    /// The bootstrap address of the `eddy serve` with process id `pid` in `directory`.
    static func bootstrap(directory: String, pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: directory + "/" + fileName, encoding: .utf8) else { return nil }
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, Int32(parts[0]) == pid else { return nil }
        return String(parts[1])
    }
}
