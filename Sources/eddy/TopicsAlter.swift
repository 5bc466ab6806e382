import ArgumentParser
import EddyClient

extension Topics {
    struct Alter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a topic's config overrides.",
            discussion: "Sets overrides with --config and removes them (back to the default) with --delete-config.")

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The topic.", valueName: "name"))
        var topic: String

        @Option(name: .customLong("config"), help: ArgumentHelp("Set an override (repeatable).", valueName: "key=value"))
        var configs: [String] = []

        @Option(name: .customLong("delete-config"), help: ArgumentHelp("Remove an override (repeatable).", valueName: "key"))
        var deleteConfigs: [String] = []

        func validate() throws {
            guard !configs.isEmpty || !deleteConfigs.isEmpty else {
                throw ValidationError("give at least one --config KEY=VALUE or --delete-config KEY")
            }
            _ = try KeyValueArguments.parse(configs, flag: "--config")
        }

        func run() throws {
            let set = try KeyValueArguments.dictionary(configs, flag: "--config")
            let found: Void?
            if let servers = try common.remote() {
                let topic = topic, delete = deleteConfigs
                found = try Remote.withAdmin(servers, clientId: "eddy-topics") { try await $0.alterTopicConfigs(topic, set: set, delete: delete) }
            } else {
                found = try Session.with(common.dataDirectory, create: false) { cluster in
                    try cluster.alterConfigs(topic: topic, set: set, delete: deleteConfigs)
                }
            }
            guard found != nil else { throw EddyError.unknownTopic(topic) }
            print("Completed updating config for topic \(topic).")
        }
    }
}
