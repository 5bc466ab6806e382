import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol

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

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("Only this topic (default: every topic).", valueName: "name"))
        var topic: String?

        @Flag(help: "Only partitions whose ISR is smaller than their replica list.")
        var underReplicatedPartitions = false

        @Flag(help: "Only partitions without a leader.")
        var unavailablePartitions = false

        @Flag(help: "Only partitions whose ISR is smaller than the topic's min.insync.replicas (or without a leader).")
        var underMinIsrPartitions = false

        @Flag(help: "Only partitions whose ISR is exactly the topic's min.insync.replicas.")
        var atMinIsrPartitions = false

        @Flag(help: "Leave out internal topics (__consumer_offsets, __transaction_state) when describing every topic.")
        var excludeInternal = false

        @Flag(help: "With --topic: print nothing (and succeed) when the topic does not exist.")
        var ifExists = false

        func validate() throws {
            let reports = [underReplicatedPartitions, unavailablePartitions, underMinIsrPartitions, atMinIsrPartitions]
            guard reports.filter({ $0 }).count <= 1 else {
                throw ValidationError("give one of --under-replicated-partitions, --unavailable-partitions, --under-min-isr-partitions and --at-min-isr-partitions")
            }
            if ifExists, topic == nil { throw ValidationError("--if-exists goes with --topic") }
        }

        /// The partitions to show, as kafka-topics' reports choose them.
        var filter: TopicsDescribe.PartitionFilter {
            if underReplicatedPartitions { return .underReplicated }
            if unavailablePartitions { return .unavailable }
            if underMinIsrPartitions { return .underMinIsr }
            if atMinIsrPartitions { return .atMinIsr }
            return .all
        }

        func run() throws {
            do {
                try describe()
            } catch where ifExists && ErrorMapping.isUnknownTopic(error) {
                return
            }
        }

        private func describe() throws {
            let filter = self.filter, excludeInternal = self.excludeInternal
            if let servers = try common.remote() {
                let blocks = try TopicsDescribe.remote(servers, topic: topic, filter: filter, excludeInternal: excludeInternal)
                for (i, lines) in blocks.enumerated() {
                    if i > 0 { print("") }
                    lines.forEach { print($0) }
                }
                return
            }
            let topics = try Session.with(common.dataDirectory, create: false) { cluster in
                let image = cluster.metadataImage
                return try cluster.describeTopics(topic.map { [$0] }).map { ($0, image.logConfig(forTopic: $0.name).config.minInsyncReplicas) }
            }
            guard let topics else {
                if let topic { throw EddyError.unknownTopic(topic) }
                return
            }
            var first = true
            for (t, minIsr) in topics where !(excludeInternal && TopicsDescribe.isInternal(t.name)) {
                let lines = TopicsDescribe.render(t, filter: filter, minInsyncReplicas: minIsr)
                guard !lines.isEmpty else { continue }
                if !first { print("") }
                first = false
                lines.forEach { print($0) }
            }
        }
    }
}

/// The text of `eddy topics describe`, after kafka-topics.sh --describe.
enum TopicsDescribe {
    /// kafka-topics' partition reports (`--under-replicated-partitions`, ...); `all` without one.
    enum PartitionFilter: Sendable {
        case all, underReplicated, unavailable, underMinIsr, atMinIsr

        func keeps(leader: Int32?, replicas: Int, isr: Int, minInsyncReplicas: Int) -> Bool {
            let led = (leader ?? -1) >= 0
            switch self {
            case .all: return true
            case .underReplicated: return isr < replicas
            case .unavailable: return !led
            case .underMinIsr: return !led || isr < minInsyncReplicas
            case .atMinIsr: return isr == minInsyncReplicas
            }
        }

        /// The partitions a topic shows; nil when a report keeps none of them (kafka-topics
        /// then prints nothing for the topic).
        func select<P>(_ partitions: [P], minInsyncReplicas: Int,
                       _ state: (P) -> (leader: Int32?, replicas: Int, isr: Int)) -> [P]? {
            guard case .all = self else {
                let kept = partitions.filter {
                    let s = state($0)
                    return keeps(leader: s.leader, replicas: s.replicas, isr: s.isr, minInsyncReplicas: minInsyncReplicas)
                }
                return kept.isEmpty ? nil : kept
            }
            return partitions
        }
    }

    static func isInternal(_ name: String) -> Bool { TopicName.internalTopics.contains(name) }

