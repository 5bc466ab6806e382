import ArgumentParser
import EddyBroker
import EddyClient
import EddyConsole
import EddyStorage
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `eddy console`: the operations console over an existing data directory, or over a running
/// cluster (`--bootstrap-server`: eddy serve, eddy demo, or any Kafka cluster). With a data
/// directory the cluster runs in this process (every broker not stopped starts); only consumers
/// running in this process have live positions there, so groups show their committed offsets and
/// lags. Over the network, the positions of every group that eddy coordinates come from the
/// brokers (EddyFetchPositions); against Apache Kafka, from the committed offsets.
struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the operations console over a data directory or a running cluster.",
        discussion: """
            With --data-dir (or the default directory), runs the directory's brokers in this \
            process; with --bootstrap-server, connects to a running cluster (eddy serve, eddy demo \
            or Apache Kafka) instead. Opens the terminal dashboard: cluster, topics, partitions, \
            consumer groups with their four positions, messages. Broker keys (x, X, u) need an \
            eddy cluster. Needs an interactive terminal (exit status 2 otherwise). See eddy(1) \
            for the keys.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var flags: ConsoleFlags

    func validate() throws {
        if flags.writable, connection.bootstrapServer == nil, connection.cluster == nil {
            throw ValidationError("--writable is for a cluster reached with --bootstrap-server or --cluster; a data directory's console is writable unless --read-only")
        }
    }

    func run() throws {
        try ConsoleLaunch.checkTerminal()
        try flags.checkTheme()
        if let servers = try connection.remote() { return try runRemoteLoop(servers) }
        let directory = connection.dataDirectory.path
        // Told nothing (no --data-dir, --bootstrap-server, --cluster or EDDY_DATA_DIR) while the
        // clusters file names clusters: ask which one.
        if connection.dataDirectory.dataDir == nil, (ProcessInfo.processInfo.environment[DataDirectoryOptions.environmentVariable] ?? "").isEmpty,
           let catalog = Self.catalogToPickFrom() {
            var entries = catalog.clusters.map { c in
                ClusterPicker.Entry(id: c.name, title: c.name, detail: c.bootstrapServers.map(\.description).joined(separator: ",")
                    + (c.config.securityProtocol == .plaintext ? "" : " " + c.config.securityProtocol.rawValue)
                    + (c.writable ? "" : "  read-only"))
            }
            let local = Session.isInitialised(directory)
            if local { entries.append(ClusterPicker.Entry(id: "", title: "this machine", detail: "eddy data directory " + directory)) }
            let picked: ClusterPicker.Entry?
            do {
                picked = try ClusterPicker.run(entries: entries, theme: flags.theme)
            } catch let error as TerminalError {
                printNotice(error.description)
                throw ExitCode(2)
            }
            guard let picked else { return }
            // The data directory's row has no cluster name: go on below.
            if let entry = catalog[picked.id], !picked.id.isEmpty { return try runRemoteLoop(RemoteCluster(entry)) }
        }
        guard Session.isInitialised(directory) else {
            throw EddyError("no eddy data directory at \(directory); start a demo with: eddy demo --data-dir \(directory)")
        }
        let runtime = try ConsoleRuntime(directory: directory, create: false, options: ConsoleRuntime.clusterOptions())
        let code = runtime.run { cluster, insight in
            let controls = DemoConsoleControls(brokers: insight, workload: nil)
            return try await ConsoleLaunch.runConsole(cluster: cluster, insight: insight, controls: controls, flags: flags,
                                                      clusterName: "eddy \(directory)")
        }
        try ConsoleLaunch.finish(code)
    }

    /// The clusters file, when it names clusters; nil without one. A file that cannot be read
    /// is warned about (the console then opens the data directory as usual).
    static func catalogToPickFrom() -> ClusterCatalog? {
        let path = ClusterCatalog.path(environment: ProcessInfo.processInfo.environment)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let catalog = try ClusterCatalog.load(path: path)
            return catalog.clusters.isEmpty ? nil : catalog
        } catch {
            printNotice("eddy: warning: \(path): \(error); not offering its clusters")
            return nil
        }
    }

    /// The console on `servers`, then on each cluster `:cluster NAME` switches to.
    private func runRemoteLoop(_ servers: RemoteCluster) throws {
        var next: RemoteCluster? = servers
        // --writable is for the cluster named on the command line only: after a switch each
        // cluster is as writable as its entry says.
        var writableFlag = flags.writable
        while let cluster = next {
            let exit = try runRemote(cluster, writableFlag: writableFlag)
            writableFlag = false
            switch exit {
            case let .quit(code):
                try ConsoleLaunch.finish(code)
                next = nil
            case let .switchCluster(name):
                next = RemoteCluster(try ConnectionOptions.namedCluster(name))
            }
        }
    }

    /// The console over a running cluster. Its metadata is read once before the screen opens
    /// (`RemoteSession.connect`), so an address where nothing answers is a one-line error
    /// rather than an empty dashboard.
    /// What the console says when asked to stop, kill or start a broker (or for the demo's
    /// controls) of a cluster eddy did not make.
    static let notEddyReason = "not an eddy cluster: broker stop/kill/start are eddy's own"

    private func runRemote(_ servers: RemoteCluster, writableFlag: Bool) throws -> ConsoleExit {
        let session = try RemoteSession.connect(servers, clientId: "eddy-console")
        defer { try? session.close() }
        let client = session.makeClient(clientId: "eddy-console", requestTimeoutMs: 10_000)
        defer { client.close() }
        let name = servers.named ?? servers.name
        var consoleFlags = flags
        // Broker stop, kill and start need eddy's admin extension: a cluster that does not
        // advertise it (Kafka, Tansu, ...) gets no such controls, and says so when asked.
        let advertisesEddy = client.advertisesEddyExtension
        let isEddy = advertisesEddy != false
        // Read-only unless the user says otherwise: a cluster eddy did not make (production
        // Kafka, most likely; also when that is not known) and a named cluster not marked
        // writable. There an offset reset is confirmed by typing the group's name.
        let writable = writableFlag || (servers.writable ?? (advertisesEddy == true))
        let readOnlyReason: String? = consoleFlags.readOnly || writable ? nil
            : servers.named.map { "set cluster.\($0).writable=true or give --writable" }
            ?? "a cluster eddy did not make: give --writable"
        if readOnlyReason != nil { consoleFlags.readOnly = true }
        let typed = servers.named != nil || advertisesEddy != true, flags = consoleFlags
        // A console on a named cluster can switch to the others of the clusters file.
        let names = servers.named == nil ? []
            : ((try? ClusterCatalog.load(path: ClusterCatalog.path(environment: ProcessInfo.processInfo.environment)))?.names ?? [])
        return try blockingAwait {
            guard !Signals.interrupted else { return .quit(0) }
            let controls = isEddy ? DemoConsoleControls(brokers: AdminBrokerControls(admin: Admin(client: client)), workload: nil) : nil
            return try await ConsoleLaunch.runConsole(client: client, insight: nil, controls: controls, flags: flags,
                                                      clusterName: name, noControlsReason: isEddy ? nil : Self.notEddyReason,
                                                      readOnlyReason: readOnlyReason, typedResetConfirmation: typed, clusterNames: names)
        }
    }
}

/// Options both console commands take.
struct ConsoleFlags: ParsableArguments {
    @Option(help: ArgumentHelp("How often the views refresh: 1s, 500ms, 2.5s, 1m (100ms to 1h; a bare number is seconds).",
                               valueName: "duration"))
    var refresh: RefreshInterval = RefreshInterval(milliseconds: 1_000)

    @Option(help: ArgumentHelp(
        "A theme name (default, dark, light, high-contrast, monochrome, or one in $XDG_CONFIG_HOME/eddy/themes) or a theme file path.",
        valueName: "name|path"))
    var theme: String = "default"

    @Flag(help: "Refuse every action that changes the cluster (resets, produce, topics, demo controls); resets still preview.")
    var readOnly = false

    @Flag(help: "Allow changes to a cluster eddy did not make, or a named cluster not marked writable (read-only by default; remote clusters only).")
    var writable = false

    func validate() throws {
        if readOnly && writable { throw ValidationError("--read-only and --writable contradict each other; give one of them") }
        guard RefreshInterval.range.contains(refresh.milliseconds) else {
            throw ValidationError("--refresh must be between 100ms and 1h (got \(refresh.defaultValueDescription))")
        }
    }

    /// Loads the theme now, so that a bad name or file fails before the cluster starts.
    func checkTheme() throws {
        do {
            _ = try ThemeLocator.live().load(theme)
        } catch {
            printError("--theme: \(error.description)")
            throw ExitCode(2)
        }
    }
}

/// `--refresh`: a duration with a unit (`ms`, `s`, `m`, `h`); a bare number is seconds.
struct RefreshInterval: ExpressibleByArgument, Equatable {
    var milliseconds: Int64

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
        var number = text, scale = 1_000.0
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * scale < 1e15 else { return nil }
        milliseconds = Int64((value * scale).rounded())
    }

    /// The range `--refresh` accepts.
    static let range: ClosedRange<Int64> = 100 ... 3_600_000

    var defaultValueDescription: String { milliseconds % 1_000 == 0 ? "\(milliseconds / 1_000)s" : "\(milliseconds)ms" }
}

/// The steps both console commands share.
enum ConsoleLaunch {
    /// Fails with exit status 2 and one line on stderr when the console cannot run here (no
    /// tty, TERM=dumb, ...), before anything is opened or written.
    static func checkTerminal() throws {
        if let error = TerminalCheck.check(environment: ProcessInfo.processInfo.environment) {
            printNotice(error.description)
            throw ExitCode(2)
        }
    }

    /// Runs the console over `cluster` until the user quits. Returns the console's exit status.
    static func runConsole(cluster: Cluster, insight: ClusterInsightAdapter, controls: (any DemoControls)?, flags: ConsoleFlags,
                           clusterName: String) async throws -> Int32 {
        // Interrupted while the cluster and the workload started: stop as the console would.
        guard !Signals.interrupted else { return 0 }
        let client = KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, clientId: "eddy-console",
                                 requestTimeoutMs: 10_000)
        defer { client.close() }
        // No named clusters to switch to here: the console only quits.
        guard case let .quit(code) = try await runConsole(client: client, insight: insight, controls: controls, flags: flags,
                                                         clusterName: clusterName) else { return 0 }
        return code
    }

    /// Runs the console through `client` until the user quits. Returns the console's exit status.
    static func runConsole(client: KafkaClient, insight: (any ClusterInsight)?, controls: (any DemoControls)?, flags: ConsoleFlags,
                           clusterName: String, noControlsReason: String? = nil, readOnlyReason: String? = nil,
                           typedResetConfirmation: Bool = false, clusterNames: [String] = []) async throws -> ConsoleExit {
        let options = ConsoleOptions(refreshMs: flags.refresh.milliseconds, theme: flags.theme, readOnly: flags.readOnly,
                                     clusterName: clusterName, ctrlCAsKey: true, noControlsReason: noControlsReason,
                                     readOnlyReason: readOnlyReason, typedResetConfirmation: typedResetConfirmation,
                                     clusterNames: clusterNames)
        do {
            return try await ConsoleApp.run(client: client, insight: insight, controls: controls, options: options)
        } catch let error as TerminalError {
            printNotice(error.description)
            return .quit(2)
        }
    }

    /// Exits with `code` unless it is 0.
    static func finish(_ code: Int32) throws {
        if code != 0 { throw ExitCode(code) }
    }
}

/// A data directory held for as long as a console runs: its lock, the cluster with its driver
/// (replication, timers, log maintenance and the cleaner in the background), silenced logging
/// (log lines would tear the screen), and a clean shutdown whatever ends the run.
final class ConsoleRuntime: @unchecked Sendable {
    let directory: String
    let lock: DataDirectoryLock
    let cluster: Cluster
    let driver: ClusterDriver
    let insight: ClusterInsightAdapter

    /// The cluster options of a console run: Kafka's defaults, except that preferred leaders
    /// come back 10 s after a broker returns (leader.imbalance.check.interval), so failovers
    /// can be watched both ways, and `__consumer_offsets` has 10 partitions when created.
    static func clusterOptions() -> ClusterOptions {
        var options = ClusterOptions.forCommands(brokers: 3)
        options.leaderImbalanceCheckIntervalMs = 10_000
        options.groupCoordinator.offsetsTopicNumPartitions = 10
        return options
    }

    init(directory: String, create: Bool, options: ClusterOptions) throws {
        self.directory = directory
        lock = try DataDirectoryLock(directory: directory, create: create, waitMilliseconds: Session.lockWaitMilliseconds)
        do {
            cluster = try Cluster(dataDirectory: directory, options: options,
                                  logger: Logger(label: "eddy.cluster", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            lock.release()
            throw error
        }
        driver = ClusterDriver(cluster: cluster)
        insight = ClusterInsightAdapter(cluster: cluster)
    }

    /// Starts the driver, runs `body` on the cooperative pool, then `beforeClose` (e.g. stop a
    /// network server in front of the cluster) and stops everything cleanly.
    /// Returns `body`'s status; an error thrown by `body` is rethrown after the shutdown.
    func run(beforeClose: () -> Void = {}, _ body: @escaping @Sendable (Cluster, ClusterInsightAdapter) async throws -> Int32) -> Int32 {
        driver.start()
        let cluster = cluster, insight = insight
        let result = Result { try blockingAwait { try await body(cluster, insight) } }
        beforeClose()
        close()
        switch result {
        case let .success(code): return code
        case let .failure(error): return Eddy.report(error)
        }
    }

    func close() {
        driver.stop()
        try? cluster.shutdown()
        lock.release()
    }
}
