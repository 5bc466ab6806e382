import Foundation
import Testing

extension ConsoleTmuxTests {
    /// The demo serves its cluster over the Kafka protocol: the status line gives the address,
    /// and a group that kcat joins from outside appears in the Groups view with its members.
    @Test func demoServesKafkaClientsAndShowsTheirGroups() throws {
        let kcat = try #require(["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                "kcat is not installed (scripts/test installs it through scripts/interop-setup)")
        let dir = TempDataDir()
        defer { dir.remove() }
        let t = try TmuxConsole(["demo", "--data-dir", dir.path, "--refresh", "500ms", "--listen", "127.0.0.1:0"])
        let screen = try t.waitFor("BROKER", "running", "kafka 127.0.0.1:", seconds: 60)
        let address = try #require(screen.split(separator: " ").first { $0.hasPrefix("127.0.0.1:") }.map(String.init))
        let consumer = Process()
        consumer.executableURL = URL(fileURLWithPath: kcat)
        consumer.arguments = ["-b", address, "-G", "trainer", "orders", "-q"]
        consumer.standardOutput = FileHandle.nullDevice
        consumer.standardError = FileHandle.nullDevice
        try consumer.run()
        defer {
            consumer.terminate()
            consumer.waitUntilExit()
        }
        try t.press("4")
        let groups = try t.waitForScreen("the trainer group with one member") { s -> String? in
            s.split(separator: "\n").first { $0.hasPrefix("trainer ") && $0.contains("Stable") }.map(String.init)
        }
        let cells = groups.split(separator: " ", omittingEmptySubsequences: true)
        #expect(cells.contains("1"), "one member: \(groups)")
        try t.press("q")
        #expect(try t.waitForExit() == 0)
    }
}

extension ConsoleTmuxTests {
    /// `eddy console --bootstrap-server` watches a cluster another process serves, and its
    /// broker keys go over the wire (EddyBrokerControl): a stopped broker leaves Metadata and
    /// is shown fenced, then comes back with `u`.
    @Test func consoleAttachesToARunningServer() throws {
        let served = try ServedCluster()
        let created = try Eddy.run(["topics", "create", "--topic", "remote", "--partitions", "3", "--replication-factor", "3"] + served.flag)
        try #require(created.status == 0, "\(created)")
        let t = try TmuxConsole(["console", "--refresh", "500ms"] + served.flag)
        try t.waitFor("brokers 3 of 3 running", served.bootstrap, seconds: 60)
        // The Cluster view selects broker 0 first.
        try t.press("x")
        try t.waitForScreen("broker 0 fenced after a controlled shutdown over the wire") { s -> Bool? in
            s.contains("brokers 2 of 3 running") && s.split(separator: "\n").contains { $0.hasPrefix("0 ") && $0.contains("fenced") } ? true : nil
        }
        try t.press("u")
        try t.waitFor("brokers 3 of 3 running", "broker 0 started", seconds: 60)
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }

    /// Separate controllers of a served cluster are known from DescribeQuorum: X on the active
    /// one kills it over the wire (it is shown unreachable, another leads), u starts it again.
    @Test func consoleKillsAndStartsAServedSeparateController() throws {
        let served = try ServedCluster(initArgs: ["--controller-mode", "separate"])
        let t = try TmuxConsole(["console", "--refresh", "500ms"] + served.flag, width: 120)
        let before = try t.waitForScreen("three brokers and three controllers, one active", seconds: 60) { s -> [Node]? in
            let n = Self.nodes(s)
            return n.map(\.id) == [0, 1, 2, 3000, 3001, 3002] && n.filter(\.active).count == 1 && s.contains("controllers 3 of 3 running") ? n : nil
        }
        let row = try #require(before.firstIndex { $0.active })
        let active = before[row].id
        try t.press("Home")
        for _ in 0 ..< row { try t.press("Down") }
        try t.type("X")
        try t.waitForScreen("controller \(active) unreachable, another active", seconds: 60) { s -> Bool? in
            let n = Self.nodes(s)
            let gone = n.first { $0.id == active }?.state == "unreachable"
            let other = n.first { $0.active }.map { $0.id != active } ?? false
            return gone && other && s.contains("controllers 2 of 3 running") ? true : nil
        }
        try t.type("u")
        try t.waitForScreen("controller \(active) back", seconds: 60) { s -> Bool? in
            s.contains("controllers 3 of 3 running") && s.contains("controller \(active) started") ? true : nil
        }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }

