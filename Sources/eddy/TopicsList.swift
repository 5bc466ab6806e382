import ArgumentParser
import EddyClient

extension Topics {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topic names, one per line, sorted.")

        @OptionGroup var common: ConnectionOptions

        func run() throws {
            let names: [String]
            if let servers = try common.remote() {
                names = try Remote.withAdmin(servers, clientId: "eddy-topics") { try await $0.listTopics().map(\.name) }
            } else {
                names = try Session.with(common.dataDirectory, create: false) { $0.listTopics() } ?? []
            }
            names.forEach { print($0) }
        }
    }
}
