import ArgumentParser
import EddyBroker
import EddyClient
import EddyConsole
import EddyServer
import Logging
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `eddy demo` (the default command): a 3-broker cluster in this process, the demo workload
/// (topics, producers, consumer groups), and the operations console over them.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a 3-broker demo cluster with live traffic and open the console.",
        discussion: """
            Starts three brokers in this process, each also a controller of the KRaft quorum (combined \
            mode), in a fresh temporary directory (removed on exit) or in --data-dir (kept). Creates the topics orders (6 partitions), payments (3) and \
            customers (3, compacted), all replicated 3 times; producers write keyed JSON events \
            (about 190 records/s in all); consumer groups shipping (3 members on orders), billing \
            (1 on payments) and audit (1 slow member on orders) consume them. Then opens the console. \
            --scenario adds a caption that guides through a lesson: failover, rebalance, replay or lag; \
            or runs an experiment and counts what it shows: idempotence (two producers whose \
            acknowledgements get lost, one without enable.idempotence: only its topic gets \
            duplicates), exactly-once (an at-least-once and a transactional pipeline that crash \
            mid-batch: only the first duplicates downstream) or keys (customer ids as keys on a \
            6-partition topic: where murmur2 puts each key, every key read in order, and what one \
            hot key does to its partition and to the lag of the group member that owns it), or \
            controller-failover (the active controller is killed: the caption shows the election, \
            its epoch, how long it took and who voted, a topic created under the new controller, and \
            the old one rejoining as a follower), or acks (producers with acks=0, 1 and all write to \
            topics led by one broker whose followers lag; it is killed: acks=0 and acks=1 lose \
            acknowledged records, acks=all none). \
            Needs an interactive terminal (exit status 2 otherwise). See eddy(1) for the keys.
            """)

    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "Keep the demo's data in this directory (created if missing, reused if it holds a cluster); default: a fresh temporary directory, removed on exit.",
        valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("A scenario: failover, rebalance, replay, lag, idempotence, exactly-once, keys, controller-failover or acks.", valueName: "name"))
    var scenario: TrainingScenario?

    @Option(help: ArgumentHelp(
        "Serve the demo cluster to Kafka clients: broker N listens on port + N. When the default port is taken, free ports are used.",
        valueName: "host:port"))
    var listen: String?

    @OptionGroup var flags: ConsoleFlags

    static let defaultListen = "127.0.0.1:9092"

    func validate() throws {
        if let dataDir, dataDir.isEmpty { throw ValidationError("--data-dir must not be empty") }
        if flags.writable { throw ValidationError("--writable is for eddy console on a remote cluster; the demo is writable unless --read-only") }
        if let listen, ListenAddress(listen) == nil {
            throw ValidationError("--listen must be HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:9092; got '\(listen)'")
        }
    }

    func run() throws {
        try ConsoleLaunch.checkTerminal()
        try flags.checkTheme()
        let temporary = dataDir == nil
        let directory = try dataDir ?? Self.makeTemporaryDirectory()
        defer { if temporary { try? FileManager.default.removeItem(atPath: directory) } }
        OpenFileLimit.raise()
        let runtime = try ConsoleRuntime(directory: directory, create: true, options: ConsoleRuntime.clusterOptions())
        let served: ServedCluster
        do {
            served = try serve(runtime.cluster)
        } catch {
            runtime.close()
            throw error
        }
        if !temporary { ServeMarker.write(directory: directory, bootstrap: served.bootstrap) }
        defer { if !temporary { ServeMarker.remove(directory: directory) } }
        let scenarioName = scenario, flags = flags
        let bootstrap = served.bootstrap
        let code = runtime.run(beforeClose: { served.server.shutdown() }) { cluster, insight in
            let workload = DemoWorkload(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers)
            let admin = Admin(client: KafkaClient(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers,
                                                  clientId: "eddy-demo-scenario", requestTimeoutMs: 10_000))
            let runner = scenarioName.map {
                $0.driver(transport: cluster.transport, bootstrapNodes: cluster.runningBrokers, admin: admin, workload: workload,
                          brokers: { insight.brokers() },
                          controllerHooks: ControllerFailoverDemo.Hooks(quorum: { insight.quorum() }, events: { insight.quorumEvents() },
                                                                        kill: { id throws(ClientError) in try await insight.killNode(id) },
                                                                        start: { id throws(ClientError) in try await insight.startNode(id) }),
                          acksHooks: AcksDemo.Hooks(setFollowerInterval: { cluster.setFollowerFetchInterval($0, topics: $1) },
                                                    kill: { id throws(ClientError) in try await insight.killBrokerNoticedAtOnce(id) },
                                                    start: { id throws(ClientError) in try await insight.startBroker(id) }))
            }
            do {
                try await workload.start()
            } catch {
                await workload.stop()
                throw error
            }
            runner?.start()
            let controls = DemoConsoleControls(brokers: insight, workload: workload, scenario: runner)
            let name = (temporary ? "eddy demo (\(directory), removed on exit)" : "eddy demo (\(directory))") + " kafka \(bootstrap)"
            let code: Int32
            do {
                code = try await ConsoleLaunch.runConsole(cluster: cluster, insight: insight, controls: controls, flags: flags,
                                                          clusterName: name)
            } catch {
                await runner?.stop()
                await workload.stop()
                admin.client.close()
                throw error
            }
            await runner?.stop()
            await workload.stop()
            admin.client.close()
            return code
        }
        try ConsoleLaunch.finish(code)
    }

    /// The demo cluster behind the Kafka protocol, so that a trainer's second terminal can run
    /// `kcat -b 127.0.0.1:9092 -G mygroup orders` and watch the group appear in the console.
    /// Log lines are dropped: they would tear the screen.
    private func serve(_ cluster: Cluster) throws -> ServedCluster {
        let logger = Logger(label: "eddy.serve", factory: { _ in SwiftLogNoOpLogHandler() })
        let address = ListenAddress(listen ?? Self.defaultListen)!
        do {
            return try ServedCluster(cluster: cluster, address: address, advertisedHost: nil, config: KafkaServer.Config(), logger: logger)
        } catch where listen == nil {
            // 9092 is taken (a Kafka broker, another demo): any free ports will do.
            return try ServedCluster(cluster: cluster, address: ListenAddress("127.0.0.1:0")!, advertisedHost: nil,
                                     config: KafkaServer.Config(), logger: logger)
        }
    }

    /// A new empty directory `eddy-demo-XXXXXX` under $TMPDIR (or /tmp).
    static func makeTemporaryDirectory() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base.hasSuffix("/") ? base : base + "/") .utf8CString.dropLast()) + Array("eddy-demo-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw EddyError("cannot create a temporary directory under \(base): \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}

extension TrainingScenario: ExpressibleByArgument {}
