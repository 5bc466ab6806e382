import ArgumentParser
import EddyClient

extension Groups {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete consumer groups and their committed offsets.",
            discussion: """
                Only a group without members can be deleted (NON_EMPTY_GROUP otherwise); a group \
                that does not exist fails with GROUP_ID_NOT_FOUND.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The group (repeat for several).", valueName: "group"))
        var group: [String]

        func validate() throws {
            if group.isEmpty { throw ValidationError("missing expected argument '--group <group>'") }
        }

        func run() throws {
            let groups = group
            let results = try Groups.withExistingAdmin(common) { admin in
                try await admin.deleteConsumerGroups(groups).mapValues { r -> ClientError? in
                    if case let .failure(e) = r { e } else { nil }
                }
            }
            let deleted = groups.filter { results[$0] == .some(nil) }
            if !deleted.isEmpty {
                print("Deletion of requested consumer groups (\(deleted.map { "'\($0)'" }.joined(separator: ", "))) was successful.")
            }
            let failed = groups.compactMap { g in results[g].flatMap { $0 }.map { (g, $0) } }
            // Every failure on its own line (each names its group); the last one sets the exit status.
            for (_, error) in failed.dropLast() { printError(error.description) }
            if let (_, error) = failed.last { throw error }
        }
    }
}