    /// Against `eddy serve`, statuses come from the commits in `__consumer_offsets`: a group
    /// that commits the same offset again with lag is STALL, and the Group view shows the log
    /// start, the time lag and the status per partition.
    @Test func consoleShowsBurrowStatusesFromTheCommitLog() throws {
        let served = try ServedCluster()
        func eddy(_ args: [String], stdin: String = "") throws {
            let r = try Eddy.run(args + served.flag, stdin: Array(stdin.utf8))
            try #require(r.status == 0, "eddy \(args): \(r)")
        }
        try eddy(["topics", "create", "--topic", "ledger", "--partitions", "1"])
        try eddy(["produce", "--topic", "ledger", "--partition", "0"], stdin: (0 ..< 20).map { "r\($0)\n" }.joined())
        let t = try TmuxConsole(["console", "--refresh", "300ms"] + served.flag)
        try t.waitFor("brokers 3 of 3 running", seconds: 60)
        try t.press("4")
        try t.waitFor("TIME-LAG", "STATUS")
        // A consumer stuck at 5 that keeps committing it (each commit is one eddy command, a
        // second or so apart): STALL. (Had it stopped committing, STOP would follow once the
        // silence outlasts the window.)
        try t.waitForScreen("the stuck group STALL") { s -> Bool? in
            if s.split(separator: "\n").contains(where: { $0.hasPrefix("stuck") && $0.contains("STALL") }) { return true }
            _ = try? eddy(["groups", "reset-offsets", "--group", "stuck", "--topic", "ledger", "--to-offset", "5", "--execute"])
            return nil
        }
        try t.command("group stuck")
        try t.waitForScreen("partition 0 from log start 0, committed 5, lag 15, STALL") { s -> Bool? in
            if s.split(separator: "\n").contains(where: { line in
                let cells = line.split(separator: " ").map(String.init)
                return cells.first == "ledger" && cells.contains("5") && cells.contains("15") && cells.contains("STALL")
            }) { return true }
            _ = try? eddy(["groups", "reset-offsets", "--group", "stuck", "--topic", "ledger", "--to-offset", "5", "--execute"])
            return nil
        }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }

    /// `eddy console` told no cluster, with a clusters file naming some: a picker lists them
    /// (with their addresses and whether they are read-only); a digit opens one, and the
    /// console then runs on it as with --cluster. q quits the picker.
    @Test func theConsoleOffersAPickerOfNamedClusters() throws {
        let served = try ServedCluster()
        let config = TempDataDir()
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.path + "/eddy", withIntermediateDirectories: true)
        try "cluster.alpha.bootstrap.servers=\(served.bootstrap)\ncluster.beta.bootstrap.servers=\(served.bootstrap)\ncluster.beta.writable=true\n"
            .write(toFile: config.path + "/eddy/clusters.properties", atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": config.path]
        let quitting = try TmuxConsole(["console"], environment: env)
        try quitting.waitFor("Which cluster?", "1 alpha", "read-only", "2 beta")
        try quitting.press("q")
        #expect(try quitting.waitForExit() == 0)

        let t = try TmuxConsole(["console", "--refresh", "500ms"], environment: env)
        try t.waitFor("Which cluster?")
        try t.press("2")
        try t.waitFor(" beta ", "brokers 3 of 3 running", seconds: 60)
        try t.command("clusters")
        try t.waitFor("configured: alpha, beta")
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }

    /// Nothing listening at the address: one line, exit status 1, at once (not after the admin
    /// client's 60 s default.api.timeout.ms).
    @Test func consoleAndCommandsFailFastWhenNothingAnswers() throws {
        let refusing = try RefusingPort()
        defer { withExtendedLifetime(refusing) {} }
        let port = refusing.port
        let started = Date()
        let t = try TmuxConsole(["console", "--bootstrap-server", "127.0.0.1:\(port)"])
        #expect(try t.waitForExit(seconds: 20) == 1)
        #expect(t.stderr().contains("eddy: cannot reach 127.0.0.1:\(port)"), "\(t.stderr())")
        let r = try Eddy.run(["topics", "list", "--bootstrap-server", "127.0.0.1:\(port)"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("eddy: cannot reach 127.0.0.1:\(port)"), "\(r)")
        #expect(Date().timeIntervalSince(started) < 20)
    }
}

/// A TCP port on 127.0.0.1 where nothing listens, held (bound, not listening: connecting is
/// refused) until this is released, so that no test running alongside is given it meanwhile.
final class RefusingPort {
    let port: Int
    private let fd: Int32

