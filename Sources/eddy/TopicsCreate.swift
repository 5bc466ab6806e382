import ArgumentParser
import EddyClient

extension Topics {
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a topic.",
            discussion: """
                Replicas are assigned round-robin over the running brokers, leaders spread across \
                them; the first replica of each partition is its preferred leader. Creates and \
                initialises the data directory (a cluster of 3 brokers) if it does not exist. \
                Prints 'Created topic NAME.'
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("Topic name: [a-zA-Z0-9._-], at most 249 characters.", valueName: "name"))
        var topic: String

        @Option(help: ArgumentHelp("Number of partitions (at least 1).", valueName: "n"))
        var partitions: Int32

        @Option(help: ArgumentHelp(
            "Replicas per partition, at most the number of running brokers (default 1, Kafka's default.replication.factor).",
            valueName: "n"))
        var replicationFactor: Int16?

        @Option(name: .customLong("config"), help: ArgumentHelp(
            "A topic config override, e.g. retention.ms=86400000 (repeatable).", valueName: "key=value"))
        var configs: [String] = []

        @Flag(help: "Do nothing (and succeed) when the topic exists, as kafka-topics --if-not-exists.")
        var ifNotExists = false

        func validate() throws {
            _ = try KeyValueArguments.parse(configs, flag: "--config")
        }

        func run() throws {
            do {
                try create()
            } catch where ifNotExists && ErrorMapping.kafkaError(error) == .topicAlreadyExists {
                return
            }
            print("Created topic \(topic).")
        }

        private func create() throws {
            let overrides = try KeyValueArguments.dictionary(configs, flag: "--config")
            if let servers = try common.remote() {
                let topic = Admin.NewTopic(name: topic, numPartitions: partitions, replicationFactor: replicationFactor ?? -1,
                                           configs: overrides)
                _ = try Remote.withAdmin(servers, clientId: "eddy-topics") { try await $0.createTopic(topic) }
            } else {
                _ = try Session.with(common.dataDirectory, create: true) { cluster in
                    try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor ?? -1,
                                            configs: overrides)
                }
            }
        }
    }
}
