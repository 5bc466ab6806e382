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
