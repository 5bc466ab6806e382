import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import Foundation

extension Topics {
    struct ElectLeaders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elect-leaders",
            abstract: "Elect partitions' leaders now, as kafka-leader-election does.",
            discussion: """
                preferred (the default) moves each partition's leadership to its first replica \
                when that replica is alive and in the ISR (after a broker came back, say); unclean \
                gives a partition without a leader its first live replica even outside the ISR, \
                whatever the topic's unclean.leader.election.enable (records only the lost ISR \
                held are then gone). The partitions: --topic (all of its, or --partition), \
                --all-topic-partitions, or --path-to-json-file in kafka-leader-election's format \
                ({"partitions": [{"topic": "t", "partition": 0}]}). Prints the partitions elected, \
                those whose leader was already right, and each failure; exits 1 if any failed.
                """)

        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case preferred, unclean
            init?(argument: String) { self.init(rawValue: argument.lowercased()) }
        }

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("preferred or unclean (Kafka's PREFERRED, UNCLEAN).", valueName: "type"))
        var electionType: Kind = .preferred

        @Option(help: ArgumentHelp("The topic.", valueName: "name"))
        var topic: String?

        @Option(help: ArgumentHelp("Only this partition of --topic (repeatable).", valueName: "n"))
        var partition: [Int32] = []

        @Flag(help: "Every partition of the cluster.")
        var allTopicPartitions = false

        @Option(help: ArgumentHelp("A JSON file of partitions, kafka-leader-election's --path-to-json-file.", valueName: "file"))
        var pathToJsonFile: String?

        func validate() throws {
            guard [topic != nil, allTopicPartitions, pathToJsonFile != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give one of --topic, --all-topic-partitions and --path-to-json-file")
            }
            if !partition.isEmpty, topic == nil { throw ValidationError("--partition goes with --topic") }
            if partition.contains(where: { $0 < 0 }) { throw ValidationError("--partition must not be negative") }
        }

        func run() throws {
            let type: ElectLeadersRequest.ElectionType = electionType == .preferred ? .preferred : .unclean
            let listed = try pathToJsonFile.map { try PartitionsJsonFile.entries($0, flag: "--path-to-json-file").map(\.0) }
            let topic = self.topic, partitions = partition
            let outcomes: [TopicPartition: (ErrorCode, String?)]
            if let servers = try common.remote() {
                outcomes = try Remote.withAdmin(servers, clientId: "eddy-topics") { admin in
                    var targets = listed
                    if let topic {
                        let ids = partitions.isEmpty ? try await admin.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { TopicPartition(topic, $0) }
                    }
                    return try await admin.electLeaders(type, targets.map(Set.init)).mapValues { result in
                        switch result {
                        case .success: (ErrorCode.none, nil)
                        case let .failure(.broker(code, message)): (code, message)
                        case let .failure(e): (ErrorCode.unknownServerError, e.description)
                        }
                    }
                }
            } else {
                let local = try Session.with(common.dataDirectory, create: false) { cluster in
                    var targets = listed
                    if let topic {
                        let ids = partitions.isEmpty ? try cluster.describeTopic(topic).partitions.map(\.partition) : partitions
                        targets = ids.map { TopicPartition(topic, $0) }
                    }
                    return try cluster.electLeaders(targets, type: type).mapValues { ($0.errorCode, $0.message) }
                }
                guard let local else { throw EddyError.unknownTopic(topic ?? listed?.first?.topic ?? "") }
                outcomes = local
            }
            let sorted = outcomes.sorted { $0.key < $1.key }
            func names(_ code: ErrorCode) -> [String] { sorted.filter { $0.value.0 == code }.map { "\($0.key.topic)-\($0.key.partition)" } }
            let elected = names(.none), already = names(.electionNotNeeded)
            if !elected.isEmpty { print("Successfully completed leader election (\(type.name)) for partitions \(elected.joined(separator: ", "))") }
            if !already.isEmpty { print("Valid replica already elected for partitions \(already.joined(separator: ", "))") }
            let failed = sorted.filter { $0.value.0 != .none && $0.value.0 != .electionNotNeeded }
            for (tp, (code, message)) in failed {
                print("Error completing leader election (\(type.name)) for partition: \(tp.topic)-\(tp.partition): \(code.name)\(message.map { ": \($0)" } ?? "")")
            }
            if !failed.isEmpty { throw EddyError("\(failed.count) replica(s) could not be elected") }
        }
    }
}
