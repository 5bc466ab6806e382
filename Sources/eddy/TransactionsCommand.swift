import ArgumentParser
import EddyClient
import Foundation

/// `eddy transactions ...`: list and describe transactions, after Kafka's kafka-transactions.sh.
struct TransactionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "List and describe transactions, as kafka-transactions does.",
        subcommands: [List.self, Describe.self])

    static let clientId = "eddy-transactions"

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

        @Option(help: ArgumentHelp("The transactional id.", valueName: "id"))
        var transactionalId: String

        func validate() throws {
            if transactionalId.isEmpty { throw ValidationError("--transactional-id must not be empty") }
        }

        func run() throws {
            let id = transactionalId
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
}