    init() throws { (fd, port) = try loopbackSocket(listening: false) }

    deinit { close(fd) }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released), for a server
/// this test starts; anything else may take it meanwhile, so the caller checks that its own
/// server is the one that listens.
func releasedPort() throws -> Int {
    let (fd, port) = try loopbackSocket(listening: false)
    close(fd)
    return port
}

extension ConsoleTmuxTests {
    /// Issue 11's fifth position in the console against `eddy serve`: an open transaction holds
    /// the last stable offset below the high watermark; the Topic view shows it held, with its
    /// age, until the transaction commits.
    @Test func anOpenTransactionHoldsTheLastStableOffsetInTheTopicView() throws {
        let served = try ServedCluster()
        let created = try Eddy.run(["topics", "create", "--topic", "ledger", "--partitions", "1"] + served.flag)
        try #require(created.status == 0, "\(created)")
        try #require(try Eddy.run(["produce", "--topic", "ledger"] + served.flag, stdin: Array("a\nb\n".utf8)).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "ledger", "--transactional-id", "console-tx"] + served.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("c\nd\n".utf8))
        let t = try TmuxConsole(["console", "--refresh", "300ms"] + served.flag)
        try t.waitFor("brokers 3 of 3 running", seconds: 60)
        try t.command("topic ledger")
        // PART LEADER REPLICAS ISR LOG-START LOG-END HW LSO: partition 0 with HW 4 and LSO 2 held.
        try t.waitForScreen("partition 0's LSO held at 2 below HW 4") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ").map(String.init)
                return cells.first == "0" && cells.count > 8 && cells[6] == "4" && cells[7] == "2" && cells[8] == "held"
            } ? true : nil
        }
        try input.fileHandleForWriting.close()
        #expect(producer.wait().status == 0)
        try t.waitForScreen("committed: LSO = HW = 5, no longer held") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ").map(String.init)
                return cells.first == "0" && cells.count > 8 && cells[6] == "5" && cells[7] == "5" && cells[8] != "held"
            } ? true : nil
        }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }
}

extension ConsoleTmuxTests {
    /// The Transactions view against `eddy serve`: an open transaction is listed Ongoing with
    /// its partition; `a` and `y` abort it through its coordinator, which fences the producer
    /// that left it open (its commit then fails) and lets the last stable offset move on; the
    /// Messages view then shows the coordinator's ABORT marker after the aborted records.
    @Test func theTransactionsViewAbortsAnOpenTransaction() throws {
        let served = try ServedCluster()
        try #require(try Eddy.run(["topics", "create", "--topic", "ledger", "--partitions", "1"] + served.flag).status == 0)
        let input = Pipe()
        let producer = try Eddy.start(["produce", "--topic", "ledger", "--transactional-id", "stuck-tx"] + served.flag, stdinPipe: input)
        defer { if producer.isRunning { producer.signal(SIGKILL) } }
        try input.fileHandleForWriting.write(contentsOf: Data("c\nd\n".utf8))
        let t = try TmuxConsole(["console", "--refresh", "300ms"] + served.flag)
        try t.waitFor("brokers 3 of 3 running", seconds: 60)
        try t.press("7")
        try t.waitForScreen("stuck-tx listed Ongoing on ledger-0") { s -> Bool? in
            s.split(separator: "\n").contains { $0.hasPrefix("stuck-tx ") && $0.contains(" Ongoing ") && $0.contains("ledger-0") } ? true : nil
        }
        try t.press("a")
        try t.waitFor("Abort transaction stuck-tx", "PRODUCER_FENCED")
        try t.press("y")
        try t.waitFor("ended transaction stuck-tx through its coordinator")
        try t.waitForScreen("stuck-tx no longer running") { s -> Bool? in
            s.split(separator: "\n").contains { $0.hasPrefix("stuck-tx ") && ($0.contains("CompleteAbort") || $0.contains(" Empty ")) } ? true : nil
        }
        // The Messages view shows the records dimmed, then the coordinator's ABORT marker.
        try t.command("messages ledger 0")
        try t.waitFor("ABORT", "marker of producer", "aborted 2")
        // The producer that left it open is fenced: committing at the end of its input fails.
        try input.fileHandleForWriting.close()
        #expect(producer.wait().status == 1)
        let offsets = try Eddy.run(["transactions", "describe", "--transactional-id", "stuck-tx"] + served.flag)
        #expect(offsets.status == 0 && !offsets.outLines.joined().contains("Ongoing"), "\(offsets)")
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(served.stop().status == 0)
    }
}
