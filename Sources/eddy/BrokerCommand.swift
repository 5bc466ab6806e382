import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage

/// `eddy broker stop|start|kill --id N`: take a broker down or bring it back, persistently.
///
/// Which brokers are down is part of the cluster's metadata, so later commands run the cluster
/// without them; this is how failover is scripted from the shell.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Stop, start or kill a broker of the cluster.",
        subcommands: [Stop.self, Start.self, Kill.self])

    /// `--id` and `--data-dir` (or `--bootstrap-server`), shared by the subcommands.
    struct Target: ParsableArguments {
        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The broker's id (0..N-1; see eddy cluster describe).", valueName: "n"))
        var id: Int32
    }

    /// What a lifecycle change did, printed after its first line: every partition whose leader
    /// or ISR changed, unclean elections with the records they may have lost, and what is left
    /// under-replicated or offline.
    static func report(before: [TopicDescription], after: [TopicDescription], cluster: ClusterDescription,
                       knownHighWatermarks: [TopicPartition: Int64]) -> [String] {
        var lines: [String] = []
        let old = Dictionary(before.flatMap { t in t.partitions.map { (TopicPartition(t.name, $0.partition), $0) } },
                             uniquingKeysWith: { a, _ in a })
        var newLeaderEnds: [TopicPartition: Int64] = [:]
        for t in after {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partition)
                newLeaderEnds[tp] = p.logEndOffset
                guard let was = old[tp] else { continue }
                var changes: [String] = []
                if was.leader != p.leader {
                    changes.append("leader \(TopicsDescribe.leader(was.leader)) -> \(TopicsDescribe.leader(p.leader))")
                }
                if was.isr != p.isr {
                    changes.append("isr \(TopicsDescribe.brokerList(was.isr)) -> \(TopicsDescribe.brokerList(p.isr))")
                }
                if !changes.isEmpty { lines.append("  \(tp): " + changes.joined(separator: ", ")) }
            }
        }
        if !cluster.uncleanElectionLosses.isEmpty {
            // The cluster counts against the replicas it runs; a stopped replica may have known
            // a higher high watermark (its checkpoint says), which the new leader lacks too.
            var losses = cluster.uncleanElectionLosses
            for (tp, counted) in losses {
                let known = knownHighWatermarks[tp] ?? 0
                losses[tp] = max(counted, known - (newLeaderEnds[tp] ?? known))
            }
            lines.append("  unclean leader elections: " + ClusterDescribe.uncleanLosses(losses))
        }
        lines.append("Under-replicated partitions: \(cluster.underReplicatedPartitions), offline partitions: \(cluster.offlinePartitions).")
        return lines
    }

    /// Per partition, the highest high watermark any of its replicas is known to have reached:
    /// the one `describe` shows, or one a broker wrote in its replication-offset-checkpoint
    /// (brokers that are stopped wrote theirs when they went down).
    static func knownHighWatermarks(_ topics: [TopicDescription], dataDirectory: String) -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        var checkpoints: [Int32: [TopicPartition: Int64]] = [:]
        for t in topics {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p.partition)
                var hw = p.highWatermark
                for b in p.replicas {
                    if checkpoints[b] == nil {
                        let path = dataDirectory + "/broker-\(b)/" + LogManager.highWatermarkFile
                        checkpoints[b] = ((try? OffsetCheckpointFile.read(path)) ?? nil) ?? [:]
                    }
                    hw = max(hw, checkpoints[b]?[tp] ?? 0)
                }
                out[tp] = hw
            }
        }
        return out
    }

    /// Runs `change` on broker `id` unless it is already in the wanted state, then settles the
    /// cluster and prints `done` and the report (or `already`).
    static func change(_ target: Target, skipIf skip: (BrokerDescription.State) -> Bool,
                       already: String, done: String, remote action: EddyBrokerControlRequest.Action,
                       remoteDone: String? = nil, _ change: (Cluster) throws -> Void) throws {
        if let servers = try target.common.remote() {
            let request = EddyBrokerControlRequest(brokerId: target.id, action: action)
            let response = try Remote.withAdmin(servers, clientId: "eddy-broker", probe: .apiVersions) { admin in
                try await admin.controlBroker(request)
            }
            print(response.changed ? remoteDone ?? done : already)
            return
        }
        let lines = try Session.withExisting(target.common.dataDirectory) { cluster -> [String] in
            let brokers = cluster.describeCluster().brokers
            if !cluster.controllerQuorum.combined, cluster.controllerIds.contains(target.id) {
                // Every command on a data directory runs every controller: a stopped one would
                // be back with the next.
                throw EddyError("node \(target.id) is a separate controller; stop, start or kill it on a running server "
                    + "(eddy broker ... --bootstrap-server)")
            }
            guard let broker = brokers.first(where: { $0.id == target.id }) else {
                throw EddyError(kafka: "BROKER_ID_NOT_REGISTERED",
                                "Broker \(target.id) is not part of this cluster; its brokers are \(TopicsDescribe.brokerList(brokers.map(\.id))).")
            }
            if skip(broker.state) { return [already] }
            let before = try cluster.describeTopics()
            let known = knownHighWatermarks(before, dataDirectory: cluster.dataDirectory)
            try change(cluster)
            cluster.settle()
            return [done] + report(before: before, after: try cluster.describeTopics(), cluster: cluster.describeCluster(),
                                   knownHighWatermarks: known)
        }
        lines.forEach { print($0) }
    }
}

