import ArgumentParser
import EddyBroker

/// `eddy` / `eddy status`: what the data directory holds.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the state of the data directory.",
        discussion: """
            Prints the data directory's cluster id, its brokers, and each topic's partitions with \
            their leader, offsets, segment counts and sizes. If the directory does not exist yet, \
            says so and how to create a topic; nothing is created.
            """)

    @OptionGroup var common: DataDirectoryOptions

    func run() throws {
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
}
