import Foundation
import Testing

/// `eddy serve --config`: Kafka's server.properties keys, and the mistakes it refuses before
/// serving.
struct ServeConfigTests {
    /// Writes `text` as a server.properties and runs `eddy serve --config` on a fresh data
    /// directory with `extra` flags.
    static func serve(_ text: String, _ extra: [String] = []) throws -> Eddy.Result {
        let dir = TempDataDir()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        let file = dir.path + "/server.properties"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let process = try Eddy.start(["serve", "--data-dir", dir.path + "/data", "--config", file] + extra)
        // Each case must be refused before serving: a server that starts anyway is stopped (and
        // the test fails) rather than waited for.
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("eddy serve started instead of refusing the configuration")
            process.signal(SIGKILL)
        }
        return process.wait()
    }

    /// The transaction coordinators' settings: a producer asking for more than
    /// transaction.max.timeout.ms is refused, one that leaves its transaction open past its own
    /// timeout is aborted within the cleanup interval, and `__transaction_state` gets
    /// transaction.state.log.num.partitions partitions.
    @Test func transactionSettingsReachTheCoordinators() throws {
        let server = try ServedCluster(properties: """
            transaction.max.timeout.ms=5000
            transaction.abort.timed.out.transaction.cleanup.interval.ms=100
            transaction.state.log.num.partitions=3
            """)
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "1"] + server.flag).status == 0)
        let tooLong = try Eddy.run(["produce", "--topic", "t", "--transactional-id", "long", "--producer-property", "transaction.timeout.ms=60000"]
            + server.flag, stdin: Array("x\n".utf8))
        #expect(tooLong.status == 1 && tooLong.stderr.contains("INVALID_TRANSACTION_TIMEOUT"), "\(tooLong)")
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "t", "--transactional-id", "short", "--producer-property",
                                       "transaction.timeout.ms=1000"] + server.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("open\n".utf8))
        func state() throws -> String {
            try Eddy.run(["transactions", "describe", "--transactional-id", "short"] + server.flag).out
        }
        try waitFor("the transaction opened") { try state().contains("Ongoing") }
        try waitFor("the coordinator aborted the transaction past its timeout", seconds: 30) { try state().contains("CompleteAbort") }
        let described = try Eddy.run(["topics", "describe", "--topic", "__transaction_state"] + server.flag)
        #expect(described.out.contains("PartitionCount: 3"), "\(described)")
        producer.signal(SIGKILL)
    }

    /// metadata.log.max.record.bytes.between.snapshots reaches the controllers: at 1 byte every
    /// voter snapshots its metadata log after the next change; the quorum's timing keys are
    /// taken (a server with them elects and serves).
    @Test func quorumSettingsReachTheControllers() throws {
        let server = try ServedCluster(properties: """
            metadata.log.max.record.bytes.between.snapshots=1
            controller.quorum.election.timeout.ms=500
            controller.quorum.fetch.timeout.ms=1500
            controller.quorum.election.backoff.max.ms=300
            controller.quorum.request.timeout.ms=1000
            broker.session.timeout.ms=6000
            """)
        func snapshots() -> [String] {
            (0 ..< 3).flatMap { id -> [String] in
                let dir = server.dir.path + "/controller-\(id)/__cluster_metadata-0"
                return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".checkpoint") }.map { "\(id)/\($0)" }
            }
        }
        #expect(try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "2"] + server.flag).status == 0)
        try waitFor("every voter snapshotted after the topic was created", seconds: 30) {
            Set(snapshots().map { $0.prefix(1) }) == ["0", "1", "2"]
        }
        let described = try Eddy.run(["cluster", "describe"] + server.flag)
        #expect(described.status == 0 && described.out.contains("CurrentVoters:                [0,1,2]"), "\(described)")
        let bad = try Self.serve("controller.quorum.fetch.timeout.ms=soon\n")
        #expect(bad.status == 2 && bad.stderr.contains("line 1: controller.quorum.fetch.timeout.ms: must be an integer from 1 to 2147483647"), "\(bad)")
    }

    @Test func listenersWhosePortsOverlapAreRefused() throws {
        // Kafka's usual PLAINTEXT://:9092,SSL://:9093: with three brokers, broker 1's PLAINTEXT
        // port would be broker 0's SSL port.
        let r = try Self.serve("listeners=PLAINTEXT://127.0.0.1:39092,INTERNAL://127.0.0.1:39093\nlistener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT\n")
        #expect(r.status == 1)
        #expect(r.errLines.count == 1 && r.stderr.contains("overlap") && r.stderr.contains("at least 3 ports apart"), "\(r)")
    }

    /// A port another program listens on: one line naming the listener, its broker and the
    /// system's reason (it was NIO's error dump), for `serve` and for `lag --metrics-listen`.
    @Test func aPortInUseIsNamedWithTheSystemsReason() throws {
        let (fd, port) = try loopbackSocket(listening: true)
        defer { close(fd) }
        let dir = TempDataDir()
        defer { dir.remove() }
        let process = try Eddy.start(["serve", "--listen", "127.0.0.1:\(port)"] + dir.flag)
        defer { if process.isRunning { process.signal(SIGKILL) } }
        try waitFor("eddy serve gives up", seconds: 30) { !process.isRunning }
        let served = process.wait()
        #expect(served.status == 1, "\(served)")
        #expect(served.errLines == ["eddy: cannot listen on PLAINTEXT://127.0.0.1:\(port) (broker 0): Address already in use; "
                + "choose other addresses with --listen or listeners"], "\(served)")
        let lag = try Eddy.start(["lag", "--metrics-listen", "127.0.0.1:\(port)"] + dir.flag)
        defer { if lag.isRunning { lag.signal(SIGKILL) } }
        try waitFor("eddy lag gives up", seconds: 30) { !lag.isRunning }
        let watched = lag.wait()
        #expect(watched.status == 1, "\(watched)")
        #expect(watched.errLines == ["eddy: cannot listen on 127.0.0.1:\(port) for metrics: Address already in use; choose another --metrics-listen"],
                "\(watched)")
    }

    @Test func unsupportedKeysAndContradictoryFlagsAreUsageErrors() throws {
        let unknown = try Self.serve("log.dirs=/var/lib/kafka\n")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("eddy: --config ") && unknown.stderr.contains("line 1: log.dirs: not a setting eddy serve supports"), "\(unknown)")
        let partitions = try Self.serve("transaction.state.log.num.partitions=20000\n")
        #expect(partitions.status == 2 && partitions.stderr.contains("must be at most 10000"), "\(partitions)")
        let both = try Self.serve("listeners=PLAINTEXT://127.0.0.1:0\n", ["--listen", "127.0.0.1:0"])
        #expect(both.status == 2 && both.stderr.contains("--listen and the listeners of --config"), "\(both)")
        let advertised = try Self.serve("advertised.listeners=PLAINTEXT://public.example.com:9092\n", ["--listen", "127.0.0.1:0"])
        #expect(advertised.status == 2 && advertised.stderr.contains("advertised.listeners"), "\(advertised)")
        let sasl = try Self.serve("listeners=SASL_PLAINTEXT://127.0.0.1:0\nsasl.enabled.mechanisms=GSSAPI\n")
        #expect(sasl.status == 2 && sasl.stderr.contains("eddy speaks PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, not GSSAPI"), "\(sasl)")
        let missingKeystore = try Self.serve("listeners=SSL://127.0.0.1:0\nssl.keystore.location=/nonexistent/broker.pem\n")
        #expect(missingKeystore.status == 1 && missingKeystore.stderr.contains("ssl.keystore.location"), "\(missingKeystore)")
    }
}
