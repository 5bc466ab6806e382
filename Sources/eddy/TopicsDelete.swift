import ArgumentParser
import EddyClient

extension Topics {
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a topic and all its data.")

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The topic.", valueName: "name"))
        var topic: String

        @Flag(help: "Do nothing (and succeed) when the topic does not exist, as kafka-topics --if-exists.")
        var ifExists = false

        func run() throws {
            do {
                try delete()
            } catch where ifExists && ErrorMapping.isUnknownTopic(error) {
                return
            }
            print("Deleted topic \(topic).")
        }

        private func delete() throws {
            let found: Bool?
            if let servers = try common.remote() {
                let name = topic
                try Remote.withAdmin(servers, clientId: "eddy-topics") { try await $0.deleteTopic(name) }
                found = true
            } else {
                found = try Session.with(common.dataDirectory, create: false) { try $0.deleteTopic(topic); return true }
            }
            guard found != nil else { throw EddyError.unknownTopic(topic) }
        }
    }
}
