import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol

/// `eddy status`: what the data directory holds, or (`--bootstrap-server`) what a running
/// cluster holds.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the state of the data directory or of a running cluster.",
        discussion: """
            Prints the data directory's cluster id, its brokers, and each topic's partitions with \
            their leader, offsets, segment counts and sizes. If the directory does not exist yet, \
            says so and how to create a topic; nothing is created. With --bootstrap-server, the \
            same for a running cluster (eddy serve or Kafka): offsets from ListOffsets, sizes of \
            the leader replicas from DescribeLogDirs; segment counts are not visible to a client.
            """)

    @OptionGroup var connection: ConnectionOptions

    var common: DataDirectoryOptions { connection.dataDirectory }

    func run() throws {
        if let servers = try connection.remote() {
            try Self.remote(servers).forEach { print($0) }
            return
        }
        let dir = common.path
        let shown = try Session.with(common, create: false) { cluster -> Bool in
            let topics = try cluster.describeTopics()
            let brokers = cluster.describeCluster().brokers
            let partitions = topics.reduce(0) { $0 + $1.partitionCount }
            let records = topics.reduce(Int64(0)) { sum, t in
                t.partitions.reduce(sum) { $0 + max(0, $1.logEndOffset - max(0, $1.logStartOffset)) }
            }
            let bytes = topics.reduce(Int64(0)) { sum, t in t.partitions.reduce(sum) { $0 + $1.sizeInBytes } }
            print("Data directory: \(dir)")
            print("Cluster id:     \(cluster.clusterId)")
            print("Brokers:        \(ClusterDescribe.brokerSummary(brokers))")
            print("Topics:         \(topics.count) (\(partitions) partitions, \(records) records, \(bytes) bytes)")
            guard !topics.isEmpty else {
                print("")
                print("Create a topic with: eddy topics create --topic NAME --partitions N")
                return true
            }
            var rows = [["TOPIC", "PARTITION", "LEADER", "LOG-START", "LOG-END", "HIGH-WATERMARK", "SEGMENTS", "SIZE"]]
            for t in topics {
                for p in t.partitions {
                    rows.append([t.name, String(p.partition), TopicsDescribe.leader(p.leader), String(p.logStartOffset),
                                 String(p.logEndOffset), String(p.highWatermark), String(p.segmentCount), String(p.sizeInBytes)])
                }
            }
            print("")
            TextTable.render(rows).forEach { print($0) }
            return true
        }
        if shown == nil {
            print("No eddy data directory at \(dir) yet.")
            print("Create a topic to start one: eddy topics create --topic NAME --partitions N"
                + (common.dataDir != nil ? " --data-dir \(dir)" : ""))
        }
    }

    /// `--bootstrap-server`: the same lines from Metadata, ListOffsets and DescribeLogDirs.
    /// A partition whose leader does not answer shows `-` for what it did not give.
    static func remote(_ servers: RemoteCluster) throws -> [String] {
        let name = servers.name
        return try Remote.withAdmin(servers, clientId: "eddy-status") { admin in
            let metadata = try await admin.client.refreshMetadata(topics: nil)
            var lines = ["Cluster:        \(name)", "Cluster id:     \(metadata.clusterId ?? "-")",
                         "Brokers:        \(ClusterDescribe.brokerSummary(ClusterDescribe.brokerRows(metadata)))"]
            let topics = metadata.topics.sorted { $0.key < $1.key }
            let all = topics.flatMap { $0.value.partitions.map(\.topicPartition) }
            var leaders: [TopicPartition: Int32] = [:]
            for (_, t) in topics { for p in t.partitions where p.leader >= 0 { leaders[p.topicPartition] = p.leader } }
            let offsets = try await admin.logOffsetsResult(Array(leaders.keys)).offsets
            let sizes = try await admin.leaderReplicaSizes(leaders)
            let records = all.reduce(Int64(0)) { sum, tp in sum + (offsets[tp].map { max(0, $0.logEndOffset - max(0, $0.logStartOffset)) } ?? 0) }
            let bytes = sizes.values.reduce(0, +)
            lines.append("Topics:         \(topics.count) (\(all.count) partitions, \(records) records, \(bytes) bytes)")
            guard !topics.isEmpty else {
                return lines + ["", "Create a topic with: eddy topics create --topic NAME --partitions N --bootstrap-server \(name)"]
            }
            var rows = [["TOPIC", "PARTITION", "LEADER", "LOG-START", "LOG-END", "HIGH-WATERMARK", "SEGMENTS", "SIZE"]]
            for (topic, t) in topics {
                for p in t.partitions {
                    let o = offsets[p.topicPartition]
                    rows.append([topic, String(p.topicPartition.partition), TopicsDescribe.leader(p.leader), o.map { String($0.logStartOffset) } ?? "-",
                                 o.map { String($0.logEndOffset) } ?? "-", o.map { String($0.highWatermark) } ?? "-", "-",
                                 sizes[p.topicPartition].map(String.init) ?? "-"])
                }
            }
            return lines + [""] + TextTable.render(rows)
        }
    }
}
