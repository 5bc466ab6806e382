import ArgumentParser
import EddyClient
import Foundation

extension Groups {
    struct ResetOffsets: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Reset a consumer group's committed offsets.",
            discussion: """
                Give one scope (--all-topics: every partition the group has a committed offset for; \
                --topic T or T:P,P..., repeatable) and exactly one strategy. Only --from-file may omit \
                the scope: the file names the partitions. Targets outside [log start, high watermark] \
                are clamped, with a warning. The plan (TOPIC PARTITION OLD-OFFSET NEW-OFFSET OLD-LAG \
                NEW-LAG, lags from the high watermark) is printed, or with --export the CSV that \
                --from-file reads; offsets are committed only with --execute. A group with members is refused: "Assignments can only be reset if the \
                group 'G' is inactive, but the current state is Stable."
                """)

        @OptionGroup var common: ConnectionOptions

        @Option(help: ArgumentHelp("The group.", valueName: "group"))
        var group: String

        @Flag(name: .customLong("all-topics"), help: "Every partition the group has a committed offset for.")
        var allTopics = false

        @Option(name: .customLong("topic"), help: ArgumentHelp(
            "A topic, or some of its partitions as topic:p,p... (repeatable).", valueName: "topic[:partitions]"))
        var topics: [String] = []

        @Flag(name: .customLong("to-earliest"), help: "The log start offset.")
        var toEarliest = false

        @Flag(name: .customLong("to-latest"), help: "The high watermark.")
        var toLatest = false

        @Flag(name: .customLong("to-current"), help: "The committed offset (the high watermark where there is none).")
        var toCurrent = false

        @Option(name: .customLong("to-offset"), parsing: .unconditional, help: ArgumentHelp("This offset.", valueName: "offset"))
        var toOffset: Int64?

        @Option(name: .customLong("shift-by"), parsing: .unconditional, help: ArgumentHelp(
            "The committed offset plus n (n may be negative).", valueName: "n"))
        var shiftBy: Int64?

        @Option(name: .customLong("to-datetime"), help: ArgumentHelp(
            "The first offset at or after this time: yyyy-MM-ddTHH:mm:ss.SSS[Z|+HH:MM] (UTC without a zone).",
            valueName: "datetime"))
        var toDatetime: String?

        @Option(name: .customLong("by-duration"), help: ArgumentHelp(
            "The first offset at or after now minus this ISO-8601 duration (PnDTnHnMnS).", valueName: "duration"))
        var byDuration: String?

        @Option(name: .customLong("from-file"), help: ArgumentHelp(
            "The offsets in this CSV file: topic,partition,offset or group,topic,partition,offset lines.",
            valueName: "file"))
        var fromFile: String?

        @Flag(name: .customLong("dry-run"), help: "Only print the plan (the default).")
        var dryRun = false

        @Flag(name: .customLong("execute"), help: "Commit the new offsets.")
        var execute = false

        @Flag(name: .customLong("export"), help: "Print the plan as CSV, topic,partition,offset lines (what --from-file reads), instead of the table.")
        var export = false

        static let strategyNames = "--to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration, --from-file"

        func validate() throws {
            let given = [toEarliest, toLatest, toCurrent, toOffset != nil, shiftBy != nil, toDatetime != nil,
                         byDuration != nil, fromFile != nil].filter { $0 }.count
            if given != 1 { throw ValidationError("give exactly one reset strategy: \(Self.strategyNames)") }
            if allTopics && !topics.isEmpty { throw ValidationError("--all-topics and --topic cannot be combined") }
            if !allTopics && topics.isEmpty && fromFile == nil {
                throw ValidationError("give a reset scope: --all-topics or --topic")
            }
            if dryRun && execute { throw ValidationError("--dry-run and --execute cannot be combined") }
            do {
                _ = try scope()
                if fromFile == nil { _ = try strategy() }
            } catch let error as OffsetResetError {
                throw ValidationError(error.description)
            }
        }

        func scope() throws -> OffsetResetScope? {
            if allTopics { return .allTopics }
            return topics.isEmpty ? nil : try OffsetResetScope(topicArguments: topics)
        }

        /// The strategy; reads the --from-file CSV.
        func strategy() throws -> OffsetResetStrategy {
            if toEarliest { return .toEarliest }
            if toLatest { return .toLatest }
            if toCurrent { return .toCurrent }
            if let toOffset { return .toOffset(toOffset) }
            if let shiftBy { return .shiftBy(shiftBy) }
            if let toDatetime { return try .toDateTime(parsing: toDatetime) }
            if let byDuration { return try .byDuration(parsing: byDuration) }
            guard let fromFile else { preconditionFailure("validate() requires one strategy") }
            guard let data = FileManager.default.contents(atPath: fromFile) else {
                throw EddyError("cannot read the reset file \(fromFile)")
            }
            return try .fromFile(csv: String(decoding: data, as: UTF8.self))
        }

        func run() throws {
            let group = self.group, scope = try self.scope(), execute = self.execute
            let strategy: OffsetResetStrategy
            do {
                strategy = try self.strategy()
            } catch let error as OffsetResetError {
                throw EddyError(error.description)
            }
            let plan: OffsetResetPlan
            do {
                plan = try Groups.withExistingAdmin(common) { admin in
                    let plan = try await admin.planOffsetReset(group: group, scope: scope, strategy: strategy)
                    if execute { try await admin.executeOffsetReset(plan) }
                    return plan
                }
            } catch let error as OffsetResetError {
                throw EddyError(error.description)
            }
            for warning in plan.warnings { printNotice("WARN: \(warning)") }
            if plan.entries.isEmpty {
                printNotice("Nothing to reset: the scope selects no partition of group '\(group)'.")
            } else {
                (export ? plan.exportLines() : plan.previewLines()).forEach { print($0) }
            }
            if !execute && !dryRun {
                printNotice("WARN: No action will be performed as the --execute option is missing; add --dry-run to only preview without this warning.")
            }
        }
    }
}
