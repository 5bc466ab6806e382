import ArgumentParser

extension Topics {
    struct Alter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a topic's config overrides.",
            discussion: "Sets overrides with --config and removes them (back to the default) with --delete-config.")

        @OptionGroup var common: DataDirectoryOptions

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
            let found = try Session.with(common, create: false) { cluster in
                try cluster.alterConfigs(topic: topic, set: set, delete: deleteConfigs)
            }
            guard found != nil else { throw EddyError.unknownTopic(topic) }
            print("Completed updating config for topic \(topic).")
        }
    }
}
