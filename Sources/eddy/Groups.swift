import ArgumentParser
import EddyClient

/// `eddy groups ...`: list, describe, reset the offsets of, and delete consumer groups, after
/// kafka-consumer-groups. Each command runs the cluster for its duration and talks to it through
/// the admin client (`Admin`), as a remote tool talks to brokers.
struct Groups: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage consumer groups: list, describe, reset offsets, delete.",
        subcommands: [List.self, Describe.self, ResetOffsets.self, Delete.self, DeleteOffsets.self])

    /// The client id the commands' requests carry.
    static let clientId = "eddy-groups"

    /// Runs `body` with an admin client over the cluster: the running one at
    /// `--bootstrap-server`, or the data directory's, opened for the command and closed
    /// afterwards (also when `body` throws). nil when there is no data directory.
    static func withAdmin<T: Sendable>(_ common: ConnectionOptions, clientId: String = clientId, create: Bool = false,
                                       interruptible: Bool = true,
                                       _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T? {
        if let servers = try common.remote() { return try Remote.withAdmin(servers, clientId: clientId, interruptible: interruptible, body) }
        guard let session = try Session.open(common.dataDirectory, create: create) else { return nil }
        let result: T
        do {
            let client = session.makeClient(clientId: clientId)
            defer { client.close() }
            result = try blockingAwait { try await body(Admin(client: client)) }
        } catch {
            try? session.close()
            throw error
        }
        try session.close()
        return result
    }

    /// Like `withAdmin`, but a missing data directory is an error.
    static func withExistingAdmin<T: Sendable>(_ common: ConnectionOptions, clientId: String = clientId, create: Bool = false,
                                               interruptible: Bool = true,
                                               _ body: @escaping @Sendable (Admin) async throws -> T) throws -> T {
        guard let result = try withAdmin(common, clientId: clientId, create: create, interruptible: interruptible, body) else { throw Session.noDataDirectory(common.dataDirectory) }
        return result
    }

    /// `-` for an unknown value, as kafka-consumer-groups prints it.
    static func cell<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "-" }
    /// `-` also for an empty text (a host or client id a client left empty), which would
    /// otherwise shift the columns after it.
    static func cell(_ text: String?) -> String { text.flatMap { $0.isEmpty ? nil : $0 } ?? "-" }
}
