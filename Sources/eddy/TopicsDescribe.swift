import ArgumentParser
import EddyBroker

extension Topics {
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe topics and the state of their partitions.",
            discussion: """
                For each topic, a header line (Topic, TopicId, PartitionCount, ReplicationFactor, Configs: \
                the overrides, sorted) and a row per partition: Partition, Leader, Replicas, Isr, \
                LogStartOffset, LogEndOffset, HighWatermark, Segments, Size (bytes).
                """)

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Only this topic (default: every topic).", valueName: "name"))
        var topic: String?

        func run() throws {
            let topics = try Session.with(common, create: false) { broker in
                try broker.describeTopics(topic.map { [$0] })
            }
            guard let topics else {
                if let topic { throw EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION", "Topic '\(topic)' does not exist.") }
                return
            }
            for (i, t) in topics.enumerated() {
                if i > 0 { print("") }
                TopicsDescribe.render(t).forEach { print($0) }
            }
        }
    }
}

/// The text of `eddy topics describe`, after kafka-topics.sh --describe.
enum TopicsDescribe {
    static func render(_ t: TopicDescription) -> [String] {
        let configs = t.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        var lines = ["Topic: \(t.name)  TopicId: \(t.topicId)  PartitionCount: \(t.partitionCount)  "
            + "ReplicationFactor: \(t.replicationFactor)  Configs:" + (configs.isEmpty ? "" : " " + configs)]
        var rows = [["Partition", "Leader", "Replicas", "Isr", "LogStartOffset", "LogEndOffset", "HighWatermark",
                     "Segments", "Size"]]
        for p in t.partitions {
            rows.append([String(p.partition), String(p.leader), p.replicas.map(String.init).joined(separator: ","),
                         p.isr.map(String.init).joined(separator: ","), String(p.logStartOffset), String(p.logEndOffset),
                         String(p.highWatermark), String(p.segmentCount), String(p.sizeInBytes)])
        }
        lines += TextTable.render(rows, indent: "  ")
        return lines
    }
}
