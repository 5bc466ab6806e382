import Foundation
import Testing

/// Runs the built `eddy` binary, as a user would, for the end-to-end tests.
///
/// The binary is `$EDDY_BINARY` if set, else `eddy` next to the test bundle (the same build
/// directory, so `swift build` before `swift test` provides it), else `.build/debug/eddy` under
/// the package root.
enum Eddy {
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["EDDY_BINARY"], !path.isEmpty { return path }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var candidates = [exe.deletingLastPathComponent().appendingPathComponent("eddy").path]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/eddy").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String

        var out: String { String(decoding: stdout, as: UTF8.self) }
        /// Lines of stdout without their newlines (none when stdout is empty).
        var outLines: [String] {
            guard !out.isEmpty else { return [] }
            return out.split(separator: "\n", omittingEmptySubsequences: false).dropLast(out.hasSuffix("\n") ? 1 : 0).map(String.init)
        }
        var errLines: [String] { stderr.split(separator: "\n").map(String.init) }
        var description: String { "status \(status)\nstdout:\n\(out)\nstderr:\n\(stderr)" }
    }

    /// Fails the test unless the binary exists.
    static func requireBinary(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "eddy binary not found at \(binary); run `swift build` first", sourceLocation: sourceLocation)
    }

    /// Runs `eddy args...` to completion with `stdin` as its standard input.
    @discardableResult
    static func run(_ args: [String], stdin: [UInt8] = [], environment: [String: String] = [:],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let p = try start(args, stdin: stdin, environment: environment, sourceLocation: sourceLocation)
        return p.wait()
    }

    /// Starts `eddy args...`; its output goes to temporary files collected by `wait()`.
    /// With `stdinPipe`, standard input is that pipe (written and closed by the caller) instead of `stdin`.
    /// With `launcher` (e.g. `["/usr/bin/prlimit", "--nofile=30:30"]`), that command runs eddy.
    static func start(_ args: [String], stdin: [UInt8] = [], stdinPipe: Pipe? = nil, environment: [String: String] = [:],
                      launcher: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> Running {
        try requireBinary(sourceLocation: sourceLocation)
        let scratch = NSTemporaryDirectory() + "eddy-e2e-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let inPath = scratch + "/stdin", outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        process.arguments = launcher.isEmpty ? args : Array(launcher.dropFirst()) + [binary] + args
        var env = ProcessInfo.processInfo.environment
        env["EDDY_DATA_DIR"] = nil
        env["EDDY_LOG_LEVEL"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let stdinPipe {
            process.standardInput = stdinPipe
        } else {
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        return Running(process: process, scratch: scratch)
    }

    final class Running {
        let process: Process
        let scratch: String

        init(process: Process, scratch: String) {
            self.process = process
            self.scratch = scratch
        }

        var pid: Int32 { process.processIdentifier }
        var isRunning: Bool { process.isRunning }

        func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

        func wait() -> Result {
            process.waitUntilExit()
            let out = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stdout"))) ?? Data()
            let err = (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stderr"))) ?? Data()
            try? FileManager.default.removeItem(atPath: scratch)
            let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
            return Result(status: status, stdout: Array(out), stderr: String(decoding: err, as: UTF8.self))
        }

        /// What the process has printed on stdout so far.
        func stdoutSoFar() -> String {
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stdout"))) ?? Data(), as: UTF8.self)
        }

        /// What the process has printed on stderr so far.
        func stderrSoFar() -> String {
            String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stderr"))) ?? Data(), as: UTF8.self)
        }
    }
}

/// A fresh data directory path (not created) under the temporary directory, removed by `remove()`.
struct TempDataDir {
    let root: String
    var path: String { root + "/data" }

    init() {
        root = NSTemporaryDirectory() + "eddy-e2e-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// `--data-dir <path>`.
    var flag: [String] { ["--data-dir", path] }

    /// `eddy topics create` in this directory, which must succeed.
    func createTopic(_ name: String, partitions: Int, configs: [String] = [],
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try Eddy.run(["topics", "create", "--topic", name, "--partitions", "\(partitions)"]
            + configs.flatMap { ["--config", $0] } + flag, sourceLocation: sourceLocation)
        try #require(r.status == 0, "\(r)", sourceLocation: sourceLocation)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// `broker-<id>`: one broker's log directory.
    func brokerDirectory(_ id: Int) -> String { path + "/broker-\(id)" }

    /// Brokers whose log directory holds a replica of the partition, ascending.
    func replicaBrokers(_ topic: String, _ partition: Int) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.compactMap { $0.hasPrefix("broker-") ? Int($0.dropFirst("broker-".count)) : nil }.sorted()
            .filter { FileManager.default.fileExists(atPath: brokerDirectory($0) + "/\(topic)-\(partition)") }
    }

    /// The directory of one partition's log: its first replica's (with replication factor 1,
    /// its only one).
    func partitionDirectory(_ topic: String, _ partition: Int) -> String {
        brokerDirectory(replicaBrokers(topic, partition).first ?? 0) + "/\(topic)-\(partition)"
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
func waitFor(_ what: String, seconds: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
             _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(10_000)
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}
