import ArgumentParser
import EddyBroker
import EddyStorage
import EddyServer
import Foundation
import Logging
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
            Binds to loopback by default; there is no authentication yet, so binding another address \
            prints a warning. Logs go to stderr. SIGINT or SIGTERM stop accepting, finish in-flight \
            requests and shut down cleanly.
            """)

    @OptionGroup var dataDirectory: DataDirectoryOptions

    @Option(help: ArgumentHelp("The first broker's address; broker N listens on port + N.", valueName: "host:port"))
    var listen: String = "127.0.0.1:9092"

    @Option(name: .customLong("advertised-host"), help: ArgumentHelp(
        "The host name Metadata gives clients (default: the --listen host).", valueName: "host"))
    var advertisedHost: String?

    @Option(name: .customLong("socket-request-max-bytes"), help: ArgumentHelp(
        "The largest request frame accepted (Kafka's socket.request.max.bytes).", valueName: "bytes"))
    var socketRequestMaxBytes: Int = 104_857_600

    @Option(name: .customLong("connections-max-idle-ms"), help: ArgumentHelp(
        "Close connections idle this long (Kafka's connections.max.idle.ms).", valueName: "ms"))
    var connectionsMaxIdleMs: Int64 = 600_000

    func validate() throws {
        guard ListenAddress(listen) != nil else {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9092; got '\(listen)'")
        }
        if let advertisedHost, advertisedHost.isEmpty { throw ValidationError("--advertised-host must not be empty") }
        if socketRequestMaxBytes < 1024 { throw ValidationError("--socket-request-max-bytes must be at least 1024") }
        if connectionsMaxIdleMs < 1 { throw ValidationError("--connections-max-idle-ms must be positive") }
    }

    func run() throws {
        let address = ListenAddress(listen)!
        let logger = Logger(label: "eddy.serve")
        let directory = dataDirectory.path
        // Held for the server's lifetime, like a broker's log directories.
        let lock = try DataDirectoryLock(directory: directory, create: true, waitMilliseconds: Session.lockWaitMilliseconds)
        defer { lock.release() }
        let cluster = try Cluster(dataDirectory: directory, options: ClusterOptions(), logger: Logger(label: "eddy.cluster"))
        let driver = ClusterDriver(cluster: cluster)
        driver.start()
        defer {
            driver.stop()
            do { try cluster.shutdown() } catch { printError("clean shutdown failed: \(error)") }
        }
        var config = KafkaServer.Config()
        config.socketRequestMaxBytes = socketRequestMaxBytes
        config.connectionsMaxIdleMs = connectionsMaxIdleMs
        let served = try ServedCluster(cluster: cluster, address: address, advertisedHost: advertisedHost, config: config,
                                       logger: logger)
        let server = served.server, bootstrap = served.bootstrap
        ServeMarker.write(directory: directory, bootstrap: bootstrap)
        defer { ServeMarker.remove(directory: directory) }
        printNotice("eddy: serving \(directory): " + served.summary + "; clients bootstrap with \(bootstrap)")
        while !Signals.interrupted {
            usleep(100_000)
        }
        printNotice("eddy: shutting down")
        server.shutdown()
    }
}

/// A cluster behind `KafkaServer`: a listener per broker (broker N on the port + N) and the
/// advertised listeners set to match, as `eddy serve` and `eddy demo` run it.
struct ServedCluster {
    let server: KafkaServer
    /// HOST:PORT of broker 0's listener, for `--bootstrap-server` and `kcat -b`.
    let bootstrap: String
    /// "broker 0 at HOST:PORT, ..."
    let summary: String

    init(cluster: Cluster, address: ListenAddress, advertisedHost: String?, config: KafkaServer.Config, logger: Logger) throws {
        let brokers = cluster.metadataImage.brokers.keys.sorted()
        guard address.port == 0 || address.port + Int(brokers.last ?? 0) <= 65535 else {
            throw EddyError("--listen port \(address.port) leaves no room for broker \(brokers.last ?? 0) (port + id must be at most 65535)")
        }
        if !address.isLoopback {
            printNotice("eddy: warning: listening on \(address.host), not loopback, and eddy has no authentication yet: anyone who can reach it can read and write every topic")
        }
        let listeners = brokers.map { KafkaServer.Listener(node: $0, host: address.host, port: address.port == 0 ? 0 : address.port + Int($0)) }
        do {
            server = try KafkaServer(listeners: listeners, dispatcher: cluster.transport, config: config, logger: logger)
        } catch {
            throw EddyError("cannot listen on \(address.host):\(address.port): \(error); choose another address with --listen")
        }
        let host = advertisedHost ?? address.advertisableHost
        let bound = server.boundListeners
        cluster.setAdvertisedListeners(Dictionary(uniqueKeysWithValues: bound.map { ($0.node, (host: host, port: Int32($0.port))) }))
        bootstrap = "\(host):\(bound.first?.port ?? address.port)"
        summary = bound.map { "broker \($0.node) at \(host):\($0.port)" }.joined(separator: ", ")
    }
}

/// A `--listen` value: HOST:PORT, with IPv6 hosts in brackets ([::1]:9092).
struct ListenAddress {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0 ... 65535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }

    var isLoopback: Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }

    /// The host to put in Metadata: a wildcard address is not one a client can connect to.
    var advertisableHost: String {
        guard host == "0.0.0.0" || host == "::" else { return host }
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
