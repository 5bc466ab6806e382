import ArgumentParser
import EddyClient
import EddyProtocol
import EddySasl
import Foundation

/// `eddy users ...`: the SASL/SCRAM users of a cluster (Kafka's `kafka-configs --entity-type
/// users --alter --add-config 'SCRAM-SHA-256=[password=...]'`), through
/// AlterUserScramCredentials and DescribeUserScramCredentials, against a data directory (before
/// `eddy serve` starts, the way to make the first user) or any cluster over the network.
struct Users: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage SASL/SCRAM users: add, list, delete.",
        subcommands: [Add.self, List.self, Delete.self])

    static let clientId = "eddy-users"

    static func mechanisms(_ names: [String]) throws -> [ScramMechanism] {
        guard !names.isEmpty else { return ScramMechanism.allCases }
        return try names.map { name in
            guard let m = ScramMechanism(name: name) else {
                throw ValidationError("--mechanism must be SCRAM-SHA-256 or SCRAM-SHA-512, not '\(name)'")
            }
            return m
        }
    }

    /// Throws the per-user failures (each on its own line; the last sets the exit status).
    static func report(_ results: [(user: String, error: ClientError?)]) throws {
        let failed = results.compactMap { r in r.error.map { "user '\(r.user)': \($0)" } }
        for line in failed.dropLast() { printError(line) }
        if let last = failed.last { throw EddyError(last) }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user, or set a user's password.",
            discussion: """
                The password is read from --password-file, else from standard input (a prompt \
                on a terminal). It is salted here (PBKDF2, as SCRAM specifies) and only the salt \
                and the salted password are sent; the cluster stores the salt, the iteration \
                count and two keys derived from them, never the password. By default the user \
                gets both a SCRAM-SHA-256 and a SCRAM-SHA-512 credential; SASL PLAIN checks its \
                password against them.
                """)

        @OptionGroup var common: ConnectionOptions

        @Argument(help: "The user name.")
        var user: String

        @Option(help: ArgumentHelp("SCRAM-SHA-256 or SCRAM-SHA-512 (repeat for both; default: both).", valueName: "mechanism"))
        var mechanism: [String] = []

        @Option(help: ArgumentHelp("PBKDF2 iterations, 4096 to 16384 (Kafka's bounds).", valueName: "n"))
        var iterations: Int32 = Int32(ScramMechanism.minIterations)

        @Option(name: .customLong("password-file"), help: ArgumentHelp("Read the password from the first line of this file.", valueName: "file"))
        var passwordFile: String?

        func validate() throws {
            guard !user.isEmpty else { throw ValidationError("the user name must not be empty") }
            _ = try Users.mechanisms(mechanism)
            guard (Int32(ScramMechanism.minIterations) ... Int32(ScramMechanism.maxIterations)).contains(iterations) else {
                throw ValidationError("--iterations must be from \(ScramMechanism.minIterations) to \(ScramMechanism.maxIterations), not \(iterations)")
            }
        }

        func run() throws {
            let password = try readPassword()
            let user = user, iterations = iterations
            let mechanisms = try Users.mechanisms(mechanism)
            // A new data directory is made, so that the first user exists before `eddy serve`
            // starts (as Kafka's kafka-storage format --add-scram).
            let results = try Groups.withExistingAdmin(common, clientId: Users.clientId, create: true) { admin in
                try await admin.alterUserScramCredentials(mechanisms.map {
                    .upsert(user: user, mechanism: $0, password: password, iterations: iterations)
                })
            }
            try Users.report(results)
            print("Set \(mechanisms.map(\.name).joined(separator: " and ")) credentials for user '\(user)' (\(iterations) iterations).")
        }

        private func readPassword() throws -> String {
            let line: String?
            if let passwordFile {
                do {
                    line = try String(contentsOfFile: passwordFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
                } catch {
                    throw ValidationError("cannot read --password-file \(passwordFile): \((error as NSError).localizedDescription)")
                }
            } else if isatty(STDIN_FILENO) != 0 {
                line = getpass("Password for \(user): ").map { String(cString: $0) }
            } else {
                line = Swift.readLine(strippingNewline: true)
            }
            guard let password = line?.trimmingCharacters(in: CharacterSet(charactersIn: "\r")), !password.isEmpty else {
                throw ValidationError("no password given: put it in --password-file or on standard input")
            }
            return password
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List users with their SCRAM mechanisms and iterations.",
            discussion: "One row per user and mechanism. Salts and keys are never shown (the cluster does not tell them).")

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("Only this user (repeat for several); a user without credentials is an error.", valueName: "user"))
        var user: [String] = []

        func run() throws {
            let users = user
            let results = try Groups.withExistingAdmin(common, clientId: Users.clientId) { admin in
                try await admin.describeUserScramCredentials(users.isEmpty ? nil : users)
            }
            var rows = [["USER", "MECHANISM", "ITERATIONS"]]
            for r in results {
                if case let .success(d) = r.result {
                    rows += d.credentials.map { [d.user, $0.mechanism.name, "\($0.iterations)"] }
                }
            }
            if rows.count > 1 { TextTable.render(rows).forEach { print($0) } }
            try Users.report(results.map { r in
                if case let .failure(e) = r.result { (r.user, e) } else { (r.user, nil) }
            })
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user's SCRAM credentials.",
            discussion: "Every mechanism the user has, or only those named with --mechanism. Connections already authenticated stay open, as in Kafka.")

        @OptionGroup var common: ConnectionOptions

        @Argument(help: "The user name.")
        var user: String

        @Option(help: ArgumentHelp("SCRAM-SHA-256 or SCRAM-SHA-512 (repeat for both; default: every one the user has).", valueName: "mechanism"))
        var mechanism: [String] = []

        func validate() throws {
            _ = try Users.mechanisms(mechanism)
        }

        func run() throws {
            let user = user
            let named = mechanism.isEmpty ? nil : try Users.mechanisms(mechanism)
            let (deleted, results): ([ScramMechanism], [(user: String, error: ClientError?)]) =
                try Groups.withExistingAdmin(common, clientId: Users.clientId) { admin in
                    var mechanisms = named ?? []
                    if named == nil {
                        let described = try await admin.describeUserScramCredentials([user])
                        if case let .failure(e)? = described.first?.result { return ([], [(user, e)]) }
                        if case let .success(d)? = described.first?.result { mechanisms = d.credentials.map(\.mechanism) }
                    }
                    let results = try await admin.alterUserScramCredentials(mechanisms.map { .delete(user: user, mechanism: $0) })
                    return (mechanisms, results)
                }
            try Users.report(results)
            print("Deleted \(deleted.map(\.name).joined(separator: " and ")) credentials of user '\(user)'.")
        }
    }
}
