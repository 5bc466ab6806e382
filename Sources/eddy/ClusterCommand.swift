import ArgumentParser
import EddyBroker
import EddyProtocol

/// `eddy cluster ...`: create the cluster and show its brokers.
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Initialise and describe the cluster of brokers in the data directory.",
        subcommands: [Init.self, Describe.self])

    /// Most brokers `eddy cluster init` accepts.
    static let maxBrokers = 64

    /// The usage checks of `--brokers` (1 to `maxBrokers`) and, where a command takes it,
    /// `--replication-factor` (1 to `--brokers`).
    static func validate(brokers: Int, replicationFactor: Int16? = nil) throws {
        guard (1 ... maxBrokers).contains(brokers) else {
            throw ValidationError("--brokers must be between 1 and \(maxBrokers)")
        }
        if let replicationFactor, replicationFactor < 1 || Int(replicationFactor) > brokers {
            throw ValidationError("--replication-factor must be between 1 and --brokers (\(brokers))")
        }
    }
}

extension ClusterCommand {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a data directory holding a cluster of N brokers.",
            discussion: """
                The number of brokers is fixed from then on. Broker ids are 0..N-1; broker 0 is also the \
                controller. Any other command run on a missing or empty directory initialises a cluster \
                of 3 brokers. Fails if the directory is already initialised.
                """)

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Number of brokers (1 to \(ClusterCommand.maxBrokers)).", valueName: "n"))
        var brokers: Int = 3

        func validate() throws {
            try ClusterCommand.validate(brokers: brokers)
        }

        func run() throws {
            var options = ClusterOptions()
            options.initialBrokerCount = brokers
            guard let session = try Session.open(common, create: true, mustBeNew: true, options: options) else {
                preconditionFailure("creating sessions always open")
            }
            let id: String
            do {
                id = session.cluster.clusterId
                try session.close()
            } catch {
                try? session.close()
                throw error
            }
            print("Initialised cluster \(id) with \(brokers) \(brokers == 1 ? "broker" : "brokers") (ids 0..\(brokers - 1)) in \(common.path).")
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the cluster: controller, brokers, and partitions that are under-replicated or offline.",
            discussion: """
                Prints the cluster id, the controller, the topic and partition counts, the number of \
                under-replicated partitions (ISR smaller than the replica list) and of offline \
                partitions (no leader), then one row per broker: Id, State (running, stopped, or \
                unresponsive: crashed but not yet fenced), Leaders and Replicas (partitions it leads \
                and hosts).
                """)

        @OptionGroup var common: DataDirectoryOptions

        func run() throws {
            let d = try Session.withExisting(common) { $0.describeCluster() }
            ClusterDescribe.render(d).forEach { print($0) }
        }
    }
}

/// The text of `eddy cluster describe`.
enum ClusterDescribe {
    static func render(_ d: ClusterDescription) -> [String] {
        var lines = [
            "Cluster id:                   \(d.clusterId)",
            "Controller:                   \(d.controllerId)",
            "Brokers:                      \(brokerSummary(d.brokers))",
            "Topics:                       \(d.topicCount) (\(d.partitionCount) \(d.partitionCount == 1 ? "partition" : "partitions"))",
            "Under-replicated partitions:  \(d.underReplicatedPartitions)",
            "Offline partitions:           \(d.offlinePartitions)",
        ]
        if !d.uncleanElectionLosses.isEmpty {
            lines.append("Unclean leader elections:     " + uncleanLosses(d.uncleanElectionLosses))
        }
        lines.append("")
        var rows = [["Id", "State", "Leaders", "Replicas"]]
        for b in d.brokers {
            rows.append([String(b.id), b.state.rawValue, String(b.leaderCount), String(b.replicaCount)])
        }
        lines += TextTable.render(rows, indent: "  ")
        return lines
    }

    /// `3 (running: 0,2; stopped: 1)`.
    static func brokerSummary(_ brokers: [BrokerDescription]) -> String {
        var groups: [String] = []
        for state in [BrokerDescription.State.running, .stopped, .unresponsive] {
            let ids = brokers.filter { $0.state == state }.map(\.id)
            if !ids.isEmpty { groups.append("\(state.rawValue): " + TopicsDescribe.brokerList(ids)) }
        }
        return "\(brokers.count)" + (groups.isEmpty ? "" : " (" + groups.joined(separator: "; ") + ")")
    }

    /// `orders-0: up to 5 records lost, ...`, by partition.
    static func uncleanLosses(_ losses: [TopicPartition: Int64]) -> String {
        losses.sorted { $0.key < $1.key }
            .map { "\($0.key): up to \($0.value) \($0.value == 1 ? "record" : "records") lost" }
            .joined(separator: ", ")
    }
}
