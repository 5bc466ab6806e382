import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `eddy` command line: argument parsing and wiring only; the work is done by the modules.
///
/// Exit status: 0 success, 1 runtime error, 2 usage error. Every error is one line on stderr
/// starting `eddy: `.
@main
struct Eddy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eddy",
        abstract: "Kafka's event-streaming model: topics, partitions, a durable log, and replication across brokers.",
        discussion: """
            With no command, eddy runs `eddy demo`: a 3-broker demo cluster with live traffic in the \
            console. Other commands use the data directory --data-dir, else $EDDY_DATA_DIR, else ./eddy-data. \
            See eddy(1) for details.
            """,
        version: "0.1.0",
        subcommands: [Demo.self, Console.self, Serve.self, Status.self, ClusterCommand.self, BrokerCommand.self, Topics.self, Groups.self, Lag.self, TransactionsCommand.self, Users.self, Produce.self, Consume.self, Bench.self],
        defaultSubcommand: Demo.self
    )

    static func main() {
        Signals.install()
        StderrLogHandler.bootstrap()
        let code: Int32
        do {
            var command = try parseAsRoot()
            try command.run()
            code = 0
        } catch {
            code = report(error)
        }
        Output.standard.flush()
        Glibc.exit(code)
    }

    /// Prints `error` the eddy way and returns the exit status.
    static func report(_ error: any Error) -> Int32 {
        if let e = error as? ExitCode { return e.rawValue }
        if let message = ErrorMapping.message(for: error) {
            Output.standard.flush()
            printError(message)
            return 1
        }
        let argCode = exitCode(for: error)
        if argCode == .success {
            // --help, --version: ArgumentParser's text on stdout.
            print(fullMessage(for: error))
            return 0
        }
        if argCode == .validationFailure {
            let message = Eddy.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            printError("\(lowercasingFirst(message)); see '\(UsageContext.helpCommand())'")
            return 2
        }
        // Anything else thrown through ArgumentParser (should not happen): a runtime error.
        printError(String(describing: error))
        return 1
    }

    private static func lowercasingFirst(_ s: String) -> String {
        guard let first = s.first, first.isUppercase,
              s.dropFirst().first.map({ !$0.isUppercase }) ?? true else { return s }
        return first.lowercased() + s.dropFirst()
    }
}

/// Writes `eddy: <message>` as one line on stderr.
func printError(_ message: String) {
    _ = Array(("eddy: " + message.replacingNewlines() + "\n").utf8).withUnsafeBytes { writeAll(fd: 2, $0) }
}

extension String {
    /// One line: newlines become "; ".
    func replacingNewlines() -> String {
        split(whereSeparator: \.isNewline).joined(separator: "; ")
    }
}

/// Finds which subcommand the user was typing, to point usage errors at the right help.
enum UsageContext {
    static func helpCommand() -> String {
        var path = ["eddy"]
        var node: any ParsableCommand.Type = Eddy.self
        for arg in CommandLine.arguments.dropFirst() {
            guard !arg.hasPrefix("-") else { continue }
            guard let next = node.configuration.subcommands.first(where: { $0._commandName == arg }) else { break }
            path.append(arg)
            node = next
        }
        return path.joined(separator: " ") + " --help"
    }
}
