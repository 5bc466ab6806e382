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

    /// Nothing listening at the address: one line, exit status 1, at once (not after the admin
    /// client's 60 s default.api.timeout.ms).
    @Test func consoleAndCommandsFailFastWhenNothingAnswers() throws {
        let port = try closedPort()
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

/// A TCP port on 127.0.0.1 where nothing listens (bound, then released).
func closedPort() throws -> Int {
    let (fd, port) = try loopbackSocket(listening: false)
    close(fd)
    return port
}
