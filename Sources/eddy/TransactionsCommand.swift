import ArgumentParser
import EddyClient
import EddyProtocol
import Foundation

/// `eddy transactions ...`: list and describe transactions, after Kafka's kafka-transactions.sh.
struct TransactionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "List, describe, find hanging and abort transactions, as kafka-transactions does.",
        subcommands: [List.self, Describe.self, DescribeProducers.self, FindHanging.self, Abort.self, ForceTerminate.self])

    static let clientId = "eddy-transactions"

    /// `--transactional-id ID`, which must not be empty.
    struct TransactionalIdOption: ParsableArguments {
        @Option(help: ArgumentHelp("The transactional id.", valueName: "id"))
        var transactionalId: String

        func validate() throws {
            if transactionalId.isEmpty { throw ValidationError("--transactional-id must not be empty") }
        }
    }

    /// Kafka's transaction state names (`--state`).
    static let states = ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit", "CompleteAbort", "PrepareEpochFence", "Dead"]

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the transactions of every broker's coordinator.",
            discussion: """
                One row per transactional id, sorted: TransactionalId, Coordinator (the broker \
                coordinating it), ProducerId and TransactionState, as kafka-transactions list. \
                --state (repeatable) keeps those states, --producer-id (repeatable) those \
                producers, --duration-ms the transactions running longer than that.
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(name: .customLong("state"), help: ArgumentHelp("Only this state (repeatable): \(TransactionsCommand.states.joined(separator: ", ")).",
                                                              valueName: "state"))
        var states: [String] = []

        @Option(name: .customLong("producer-id"), help: ArgumentHelp("Only this producer id (repeatable).", valueName: "id"))
        var producerIds: [Int64] = []

        @Option(help: ArgumentHelp("Only transactions running longer than this.", valueName: "ms"))
        var durationMs: Int64?

        func validate() throws {
            for s in states where !TransactionsCommand.states.contains(where: { $0.lowercased() == s.lowercased() }) {
                throw ValidationError("--state \(s) is not a transaction state; use one of \(TransactionsCommand.states.joined(separator: ", "))")
            }
            if let durationMs, durationMs < 0 { throw ValidationError("--duration-ms must not be negative") }
        }

        func run() throws {
            let names = states.map { s in TransactionsCommand.states.first { $0.lowercased() == s.lowercased() } ?? s }
            let (producerIds, durationMs) = (producerIds, durationMs)
            let listed = try Groups.withAdmin(common, clientId: TransactionsCommand.clientId) {
                try await $0.listTransactions(states: names, producerIds: producerIds, durationMs: durationMs)
            } ?? []
            guard !listed.isEmpty else { return }
            let rows = [["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]]
                + listed.map { [$0.transactionalId, "\($0.coordinator)", "\($0.producerId)", $0.state] }
            TextTable.render(rows).forEach { print($0) }
        }
    }

    struct Describe: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe one transactional id.",
            discussion: """
                Its coordinator, producer id and epoch, state, timeout, when the running \
                transaction started and how long it has run (None when none runs), and its \
                partitions, as kafka-transactions describe prints them.
                """)

        @OptionGroup var common: ConnectionOptions
        @OptionGroup var id: TransactionalIdOption

        func run() throws {
            let id = self.id.transactionalId
            let described = try Groups.withExistingAdmin(common, clientId: TransactionsCommand.clientId) {
                try await $0.describeTransactions([id])
            }
            guard let t = described[id] else { return }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let rows = [["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState", "TransactionTimeoutMs",
                         "CurrentTransactionStartTimeMs", "TransactionDurationTimeMs", "TopicPartitions"],
                        ["\(t.coordinator)", t.transactionalId, "\(t.producerId)", "\(t.producerEpoch)", t.state, "\(t.timeoutMs)",
                         t.startTimeMs.map { "\($0)" } ?? "None", t.startTimeMs.map { "\(max(0, now - $0))" } ?? "None",
                         t.partitions.map(\.description).joined(separator: ",")]]
            TextTable.render(rows).forEach { print($0) }
        }
    }

    struct DescribeProducers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe-producers",
            abstract: "The producers a partition's leader knows, with their open transactions.",
            discussion: """
                One row per producer id: ProducerId, ProducerEpoch, LatestCoordinatorEpoch (-1 \
                before any marker), LastSequence, LastTimestamp and CurrentTransactionStartOffset \
                (None when no transaction is open), as kafka-transactions describe-producers.
                """)

        @OptionGroup var common: ConnectionOptions
        @Option(help: ArgumentHelp("The topic.", valueName: "name")) var topic: String
        @Option(help: ArgumentHelp("The partition.", valueName: "n")) var partition: Int32

        func run() throws {
            let tp = TopicPartition(topic, partition)
            let producers = try Groups.withExistingAdmin(common, clientId: TransactionsCommand.clientId) {
                try await $0.describeProducers([tp])
            }[tp] ?? []
            let rows = [["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp", "CurrentTransactionStartOffset"]]
                + producers.map { p in
                    ["\(p.producerId)", "\(p.producerEpoch)", "\(p.coordinatorEpoch ?? -1)", "\(p.lastSequence)", "\(p.lastTimestamp)",
                     p.currentTransactionStartOffset.map { "\($0)" } ?? "None"]
                }
            TextTable.render(rows).forEach { print($0) }
        }
    }

    struct FindHanging: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "find-hanging",
            abstract: "Find open transactions that no coordinator will end.",
            discussion: """
                Looks at the partitions with a replica on --broker-id, or those of --topic \
                (--partition: one of them), for producers whose transaction has been open and \
                silent for at least --max-transaction-timeout minutes (default 15, the brokers' \
                transaction.max.timeout.ms) and whose coordinator does not have it running there. \
                Such a transaction holds the partition's last stable offset, and every \
                read_committed consumer, until it is aborted (transactions abort). One row each: \
                Topic, Partition, ProducerId, ProducerEpoch, CoordinatorEpoch, StartOffset, \
                LastTimestamp and Duration(min), as kafka-transactions find-hanging.
                """)

        @OptionGroup var common: ConnectionOptions
        @Option(help: ArgumentHelp("The broker whose partitions to look at.", valueName: "id")) var brokerId: Int32?
        @Option(help: ArgumentHelp("The topic to look at (instead of --broker-id).", valueName: "name")) var topic: String?
        @Option(help: ArgumentHelp("Only this partition of --topic.", valueName: "n")) var partition: Int32?
        @Option(help: ArgumentHelp("How long a transaction must have been silent (default 15).", valueName: "minutes"))
        var maxTransactionTimeout: Int64 = 15

        func validate() throws {
            guard (brokerId == nil) != (topic == nil) else { throw ValidationError("give exactly one of --broker-id and --topic") }
            if partition != nil, topic == nil { throw ValidationError("--partition needs --topic") }
            if maxTransactionTimeout < 0 { throw ValidationError("--max-transaction-timeout must not be negative") }
        }

        func run() throws {
            let (brokerId, topic, partition, timeoutMs) = (brokerId, topic, partition, maxTransactionTimeout * 60_000)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let hanging = try Groups.withExistingAdmin(common, clientId: TransactionsCommand.clientId) { admin in
                let names: [String]
                if let topic { names = [topic] } else { names = try await admin.listTopics(listInternal: true).map(\.name) }
                var partitions: [TopicPartition] = []
                for (name, description) in try await admin.describeTopics(names) {
                    for p in description.partitions where (partition == nil || p.partition == partition)
                        && (brokerId == nil || p.replicas.contains(brokerId!)) {
                        partitions.append(TopicPartition(name, p.partition))
                    }
                }
                if let partition, let topic, partitions.isEmpty { throw ClientError.broker(.unknownTopicOrPartition, message: "\(topic)-\(partition)") }
                return try await admin.findHangingTransactions(in: partitions, maxTransactionTimeoutMs: timeoutMs, nowMs: now)
            }
            let rows = [["Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset", "LastTimestamp", "Duration(min)"]]
                + hanging.map { h in
                    [h.topicPartition.topic, "\(h.topicPartition.partition)", "\(h.producerId)", "\(h.producerEpoch)", "\(h.coordinatorEpoch)",
                     "\(h.startOffset)", "\(h.lastTimestamp)", "\(max(0, now - h.lastTimestamp) / 60_000)"]
                }
            TextTable.render(rows).forEach { print($0) }
        }
    }

    struct Abort: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Abort an open transaction in one partition.",
            discussion: """
                Writes an ABORT marker for the transaction to the partition (WriteTxnMarkers to its \
                leader), as its coordinator would, so that the last stable offset moves past it: \
                for hanging transactions (transactions find-hanging). Name it by --start-offset \
                (the producer whose transaction starts there, from describe-producers), or by \
                --producer-id, --producer-epoch and --coordinator-epoch. A transaction its \
                coordinator still runs is better ended by its producer: aborting it here makes \
                its later records land outside any transaction's markers.
                """)

        @OptionGroup var common: ConnectionOptions
        @Option(help: ArgumentHelp("The topic.", valueName: "name")) var topic: String
        @Option(help: ArgumentHelp("The partition.", valueName: "n")) var partition: Int32
        @Option(help: ArgumentHelp("The first offset of the transaction to abort.", valueName: "offset")) var startOffset: Int64?
        @Option(help: ArgumentHelp("The producer id (instead of --start-offset).", valueName: "id")) var producerId: Int64?
        @Option(help: ArgumentHelp("The producer epoch (with --producer-id).", valueName: "epoch")) var producerEpoch: Int16?
        @Option(help: ArgumentHelp("The coordinator epoch (with --producer-id).", valueName: "epoch")) var coordinatorEpoch: Int32?

        func validate() throws {
            let byProducer = [producerId == nil, producerEpoch == nil, coordinatorEpoch == nil]
            if startOffset != nil {
                guard byProducer.allSatisfy({ $0 }) else { throw ValidationError("give --start-offset or the producer's three options, not both") }
            } else if byProducer.contains(true) {
                throw ValidationError("give --start-offset, or --producer-id, --producer-epoch and --coordinator-epoch")
            }
        }

        func run() throws {
            let tp = TopicPartition(topic, partition)
            let (startOffset, producerId, producerEpoch, coordinatorEpoch) = (startOffset, producerId, producerEpoch, coordinatorEpoch)
            let spec = try Groups.withExistingAdmin(common, clientId: TransactionsCommand.clientId) { admin in
                var spec: AbortTransactionSpec
                if let startOffset {
                    let producers = try await admin.describeProducers([tp])[tp] ?? []
                    guard let p = producers.first(where: { $0.currentTransactionStartOffset == startOffset }) else {
                        throw EddyError("no transaction open in \(tp) starts at offset \(startOffset); see 'eddy transactions describe-producers'")
                    }
                    spec = AbortTransactionSpec(topicPartition: tp, producerId: p.producerId, producerEpoch: Int16(clamping: p.producerEpoch),
                                                coordinatorEpoch: max(0, p.coordinatorEpoch ?? 0))
                } else {
                    spec = AbortTransactionSpec(topicPartition: tp, producerId: producerId!, producerEpoch: producerEpoch!,
                                                coordinatorEpoch: coordinatorEpoch!)
                }
                try await admin.abortTransaction(spec)
                return spec
            }
            print("aborted the transaction of producer \(spec.producerId) (epoch \(spec.producerEpoch)) in \(tp)")
        }
    }

    struct ForceTerminate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "force-terminate",
            abstract: "End what a transactional id has running, fencing its producer.",
            discussion: """
                Initialises the transactional id's producer again, as a new instance of it would \
                (InitProducerId, as KIP-939's forceTerminateTransaction): its coordinator \
                aborts the open transaction, writing ABORT markers to its partitions, and bumps \
                the epoch, so that the producer that left it open is fenced (PRODUCER_FENCED). \
                An unknown id fails with TRANSACTIONAL_ID_NOT_FOUND (it is described first).
                """)

        @OptionGroup var common: ConnectionOptions
        @OptionGroup var id: TransactionalIdOption

        func run() throws {
            let id = self.id.transactionalId
            let (producerId, epoch) = try Groups.withExistingAdmin(common, clientId: TransactionsCommand.clientId) {
                try await $0.forceTerminateTransaction(id)
            }
            print("terminated transactional id \(id): producer \(producerId) is at epoch \(epoch); older epochs are fenced")
        }
    }
}