    /// The topic's block; with a filter only the partitions it keeps, and no lines at all when
    /// none is left (kafka-topics prints nothing for such a topic).
    static func render(_ t: TopicDescription, filter: PartitionFilter = .all, minInsyncReplicas: Int = 1) -> [String] {
        guard let partitions = filter.select(t.partitions, minInsyncReplicas: minInsyncReplicas, {
            ($0.leader, $0.replicas.count, $0.isr.count)
        }) else { return [] }
        return render(name: t.name, topicId: "\(t.topicId)", partitionCount: t.partitionCount, replicationFactor: t.replicationFactor,
               configs: t.configs, rows: partitions.map { p in
                   [String(p.partition), leader(p.leader), String(p.leaderEpoch), brokerList(p.replicas),
                    brokerList(p.isr), String(p.logStartOffset), String(p.logEndOffset), String(p.highWatermark),
                    String(p.segmentCount), String(p.sizeInBytes)]
               })
    }

    static func render(name: String, topicId: String, partitionCount: Int, replicationFactor: Int, configs: [String: String],
                       rows: [[String]]) -> [String] {
        let configText = configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        var lines = ["Topic: \(name)  TopicId: \(topicId)  PartitionCount: \(partitionCount)  "
            + "ReplicationFactor: \(replicationFactor)  Configs:" + (configText.isEmpty ? "" : " " + configText)]
        lines += TextTable.render([["Partition", "Leader", "LeaderEpoch", "Replicas", "Isr", "LogStartOffset", "LogEndOffset",
                                    "HighWatermark", "Segments", "Size"]] + rows, indent: "  ")
        return lines
    }

    /// `--bootstrap-server`: the same text from Metadata, DescribeConfigs (the overrides),
    /// ListOffsets (log start, log end, high watermark) and DescribeLogDirs on the leaders (the
    /// leader replica's size). Leader epochs come from Metadata (v7 and later; `-` from a broker
    /// too old to send them). A client does not see segments: that column shows `-`, as does
    /// the size of a partition whose leader did not answer DescribeLogDirs.
    static func remote(_ servers: RemoteCluster, topic: String?, filter: PartitionFilter = .all,
                       excludeInternal: Bool = false) throws -> [[String]] {
        try Remote.withAdmin(servers, clientId: "eddy-topics") { admin in
            let names: [String]
            if let topic { names = [topic] } else {
                names = try await admin.listTopics(listInternal: !excludeInternal).map(\.name)
            }
            let described = try await admin.describeTopics(names)
            var blocks: [[String]] = []
            for name in names {
                guard let t = described[name] else { continue }
                var overrides: [String: String] = [:]
                var minInsyncReplicas = 1
                for c in try await admin.describeTopicConfigs(name) {
                    if c.name == "min.insync.replicas", let v = c.value.flatMap({ Int($0) }) { minInsyncReplicas = v }
                    if c.source == .topicConfig, let v = c.value { overrides[c.name] = v }
                }
                // Only the partitions shown are asked for their offsets and sizes.
                guard let shown = filter.select(t.partitions, minInsyncReplicas: minInsyncReplicas, {
                    ($0.leader, $0.replicas.count, $0.isr.count)
                }) else { continue }
                // Offline partitions (no leader) have no one to answer ListOffsets: their
                // offsets show '-' rather than the call waiting for a leader until it times out.
                let tps = shown.filter { $0.leader != nil }.map { TopicPartition(name, $0.partition) }
                let start = try await admin.listOffsets(tps, .earliest)
                let end = try await admin.listOffsets(tps, .logEnd)
                let hw = try await admin.listOffsets(tps, .latest)
                var leaders: [TopicPartition: Int32] = [:]
                for p in shown { if let l = p.leader, l >= 0 { leaders[TopicPartition(name, p.partition)] = l } }
                let sizes = try await admin.leaderReplicaSizes(leaders)
                let rows = shown.map { p -> [String] in
                    let tp = TopicPartition(name, p.partition)
                    return [String(p.partition), leader(p.leader ?? -1), p.leaderEpoch.map(String.init) ?? "-", brokerList(p.replicas), brokerList(p.isr),
                            start[tp].map(String.init) ?? "-", end[tp].map(String.init) ?? "-", hw[tp].map(String.init) ?? "-", "-",
                            sizes[tp].map(String.init) ?? "-"]
                }
                blocks.append(render(name: name, topicId: "\(t.topicId)", partitionCount: t.partitions.count,
                                     replicationFactor: t.partitions.first?.replicas.count ?? 0, configs: overrides, rows: rows))
            }
            return blocks
        }
    }

    /// A leader id, or `none` for an offline partition (Kafka's leader -1).
    static func leader(_ id: Int32) -> String { id < 0 ? "none" : String(id) }

    /// `1,2,0`, as kafka-topics prints replica lists.
    static func brokerList(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }
}
