import Foundation
import Testing

/// One eddy command running in a terminal: a tmux session of 120x40 on a private tmux server,
/// driven with `send-keys` and read with `capture-pane -p`, the way a person at a terminal
/// would use the console. The command runs as `sh -c 'eddy ...; echo EXIT=$? > file'`, so its
/// exit status survives the pane closing.
///
/// Conditions are polled (`waitForScreen`) until they hold or a timeout passes; nothing is
/// asserted after a fixed sleep.
final class TmuxConsole {
    static let width = 120, height = 40

    let socket: String
    let session = "eddy"
    let scratch: String
    var exitFile: String { scratch + "/exit" }
    var stderrFile: String { scratch + "/stderr" }

    /// Starts `eddy args...` in a new session. `environment` is set for eddy only (e.g.
    /// TERM=dumb); the terminal is tmux's own (TERM=screen), in UTF-8.
    /// With `holdAfterExit`, the pane stays open after eddy exits, so what it left on the
    /// terminal can still be read.
    init(_ args: [String], environment: [String: String] = [:], holdAfterExit: Bool = false, width: Int = TmuxConsole.width,
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        try Eddy.requireBinary(sourceLocation: sourceLocation)
        scratch = NSTemporaryDirectory() + "eddy-tmux-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        socket = "eddy-e2e-\(UUID().uuidString.prefix(8))"
        let env = (["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "EDDY_DATA_DIR": "", "SWIFT_BACKTRACE": "enable=no"]
            .merging(environment) { _, new in new })
            .sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let command = "env \(env) \(Self.quote(Eddy.binary)) \(args.map(Self.quote).joined(separator: " ")) 2>\(Self.quote(stderrFile)); "
            + "echo EXIT=$? > \(Self.quote(exitFile))" + (holdAfterExit ? "; sleep 600" : "")
        let started = try Self.tmux(socket, ["-u", "new-session", "-d", "-s", session, "-x", "\(width)", "-y", "\(Self.height)",
                                             "sh -c \(Self.quote(command))"])
        try #require(started.status == 0, "tmux new-session failed: \(started.output)", sourceLocation: sourceLocation)
    }

    /// A test that failed midway leaves eddy running: it gets SIGTERM (it stops as for `q`),
    /// SIGKILL if it has not ended within 10 s, and then the tmux server goes. Killing the tmux
    /// server alone does not always reach eddy (tmux signals the pane's shell, not its child).
    deinit {
        if let pid = eddyPid() {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while kill(pid, 0) == 0, Date() < deadline { usleep(50_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        _ = try? Self.tmux(socket, ["kill-server"])
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// The screen as text, one line per row (trailing blanks trimmed); empty once the session ended.
    func screen() -> String {
        guard let r = try? Self.tmux(socket, ["capture-pane", "-p", "-t", session]), r.status == 0 else { return "" }
        return r.output
    }

    /// Types `text` literally (each character a key).
    func type(_ text: String) throws {
        _ = try Self.tmux(socket, ["send-keys", "-t", session, "-l", text])
    }

    /// Sends named keys (`Enter`, `Escape`, `Down`, ...).
    func press(_ keys: String...) throws {
        _ = try Self.tmux(socket, ["send-keys", "-t", session] + keys)
    }

    /// Types a `:` command and Enter.
    func command(_ line: String) throws {
        try type(":" + line)
        try press("Enter")
    }

    /// Polls the screen until `condition` returns a value, and returns it; records an issue
    /// with the last screen and throws after `seconds`.
    @discardableResult
    func waitForScreen<T>(_ what: String, seconds: Double = 30, sourceLocation: SourceLocation = #_sourceLocation,
                          _ condition: (String) -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = screen()
            if let value = condition(last) { return value }
            if exitStatus() != nil { break }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what); screen:\n\(last)\nstderr: \(stderr())", sourceLocation: sourceLocation)
        throw TmuxTimeout(what: what)
    }

    /// Waits until the screen contains every one of `texts`.
    @discardableResult
    func waitFor(_ texts: String..., seconds: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try waitForScreen(texts.joined(separator: ", "), seconds: seconds, sourceLocation: sourceLocation) { s in
            texts.allSatisfy { s.contains($0) } ? s : nil
        }
    }

    /// The command's exit status once it finished, nil while it runs.
    func exitStatus() -> Int32? {
        guard let text = try? String(contentsOfFile: exitFile, encoding: .utf8), text.hasPrefix("EXIT=") else { return nil }
        return Int32(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Waits for the command to finish and returns its exit status.
    func waitForExit(seconds: Double = 30, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = exitStatus() { return status }
            usleep(100_000)
        }
        Issue.record("eddy did not exit within \(seconds) s; screen:\n\(screen())", sourceLocation: sourceLocation)
        throw TmuxTimeout(what: "exit")
    }

    /// The pid of the eddy process (the pane's shell's child), nil when it is not running.
    func eddyPid() -> Int32? {
        guard let pane = try? Self.tmux(socket, ["list-panes", "-t", session, "-F", "#{pane_pid}"]), pane.status == 0,
              let shell = Int32(pane.output.trimmingCharacters(in: .whitespacesAndNewlines)),
              let children = try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8) else { return nil }
        return children.split(separator: " ").compactMap { Int32($0) }.first
    }

    func stderr() -> String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    // MARK: Reading tables off the screen

    /// The rows of the table whose header line contains every one of `header`: the
    /// whitespace-separated words of each following line whose first word satisfies `isRow`.
    static func rows(_ screen: String, header: [String], isRow: ([String]) -> Bool) -> [[String]] {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let h = lines.firstIndex(where: { line in header.allSatisfy { line.contains($0) } }) else { return [] }
        return lines[(h + 1)...].map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }.filter { !$0.isEmpty && isRow($0) }
    }

    // MARK: tmux

    struct Output {
        var status: Int32
        var output: String
    }

    /// Runs `tmux -L socket args...`. The tmux server a first `new-session` forks inherits the
    /// client's descriptors; Foundation's `Process` waits for a socket of its own to close, so
    /// bash closes every descriptor above 2 before running tmux, and the output goes through a
    /// file rather than a pipe.
    static func tmux(_ socket: String, _ args: [String]) throws -> Output {
        let outPath = NSTemporaryDirectory() + "eddy-tmux-out-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        defer { try? out.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let closeInherited = #"for f in /proc/$$/fd/*; do f=${f##*/}; if [ "$f" -gt 2 ]; then eval "exec $f>&-"; fi; done; exec "$@""#
        process.arguments = ["bash", "-c", closeInherited, "tmux", "tmux", "-L", socket, "-f", "/dev/null"] + args
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let data = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        return Output(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static var available: Bool { (try? tmux("eddy-probe", ["-V"]))?.status == 0 }

    /// Single-quoted for sh.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}

struct TmuxTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