extension BrokerCommand {
    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a broker with a controlled shutdown; later commands run without it.",
            discussion: """
                Leadership moves to another in-sync replica first, the broker leaves every ISR and is \
                fenced, then its logs are closed cleanly. A partition whose only in-sync replica is this \
                broker goes offline (Leader: none). Stopping a stopped broker changes nothing.
                """)

        @OptionGroup var target: Target

        func run() throws {
            try BrokerCommand.change(target, skipIf: { $0 == .stopped }, already: "Broker \(target.id) is already stopped.",
                                     done: "Stopped broker \(target.id) (controlled shutdown).", remote: .stop) {
                try $0.stopBroker(target.id)
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a stopped or killed broker; it recovers its logs, catches up and rejoins the ISR.",
            discussion: """
                The broker recovers its logs, is unfenced, truncates diverged records by leader epoch, \
                copies what it missed from the leaders and rejoins their ISRs; the command returns once \
                replication has settled. Partitions that were offline waiting for it get it back as \
                leader, and preferred leaders are restored. Starting a running broker changes nothing.
                """)

        @OptionGroup var target: Target

        func run() throws {
            try BrokerCommand.change(target, skipIf: { $0 == .running }, already: "Broker \(target.id) is already running.",
                                     done: "Started broker \(target.id); it caught up with the leaders.", remote: .start,
                                     remoteDone: "Started broker \(target.id); it recovers, catches up with the leaders and rejoins the ISR.") {
                try $0.startBroker(target.id)
            }
        }
    }

    struct Kill: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crash a broker: unflushed data is lost; later commands run without it.",
            discussion: """
                As a power cut would: the broker stops at once, without closing its logs, and every \
                record it had not flushed to disk (see flush.messages and flush.ms) is lost: its logs \
                are cut back to their recovery points. The controller fences it at once and elects new \
                leaders from the live ISR (or, with unclean.leader.election.enable=true, from any live \
                replica). It stays down until eddy broker start. Killing a stopped broker changes nothing.
                """)

        @OptionGroup var target: Target

        func run() throws {
            try BrokerCommand.change(target, skipIf: { $0 == .stopped }, already: "Broker \(target.id) is already stopped.",
                                     done: "Killed broker \(target.id); its unflushed data is lost. Start it with: eddy broker start --id \(target.id)", remote: .kill) {
                try $0.killBroker(target.id, fenceNow: true)
            }
        }
    }
}
