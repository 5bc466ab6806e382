import ArgumentParser
import EddyClient

extension Topics {
    struct Alter: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a topic's config overrides or raise its partition count.",
            discussion: """
                Sets overrides with --config and removes them (back to the default) with --delete-config. \
                --partitions N raises the partition count to N, as kafka-topics --alter --partitions \
                does (CreatePartitions): the new partitions start empty, with replicas placed as the \
                topic's first ones were; a count that is not an increase fails with \
                INVALID_PARTITIONS. Keyed records of later produces may then go to other partitions \
                (murmur2(key) % partitions), and consumer groups rebalance to take the new ones.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The topic.", valueName: "name"))
        var topic: String

        @Option(name: .customLong("config"), help: ArgumentHelp("Set an override (repeatable).", valueName: "key=value"))
        var configs: [String] = []

        @Option(name: .customLong("delete-config"), help: ArgumentHelp("Remove an override (repeatable).", valueName: "key"))
        var deleteConfigs: [String] = []

        @Option(help: ArgumentHelp("Raise the partition count to N (the new total).", valueName: "n"))
        var partitions: Int32?

        @Flag(help: "Do nothing (and succeed) when the topic does not exist, as kafka-topics --if-exists.")
        var ifExists = false

        func validate() throws {
            guard !configs.isEmpty || !deleteConfigs.isEmpty || partitions != nil else {
                throw ValidationError("give --partitions N, or at least one --config KEY=VALUE or --delete-config KEY")
            }
            if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
            _ = try KeyValueArguments.parse(configs, flag: "--config")
        }

        func run() throws {
            do {
                try alter()
            } catch where ifExists && ErrorMapping.isUnknownTopic(error) {
                return
            }
        }

        private func alter() throws {
            if let partitions {
                let found: Void?
                if let servers = try common.remote() {
                    let topic = topic
                    found = try Remote.withAdmin(servers, clientId: "eddy-topics") { try await $0.createPartitions(topic, totalCount: partitions) }
                } else {
                    found = try Session.with(common.dataDirectory, create: false) { cluster in
                        try cluster.createPartitions(topic, count: partitions)
                    }
                }
                guard found != nil else { throw EddyError.unknownTopic(topic) }
                print("Topic \(topic) now has \(partitions) partitions.")
            }
            guard !configs.isEmpty || !deleteConfigs.isEmpty else { return }
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
