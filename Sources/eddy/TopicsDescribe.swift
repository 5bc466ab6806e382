import ArgumentParser
import EddyBroker

extension Topics {
    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe topics and the state of their partitions.",
            discussion: """
                For each topic, a header line (Topic, TopicId, PartitionCount, ReplicationFactor, Configs: \
                the overrides, sorted) and a row per partition: Partition, Leader ('none' when the \
                partition is offline), LeaderEpoch, Replicas, Isr, then the leader's LogStartOffset, \
                LogEndOffset, HighWatermark, Segments and Size (bytes).
                """)

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Only this topic (default: every topic).", valueName: "name"))
        var topic: String?

        func run() throws {
            let topics = try Session.with(common, create: false) { cluster in
                try cluster.describeTopics(topic.map { [$0] })
            }
            guard let topics else {
                if let topic { throw EddyError.unknownTopic(topic) }
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
        var rows = [["Partition", "Leader", "LeaderEpoch", "Replicas", "Isr", "LogStartOffset", "LogEndOffset",
                     "HighWatermark", "Segments", "Size"]]
        for p in t.partitions {
            rows.append([String(p.partition), leader(p.leader), String(p.leaderEpoch), brokerList(p.replicas),
                         brokerList(p.isr), String(p.logStartOffset), String(p.logEndOffset), String(p.highWatermark),
                         String(p.segmentCount), String(p.sizeInBytes)])
        }
        lines += TextTable.render(rows, indent: "  ")
        return lines
    }

    /// A leader id, or `none` for an offline partition (Kafka's leader -1).
    static func leader(_ id: Int32) -> String { id < 0 ? "none" : String(id) }

    /// `1,2,0`, as kafka-topics prints replica lists.
    static func brokerList(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }
}
