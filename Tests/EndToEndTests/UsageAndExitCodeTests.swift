import Foundation
import Testing

/// Exit statuses and error lines: 0 ok, 1 runtime error, 2 usage error; errors are one
/// stderr line starting `eddy: `.
@Suite struct UsageAndExitCodeTests {
    @Test(arguments: [
        ["--bogus"],
        ["nosuch"],
        ["topics", "create", "--topic", "t"],
        ["topics", "create", "--partitions", "1"],
        ["topics", "create", "--topic", "t", "--partitions", "many"],
        ["topics", "create", "--topic", "t", "--partitions", "1", "--config", "novalue"],
        ["topics", "create", "--topic", "t", "--partitions", "1", "--config", "a=1", "--config", "a=2"],
        ["topics", "alter", "--topic", "t"],
        ["topics", "delete"],
        ["produce"],
        ["produce", "--topic", "t", "--key-separator", ""],
        ["produce", "--topic", "t", "--header", "novalue"],
        ["produce", "--topic", "t", "--batch-size", "0"],
        ["consume", "--topic", "t", "--offset", "soon"],
        ["consume", "--topic", "t", "--offset", "-5"],
        ["consume", "--topic", "t", "--format", "%q"],
        ["consume", "--topic", "t", "--format", "50%"],
        ["consume", "--topic", "t", "--max-messages", "-1"],
        ["bench", "append", "--records", "0"],
        ["bench", "append", "--records", "10", "--batch", "3"],
        ["bench", "produce", "--replication-factor", "4"],
        ["bench", "produce", "--acks", "2"],
        ["bench", "produce", "--transaction-batches", "0"],
        ["bench", "produce", "--transaction-batches", "10", "--partitions", "3"],
        ["bench", "produce", "--transaction-batches", "10", "--acks", "1"],
        ["bench", "consume", "--isolation-level", "committed"],
        ["bench", "requests", "--requests", "0"],
        ["bench", "requests", "--replication-factor", "4"],
        ["cluster", "init", "--brokers", "0"],
        ["cluster", "init", "--brokers", "65"],
        ["cluster", "nosuch"],
        ["broker", "stop"],
        ["broker", "start", "--id", "x"],
        ["broker", "kill", "--id"],
        ["produce", "--topic", "t", "--acks", "all2"],
        ["produce", "--topic", "t", "--acks", "2"],
        ["produce", "--topic", "t", "--timeout-ms", "-1"],
        ["--data-dir", "", "topics", "list"],
    ])
    func usageErrorsExit2WithOneLine(args: [String]) throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        let r = try Eddy.run(args, environment: ["EDDY_DATA_DIR": dir.path])
        #expect(r.status == 2, "\(args): \(r)")
        #expect(r.errLines.count == 1, "\(args): \(r)")
        #expect(r.stderr.hasPrefix("eddy: ") && r.stderr.contains("--help'"), "\(args): \(r)")
        #expect(r.stdout.isEmpty, "\(args): \(r)")
        #expect(!FileManager.default.fileExists(atPath: dir.path), "a usage error touches nothing")
    }

    @Test func usageErrorPointsAtTheSubcommandHelp() throws {
        let r = try Eddy.run(["topics", "create", "--topic", "t", "--partitions", "x"])
        #expect(r.stderr.hasSuffix("; see 'eddy topics create --help'\n"), "\(r)")
    }

    @Test(arguments: [["--help"], ["help"], ["topics", "--help"], ["consume", "--help"], ["help", "produce"], ["--version"],
                      ["cluster", "--help"], ["broker", "stop", "--help"], ["help", "bench", "produce"]])
    func helpExits0OnStdout(args: [String]) throws {
        let r = try Eddy.run(args)
        #expect(r.status == 0, "\(r)")
        #expect(!r.stdout.isEmpty && r.stderr.isEmpty, "\(r)")
    }

    @Test func helpListsEveryCommand() throws {
        let r = try Eddy.run(["--help"])
        for command in ["status", "cluster", "broker", "topics", "produce", "consume", "bench"] {
            #expect(r.out.contains("  \(command)"), "\(command) missing from:\n\(r.out)")
        }
    }

    @Test func dataDirectoryComesFromFlagThenEnvironmentThenDefault() throws {
        let env = TempDataDir(), flag = TempDataDir(), cwd = TempDataDir()
        defer { env.remove(); flag.remove(); cwd.remove() }
        try #require(try Eddy.run(["topics", "create", "--topic", "in-env", "--partitions", "1"],
                                  environment: ["EDDY_DATA_DIR": env.path]).status == 0)
        try #require(try Eddy.run(["topics", "create", "--topic", "in-flag", "--partitions", "1", "--data-dir", flag.path],
                                  environment: ["EDDY_DATA_DIR": env.path]).status == 0)
        #expect(try Eddy.run(["topics", "list"], environment: ["EDDY_DATA_DIR": env.path]).outLines == ["in-env"])
        #expect(try Eddy.run(["topics", "list", "--data-dir", flag.path]).outLines == ["in-flag"])
        // Default: ./eddy-data in the working directory.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Eddy.binary)
        p.arguments = ["topics", "create", "--topic", "in-cwd", "--partitions", "1"]
        p.currentDirectoryURL = URL(fileURLWithPath: cwd.root)
        var e = ProcessInfo.processInfo.environment
        e["EDDY_DATA_DIR"] = nil
        p.environment = e
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(try Eddy.run(["topics", "list", "--data-dir", cwd.root + "/eddy-data"]).outLines == ["in-cwd"])
    }

    @Test func closedStdoutEndsConsumeQuietly() throws {
        let dir = TempDataDir()
        defer { dir.remove() }
        try dir.createTopic("t", partitions: 1)
        let input = Array((0 ..< 100_000).map { "line \($0)\n" }.joined().utf8)
        try #require(try Eddy.run(["produce", "--topic", "t"] + dir.flag, stdin: input).status == 0)
        // `eddy consume | head -1`: the consumer gets EPIPE and exits 0 without a message.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "'\(Eddy.binary)' consume --topic t --exit-at-end --data-dir '\(dir.path)' 2>'\(dir.root)/err' | head -1"]
        let out = Pipe()
        shell.standardOutput = out
        try shell.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(printed == "line 0\n")
        #expect((try? String(contentsOfFile: dir.root + "/err", encoding: .utf8)) == "")
        // The directory was closed cleanly: the next command needs no recovery and says nothing.
        let next = try Eddy.run(["consume", "--topic", "t", "--exit-at-end", "--max-messages", "1"] + dir.flag)
        #expect(next.outLines == ["line 0"] && next.stderr.isEmpty, "\(next)")
    }
}
