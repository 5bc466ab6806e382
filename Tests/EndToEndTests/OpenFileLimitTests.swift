import Foundation
import Testing

/// `eddy serve` and the open-file limit: a broker holds a descriptor per log segment and per
/// connection, so it raises its soft limit to the hard one, and says so when half is used.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit (util-linux)"))
struct OpenFileLimitTests {
    /// The soft and hard "Max open files" of process `pid`.
    static func openFileLimits(_ pid: Int32) throws -> [String] {
        let text = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        return Array(line.split(separator: " ").dropFirst(3).prefix(2).map(String.init))
    }

    @Test func serveRaisesItsSoftLimitToTheHardOne() throws {
        let served = try ServedCluster(launcher: ["/usr/bin/prlimit", "--nofile=64:4096"])
        #expect(try Self.openFileLimits(served.process.pid) == ["4096", "4096"])
        let result = served.stop()
        #expect(result.status == 0)
        #expect(!result.stderr.contains("file descriptors"), "\(result)")
    }

    @Test func serveWarnsWhenHalfItsLimitIsInUse() throws {
        let served = try ServedCluster(launcher: ["/usr/bin/prlimit", "--nofile=30:30"])
        let process = served.process
        try waitFor("the warning") { process.stderrSoFar().contains("file descriptors this process may open are in use") }
        #expect(process.stderrSoFar().contains("of the 30 file descriptors"))
        // It still serves.
        let topics = try Eddy.run(["topics", "list"] + served.flag)
        #expect(topics.status == 0, "\(topics)")
        #expect(served.stop().status == 0)
    }
}
