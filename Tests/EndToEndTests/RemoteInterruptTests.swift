import Foundation
import Testing

/// A command against a cluster that does not answer ends at Ctrl-C (SIGINT), at once, with
/// "eddy: interrupted" and exit status 130, rather than waiting out its timeouts.
@Suite struct RemoteInterruptTests {
    @Test func ctrlCEndsARemoteCommandWaitingForASilentServer() throws {
        // A listener that takes connections (the kernel completes them into its backlog) and
        // never answers a request.
        let (fd, port) = try loopbackSocket(listening: true)
        defer { close(fd) }

        let command = try Eddy.start(["topics", "list", "--bootstrap-server", "127.0.0.1:\(port)"])
        defer { if command.isRunning { command.signal(SIGKILL) } }
        // Once it has connected, it waits for the silent server's answer (for up to 10 s).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var accepted: Int32 = -1
        // (A debug binary on a busy machine may take a while to start.)
        try waitFor("the command to connect", seconds: 30) {
            accepted = accept(fd, nil, nil)
            return accepted >= 0
        }
        defer { close(accepted) }
        #expect(command.isRunning, "it did not wait for the server")
        let interruptedAt = Date()
        command.signal(SIGINT)
        let result = command.wait()
        // Well under the 10 s it would otherwise wait.
        #expect(Date().timeIntervalSince(interruptedAt) < 5, "took \(Date().timeIntervalSince(interruptedAt)) s")
        #expect(result.status == 130, "\(result)")
        #expect(result.stderr.contains("eddy: interrupted"), "\(result)")
    }
}
