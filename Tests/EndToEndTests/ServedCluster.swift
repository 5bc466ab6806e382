import Foundation
import Testing

/// `eddy serve` on a fresh data directory, on free ports (`--listen 127.0.0.1:0`), for the
/// end-to-end tests that use `--bootstrap-server`. Ready once the server wrote its bootstrap
/// address to `<data-dir>/serve.bootstrap`; stopped with SIGTERM.
final class ServedCluster {
    let dir = TempDataDir()
    let process: Eddy.Running
    let bootstrap: String

    /// `launcher`: a command that runs eddy (see `Eddy.start`); `properties`: the text of a
    /// server.properties for `--config` (written beside the data directory), if any; `initArgs`:
    /// `eddy cluster init` runs first with these (the server's own default otherwise).
    init(launcher: [String] = [], properties: String? = nil, initArgs: [String]? = nil,
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        if let initArgs {
            let r = try Eddy.run(["cluster", "init"] + initArgs + dir.flag, sourceLocation: sourceLocation)
            try #require(r.status == 0, "cluster init: \(r)", sourceLocation: sourceLocation)
        }
        var config: [String] = []
        if let properties {
            let file = dir.root + "/server.properties"
            try properties.write(toFile: file, atomically: true, encoding: .utf8)
            config = ["--config", file]
        }
        process = try Eddy.start(["serve", "--listen", "127.0.0.1:0"] + dir.flag + config, launcher: launcher, sourceLocation: sourceLocation)
        let marker = dir.path + "/serve.bootstrap"
        let process = process
        try waitFor("eddy serve writes \(marker)", seconds: 60, sourceLocation: sourceLocation) {
            try #require(process.isRunning, "eddy serve exited: \(process.wait())", sourceLocation: sourceLocation)
            return FileManager.default.fileExists(atPath: marker)
        }
        let text = try String(contentsOfFile: marker, encoding: .utf8)
        bootstrap = try #require(text.split(whereSeparator: \.isWhitespace).last.map(String.init), "marker: \(text)")
    }

    /// `--bootstrap-server <address>`.
    var flag: [String] { ["--bootstrap-server", bootstrap] }

    /// `--bootstrap-server` with every broker's address (from the server's banner, `broker N at
    /// HOST:PORT`), so that a command reaches the cluster whichever broker is stopped.
    func everyBrokerFlag(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        let banner = try #require(process.stderrSoFar().split(separator: "\n").first { $0.contains(": broker 0 at ") },
                                  "no banner: \(process.stderrSoFar())", sourceLocation: sourceLocation)
        let addresses = banner.components(separatedBy: " at ").dropFirst().compactMap {
            $0.split(whereSeparator: { $0 == "," || $0 == ";" }).first.map(String.init)
        }
        try #require(addresses.count >= 2, "\(banner)", sourceLocation: sourceLocation)
        return ["--bootstrap-server", addresses.joined(separator: ",")]
    }

    /// Stops the server (SIGTERM: a clean shutdown) and returns how it ended.
    @discardableResult
    func stop() -> Eddy.Result {
        process.signal(SIGTERM)
        return process.wait()
    }

    deinit {
        if process.isRunning { _ = stop() }
        dir.remove()
    }
}

/// A TCP socket bound to a free port on 127.0.0.1, listening (the kernel then completes
/// connections into its backlog, answered or not) or not; the caller closes it.
func loopbackSocket(listening: Bool) throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ready = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && (!listening || listen(fd, 16) == 0) && getsockname(fd, $0, &length) == 0
        }
    }
    guard ready else {
        close(fd)
        throw TestSocketError()
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

struct TestSocketError: Error {}
