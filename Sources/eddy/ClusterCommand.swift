import ArgumentParser
import EddyBroker
import EddyClient
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
            abstract: "Create a data directory holding a cluster of N brokers and its controller quorum.",
            discussion: """
                The numbers of brokers and controllers are fixed from then on. Broker ids are 0..N-1. \
                The controllers (a Raft quorum replicating the metadata log, as KRaft's) are, in combined \
                mode (process.roles=broker,controller), brokers 0..C-1; in separate mode, nodes \
                3000..3000+C-1 of their own. Default: 3 combined controllers (1 with fewer than 3 brokers). \
                Any other command run on a missing or empty directory initialises a cluster of 3 brokers \
                with 3 combined controllers. Fails if the directory is already initialised.
                """)

        @OptionGroup var common: DataDirectoryOptions

        @Option(help: ArgumentHelp("Number of brokers (1 to \(ClusterCommand.maxBrokers)).", valueName: "n"))
        var brokers: Int = 3

        @Option(help: ArgumentHelp("Number of controllers: 1, 3 or 5 (default 3, or 1 with fewer than 3 brokers).", valueName: "n"))
        var controllers: Int?

        @Option(help: ArgumentHelp("combined (controllers are brokers 0..n-1) or separate (nodes 3000..).", valueName: "mode"))
        var controllerMode: ControllerMode = .combined

        enum ControllerMode: String, ExpressibleByArgument, CaseIterable {
            case combined, separate
        }

        var controllerCount: Int { controllers ?? (brokers >= 3 ? 3 : 1) }

        func validate() throws {
            try ClusterCommand.validate(brokers: brokers)
            try Self.validate(controllers: controllerCount, mode: controllerMode, brokers: brokers)
        }

        /// `--controllers` is 1, 3 or 5, and in combined mode at most `brokers`.
        static func validate(controllers: Int, mode: ControllerMode, brokers: Int) throws {
            guard ControllerQuorumOptions.allowedCounts.contains(controllers) else {
                throw ValidationError("--controllers must be 1, 3 or 5")
            }
            if mode == .combined, controllers > brokers {
                throw ValidationError("--controllers \(controllers) needs at least \(controllers) brokers in combined mode (or --controller-mode separate)")
            }
        }

        func run() throws {
            var options = ClusterOptions.forCommands(brokers: brokers)
            options.controllerQuorum = ControllerQuorumOptions(count: controllerCount, combined: controllerMode == .combined)
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
            let ids = options.controllerQuorum.voterIds.map(String.init).joined(separator: ",")
            let mode = controllerMode == .combined ? "combined" : "separate"
            print("Initialised cluster \(id) with \(brokers) \(brokers == 1 ? "broker" : "brokers") (ids 0..\(brokers - 1)) and "
                + "\(controllerCount) \(mode) \(controllerCount == 1 ? "controller" : "controllers") (\(ids)) in \(common.path).")
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the cluster: controller, brokers, partitions that are under-replicated or offline, and the metadata quorum.",
            discussion: """
                Prints the cluster id, the controller, the topic and partition counts, the number of \
                under-replicated partitions (ISR smaller than the replica list) and of offline \
                partitions (no leader), then one row per broker: Id, State (running, stopped, or \
                unresponsive: crashed but not yet fenced), Leaders and Replicas (partitions it leads \
                and hosts). Then the metadata quorum as kafka-metadata-quorum describe --status and \
                --replication print it (DescribeQuorum; left out for a cluster that does not offer it).
                """)

        @OptionGroup var common: ConnectionOptions

        func run() throws {
            if let servers = try common.remote() {
                try ClusterDescribe.remote(servers).forEach { print($0) }
                return
            }
            let d = try Session.withExisting(common.dataDirectory) { $0.describeCluster() }
            ClusterDescribe.render(d).forEach { print($0) }
        }
    }
}

/// The text of `eddy cluster describe`.
enum ClusterDescribe {
    static func render(_ d: ClusterDescription) -> [String] {
        render(clusterId: d.clusterId, controllerId: d.controllerId,
               brokers: d.brokers.map { ($0.id, $0.state, $0.leaderCount, $0.replicaCount) },
               topicCount: d.topicCount, partitionCount: d.partitionCount, underReplicated: d.underReplicatedPartitions,
               offline: d.offlinePartitions, uncleanLosses: d.uncleanElectionLosses) + quorum(d.quorum)
    }

