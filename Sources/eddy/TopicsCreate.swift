import ArgumentParser

extension Topics {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a topic.",
            discussion: "Creates the data directory if it does not exist. Prints 'Created topic NAME.'")

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Topic name: [a-zA-Z0-9._-], at most 249 characters.", valueName: "name"))
        var topic: String

        @Option(help: ArgumentHelp("Number of partitions (at least 1).", valueName: "n"))
        var partitions: Int32

        @Option(help: ArgumentHelp("Replication factor; only 1 is possible on a single node.", valueName: "n"))
        var replicationFactor: Int16 = 1

        @Option(name: .customLong("config"), help: ArgumentHelp(
            "A topic config override, e.g. retention.ms=86400000 (repeatable).", valueName: "key=value"))
        var configs: [String] = []

        func validate() throws {
            _ = try KeyValueArguments.parse(configs, flag: "--config")
        }

        func run() throws {
            let overrides = try KeyValueArguments.dictionary(configs, flag: "--config")
            _ = try Session.with(common, create: true) { broker in
                try broker.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor, configs: overrides)
            }
            print("Created topic \(topic).")
        }
    }
}
