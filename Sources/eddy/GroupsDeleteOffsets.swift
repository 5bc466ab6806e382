import ArgumentParser
import EddyClient
import EddyProtocol

extension Groups {
    struct DeleteOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-offsets",
            abstract: "Delete a consumer group's committed offsets of some topics or partitions.",
            discussion: """
                As kafka-consumer-groups --delete-offsets (OffsetDelete, KIP-496): the group's \
                committed offsets of each --topic (all its partitions) or topic:p,p... are removed, \
                so that the group starts those partitions by auto.offset.reset next time. A topic the \
                group's members still consume keeps its offsets (GROUP_SUBSCRIBED_TO_TOPIC). Prints \
                the outcome and a TOPIC, PARTITION, STATUS row per partition; exits 1 if any \
                partition failed, or the group does not exist (GROUP_ID_NOT_FOUND).
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The group.", valueName: "group"))
        var group: String

        @Option(name: .customLong("topic"), help: ArgumentHelp(
            "A topic, or some of its partitions as topic:p,p... (repeatable).", valueName: "topic[:partitions]"))
        var topics: [String] = []

        func validate() throws {
            if group.isEmpty { throw ValidationError("--group must not be empty") }
            if topics.isEmpty { throw ValidationError("give at least one --topic TOPIC[:PARTITIONS]") }
            for t in topics {
                do { _ = try OffsetResetScope.TopicSelection(parsing: t) } catch { throw ValidationError("\(error)") }
            }
        }

        func run() throws {
            let group = self.group
            let selections = try topics.map { try OffsetResetScope.TopicSelection(parsing: $0) }
            let results = try Groups.withExistingAdmin(common) { admin -> [TopicPartition: ErrorCode] in
                var partitions = Set<TopicPartition>()
                for s in selections {
                    var ids = s.partitions ?? []
                    if s.partitions == nil { ids = try await admin.describeTopic(s.topic).partitions.map(\.partition) }
                    for p in ids { partitions.insert(TopicPartition(s.topic, p)) }
                }
                return try await admin.deleteConsumerGroupOffsetsByPartition(group, partitions)
            }
            let failed = results.values.contains { $0 != .none }
            let names = Array(Set(selections.map(\.topic))).sorted().joined(separator: ", ")
            if failed {
                printError("Encountered some partition level errors, see the follow-up details:")
            } else {
                print("Request succeed for deleting offsets with topic \(names) group \(group)")
            }
            print("")
            let rows = results.sorted { $0.key < $1.key }.map { tp, code in
                [tp.topic, String(tp.partition), code == .none ? "Successful" : "Error: \(code.name): \(Self.explain(code, group: group, topic: tp.topic))"]
            }
            TextTable.render([["TOPIC", "PARTITION", "STATUS"]] + rows).forEach { print($0) }
            if failed { throw ExitCode(1) }
        }

        static func explain(_ code: ErrorCode, group: String, topic: String) -> String {
            switch code {
            case .groupSubscribedToTopic: "the group '\(group)' still consumes topic \(topic)"
            case .unknownTopicOrPartition: "no such topic or partition"
            default: code.name
            }
        }
    }
}