    /// The metadata quorum as `kafka-metadata-quorum describe --status` and `--replication`
    /// print it: the leader, its epoch and high watermark, MaxFollowerLag (the leader's log end
    /// minus the smallest voter log end) and MaxFollowerLagTimeMs (the leader's last caught-up
    /// time minus that voter's; 0 when it is the leader, -1 when unknown), the voters and
    /// observers; then the leader, the other voters and the observers with their log end
    /// offset, lag behind the leader's log end, last fetch and last caught-up times (ms since
    /// the epoch, -1 unknown) and status.
    static func quorum(_ q: DescribeQuorumResponse.Quorum) -> [String] {
        let leader = q.voters.first { $0.replicaId == q.leaderId }
        let furthest = q.voters.min { $0.logEndOffset < $1.logEndOffset }
        let maxLag = leader.flatMap { l in furthest.map { max(0, l.logEndOffset - $0.logEndOffset) } } ?? 0
        let maxLagMs: Int64
        if let leader, let furthest, furthest.replicaId != leader.replicaId {
            maxLagMs = leader.lastCaughtUpTimestampMs >= 0 && furthest.lastCaughtUpTimestampMs >= 0
                ? leader.lastCaughtUpTimestampMs - furthest.lastCaughtUpTimestampMs : -1
        } else {
            maxLagMs = 0
        }
        func ids(_ rs: [DescribeQuorumResponse.Replica]) -> String { "[" + rs.map { String($0.replicaId) }.joined(separator: ",") + "]" }
        var lines = [
            "",
            "LeaderId:                     \(q.leaderId)",
            "LeaderEpoch:                  \(q.leaderEpoch)",
            "HighWatermark:                \(q.highWatermark)",
            "MaxFollowerLag:               \(maxLag)",
            "MaxFollowerLagTimeMs:         \(maxLagMs)",
            "CurrentVoters:                \(ids(q.voters))",
            "CurrentObservers:             \(ids(q.observers))",
            "",
        ]
        var rows = [["NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"]]
        let ordered = (leader.map { [($0, "Leader")] } ?? []) + q.voters.filter { $0.replicaId != q.leaderId }.map { ($0, "Follower") }
            + q.observers.map { ($0, "Observer") }
        for (r, status) in ordered {
            let lag = leader.map { String(max(0, $0.logEndOffset - r.logEndOffset)) } ?? "-"
            rows.append([String(r.replicaId), String(r.logEndOffset), r.logEndOffset < 0 ? "-" : lag,
                         String(r.lastFetchTimestampMs), String(r.lastCaughtUpTimestampMs), status])
        }
        lines += TextTable.render(rows, indent: "  ")
        return lines
    }

    typealias BrokerRow = (id: Int32, state: BrokerDescription.State, leaders: Int, replicas: Int)

    static func render(clusterId: String, controllerId: Int32, brokers: [BrokerRow], topicCount: Int, partitionCount: Int,
                       underReplicated: Int, offline: Int, uncleanLosses losses: [TopicPartition: Int64]) -> [String] {
        var lines = [
            "Cluster id:                   \(clusterId)",
            "Controller:                   \(controllerId >= 0 ? String(controllerId) : "none (the quorum is electing one)")",
            "Brokers:                      \(brokerSummary(brokers))",
            "Topics:                       \(topicCount) (\(partitionCount) \(partitionCount == 1 ? "partition" : "partitions"))",
            "Under-replicated partitions:  \(underReplicated)",
            "Offline partitions:           \(offline)",
        ]
        if !losses.isEmpty {
            lines.append("Unclean leader elections:     " + uncleanLosses(losses))
        }
        lines.append("")
        var rows = [["Id", "State", "Leaders", "Replicas"]]
        for b in brokers {
            rows.append([String(b.id), b.state.rawValue, String(b.leaders), String(b.replicas)])
        }
        lines += TextTable.render(rows, indent: "  ")
        return lines
    }

    /// `--bootstrap-server`: the same from Metadata. A client sees the running brokers; a
    /// broker that only appears in replica lists is shown as stopped (a client cannot tell
    /// stopped from crashed-but-not-fenced), and unclean-election losses are not visible.
    static func remote(_ servers: RemoteCluster) throws -> [String] {
        let (metadata, quorum) = try Remote.withAdmin(servers, clientId: "eddy-cluster") { admin in
            // The quorum is extra: a cluster that refuses it (not authorized, say) is still described.
            let quorum: Result<DescribeQuorumResponse.Quorum?, ClientError>
            do throws(ClientError) { quorum = .success(try await admin.describeQuorum()) } catch { quorum = .failure(error) }
            return (try await admin.client.refreshMetadata(topics: nil), quorum)
        }
        let partitions = metadata.topics.values.flatMap(\.partitions)
        let rows = brokerRows(metadata)
        // The active controller is the quorum's leader; Metadata names any broker on KRaft.
        let leader = (try? quorum.get())??.leaderId ?? -1
        return render(clusterId: metadata.clusterId ?? "-", controllerId: leader >= 0 ? leader : metadata.controllerId, brokers: rows,
                      topicCount: metadata.topics.count, partitionCount: partitions.count,
                      underReplicated: partitions.filter { $0.isr.count < $0.replicas.count }.count,
                      offline: partitions.filter { $0.leader < 0 }.count, uncleanLosses: [:]) + quorumLines(quorum)
    }

    static func quorumLines(_ result: Result<DescribeQuorumResponse.Quorum?, ClientError>) -> [String] {
        switch result {
        case let .success(q): q.map(quorum) ?? []
        case let .failure(error): ["", "Quorum:                       not described: \(ErrorMapping.message(for: error) ?? "\(error)")"]
        }
    }

    /// The brokers a client can know of: those Metadata lists (running) and those that appear
    /// only in replica lists (stopped: a client cannot tell stopped from crashed-but-not-fenced),
    /// with the partitions each leads and holds.
    static func brokerRows(_ metadata: ClusterMetadata) -> [BrokerRow] {
        var leaders: [Int32: Int] = [:], replicas: [Int32: Int] = [:]
        for p in metadata.topics.values.flatMap(\.partitions) {
            if p.leader >= 0 { leaders[p.leader, default: 0] += 1 }
            for r in p.replicas { replicas[r, default: 0] += 1 }
        }
        return Set(metadata.brokers.keys).union(replicas.keys).sorted().map { id in
            (id, metadata.brokers[id] != nil ? .running : .stopped, leaders[id] ?? 0, replicas[id] ?? 0)
        }
    }

    /// `3 (running: 0,2; stopped: 1)`.
    static func brokerSummary(_ brokers: [BrokerDescription]) -> String {
        brokerSummary(brokers.map { ($0.id, $0.state, $0.leaderCount, $0.replicaCount) })
    }

    static func brokerSummary(_ brokers: [BrokerRow]) -> String {
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
