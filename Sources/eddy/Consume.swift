import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `eddy consume`: print a topic's records.
struct Consume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print records of a topic.",
        discussion: """
            Reads every partition (or --partition) from its leader, from --offset, and prints each \
            record with \
            --format (default '%s\\n': the value on its own line). Without --exit-at-end it then \
            follows the topic, printing new records as they are appended, until interrupted \
            (Ctrl-C exits 0). While waiting it releases the data directory so that other eddy \
            commands can use it (see eddy(1), LOCKING).

            With --group it consumes as a member of that consumer group instead: the group \
            assigns the partitions, reading starts at the group's committed offsets (--offset \
            earliest or latest only where there is none, as Kafka's auto.offset.reset), and what \
            was printed is committed before the command exits or waits, so the next run \
            continues after it (at-least-once). --consumer-property sets Kafka consumer \
            properties (session.timeout.ms, fetch.max.wait.ms, ...).

            kafka-console-consumer's --from-beginning (--offset earliest) and its formatter's \
            --property settings are taken too: print.key, print.timestamp, print.partition, \
            print.offset, print.headers, print.value, key.separator, line.separator, \
            headers.separator and null.literal, printed as Kafka's DefaultMessageFormatter prints \
            them (for example 'CreateTime:1700000000000<TAB>Partition:0<TAB>Offset:5<TAB>key<TAB>value').
            """)

    @OptionGroup var common: ConnectionOptions

    @Option(help: ArgumentHelp("The topic.", valueName: "name"))
    var topic: String

    @Option(help: ArgumentHelp("Only this partition (default: all).", valueName: "n"))
    var partition: Int32?

    @Option(help: ArgumentHelp("Where to start: earliest, latest, or an absolute offset (default: earliest). With --group: where to start in partitions without a committed offset, earliest or latest.",
                               valueName: "earliest|latest|n"))
    var offset: StartOffset?

    @Flag(help: "Start at the earliest offset: kafka-console-consumer's flag for --offset earliest.")
    var fromBeginning = false

    @Option(name: .customLong("property"),
            help: ArgumentHelp("A property of Kafka's message formatter instead of --format: print.key=true, key.separator=:, ... (repeatable; see the discussion above).",
                               valueName: "key=value"))
    var formatterProperties: [String] = []

    @Option(help: ArgumentHelp("Consume as a member of this consumer group, committing what was printed.", valueName: "group"))
    var group: String?

    @Option(name: .customLong("consumer-property"),
            help: ArgumentHelp("A Kafka consumer property, with --group (repeatable).", valueName: "key=value"))
    var consumerProperties: [String] = []

    @Option(help: ArgumentHelp("read_uncommitted (the default, as Kafka's) prints every record; read_committed prints only committed transactions' records and non-transactional ones, up to the last stable offset (an open transaction holds it back).",
                               valueName: "level"))
    var isolationLevel: IsolationLevelArgument?

    @Option(help: ArgumentHelp("Stop after this many records.", valueName: "n"))
    var maxMessages: Int?

    @Flag(help: "Stop at the end of the partitions instead of waiting for new records.")
    var exitAtEnd = false

    @Option(help: ArgumentHelp("Output format: %t %p %o %k %s %T %h %K %S %% and \\n \\t \\r \\\\ (see eddy(1)).",
                               valueName: "fmt"))
    var format: String?

    /// Pause between polls for new records while following.
    static let followPollMicroseconds: UInt32 = 200_000
    /// Bytes requested per fetch.
    static let fetchBytes = 1 << 20

    /// Where to start: --offset, or earliest for --from-beginning.
    var start: StartOffset? { fromBeginning ? .earliest : offset }

    func validate() throws {
        if let maxMessages, maxMessages < 0 { throw ValidationError("--max-messages must not be negative") }
        if fromBeginning, offset != nil { throw ValidationError("--from-beginning cannot be used with --offset (it means --offset earliest)") }
        if !formatterProperties.isEmpty, format != nil { throw ValidationError("--property cannot be used with --format: give one or the other") }
        _ = try recordFormat()
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
        if let group {
            if group.isEmpty { throw ValidationError("--group must not be empty") }
            if partition != nil { throw ValidationError("--partition cannot be used with --group: the group assigns the partitions") }
            if case .absolute = offset {
                throw ValidationError("--offset with --group must be earliest or latest (where the group has no committed offset)")
            }
            _ = try consumerConfig(group: group)
        } else if !consumerProperties.isEmpty {
            throw ValidationError("--consumer-property requires --group")
        }
    }

    /// --format, else Kafka's formatter with --property, else the default (the value per line).
    func recordFormat() throws -> RecordFormat {
        do {
            if let format { return try RecordFormat(parsing: format) }
            if !formatterProperties.isEmpty {
                return try RecordFormat(kafkaProperties: try KeyValueArguments.dictionary(formatterProperties, flag: "--property"))
            }
            return .default
        } catch let e as RecordFormat.ParseError {
            throw ValidationError(e.description)
        } catch let e as ToolPropertyError {
            throw ValidationError(e.description)
        }
    }

    /// The group member's configuration: --consumer-property values over eddy's defaults (no
    /// auto-commit: the command commits what it printed; auto.offset.reset earliest), and
    /// --offset over both.
    func consumerConfig(group: String) throws -> ConsumerConfig {
        let properties = try KeyValueArguments.dictionary(consumerProperties, flag: "--consumer-property")
        var config = ConsumerConfig(groupId: group)
        config.clientId = "eddy-consume"
        config.enableAutoCommit = false
        config.autoOffsetReset = .earliest
        do {
            try config.apply(properties)
        } catch {
            throw ValidationError("--consumer-property: \(error)")
        }
        if let start { config.autoOffsetReset = start == .latest ? .latest : .earliest }
        if let isolationLevel { config.isolationLevel = isolationLevel.level }
        if config.groupId != group { throw ValidationError("--consumer-property group.id conflicts with --group") }
        return config
    }

    func run() throws {
        let recordFormat = try recordFormat()
        if let servers = try common.remote() { return try runRemote(servers, format: recordFormat) }
        if let group { return try runGroup(group, format: recordFormat) }
        guard let session = try Session.open(common.dataDirectory, create: false) else {
            throw EddyError.unknownTopic(topic)
        }
        var reader: ConsumeReader
        do {
            reader = try ConsumeReader(cluster: session.cluster, topic: topic, partition: partition, start: start ?? .earliest,
                                       format: recordFormat, limit: maxMessages,
                                       isolationLevel: isolationLevel?.level ?? .readUncommitted)
        } catch {
            try? session.close()
            throw error
        }
        let out = Output.standard
        do {
            while !reader.isDone, !out.isClosed, !Signals.interrupted {
                let printed = try reader.poll(session.cluster, out: out)
                if printed > 0 || reader.isDone { continue }
                // Every partition is at its end.
                if exitAtEnd { break }
                out.flush()
                try session.suspend()
                usleep(Consume.followPollMicroseconds)
                guard try session.resume() else { break }
            }
            out.flush()
            if session.isOpen { try session.close() }
        } catch {
            out.flush()
            if session.isOpen { try? session.close() }
            throw error
        }
    }

    /// `--group`: poll as a member, print, and commit what was printed before exiting or
    /// waiting. While it waits for new records it commits, leaves the group (LeaveGroup) and
    /// releases the data directory like the plain reader; it rejoins when it resumes.
    private func runGroup(_ group: String, format: RecordFormat) throws {
        let config = try consumerConfig(group: group)
        // Only one process uses the data directory at a time, so a group here has its members
        // in this process: waiting group.initial.rebalance.delay.ms for others would only delay.
        var options = ClusterOptions()
        options.groupCoordinator.groupInitialRebalanceDelayMs = 0
        guard let session = try Session.open(common.dataDirectory, create: false, options: options) else {
            throw EddyError.unknownTopic(topic)
        }
        let out = Output.standard
        let reader = ConsumeGroupReader(topic: topic, config: config, format: format, limit: maxMessages)
        do {
            _ = try session.cluster.describeTopic(topic)
            try reader.start(session)
            while !reader.isDone, !out.isClosed, !Signals.interrupted {
                let polled = try reader.poll(out: out)
                if polled.printed > 0 || !polled.atEnd { continue }
                if exitAtEnd { break }
                try reader.commitAndClose(out: out)
                try session.suspend()
                usleep(Consume.followPollMicroseconds)
                guard try session.resume() else { return }
                try reader.start(session)
            }
            try reader.commitAndClose(out: out)
            out.flush()
            if session.isOpen { try session.close() }
        } catch {
            try? reader.commitAndClose(out: out)
            out.flush()
            if session.isOpen { try? session.close() }
            throw error
        }
    }
}

extension Consume {
    /// `--bootstrap-server`: a consumer over the network, as a group member (--group) or
    /// assigned the partitions. Nothing is released while waiting for new records: the server
    /// is shared anyway. A group member commits what it printed when the command ends.
    private func runRemote(_ servers: RemoteCluster, format: RecordFormat) throws {
        let session = try RemoteSession.connect(servers, clientId: "eddy-consume")
        defer { try? session.close() }
        let topic = self.topic
        let description = try session.withAdmin { try await $0.describeTopic(topic) }
        let reader: ConsumeGroupReader
        if let group {
            reader = ConsumeGroupReader(topic: topic, config: try consumerConfig(group: group), format: format, limit: maxMessages)
        } else {
            if let partition, partition < 0 || Int(partition) >= description.partitions.count {
                throw EddyError.unknownPartition(partition, of: topic, partitionCount: description.partitions.count)
            }
            var config = ConsumerConfig()
            config.clientId = "eddy-consume"
            config.autoOffsetReset = .none
            config.isolationLevel = isolationLevel?.level ?? .readUncommitted
            let start = self.start ?? .earliest
            reader = ConsumeGroupReader(topic: topic, config: config, format: format, limit: maxMessages,
                                        assigned: .init(partitions: partition.map { [$0] } ?? description.partitions.map(\.partition),
                                                        start: start))
        }
        let out = Output.standard
        do {
            try reader.start(session)
            while !reader.isDone, !out.isClosed, !Signals.interrupted {
                let polled = try reader.poll(out: out)
                if polled.printed > 0 || !polled.atEnd { continue }
                if exitAtEnd { break }
                out.flush()
            }
            try reader.commitAndClose(out: out)
            out.flush()
        } catch {
            try? reader.commitAndClose(out: out)
            out.flush()
            throw error
        }
    }
}

/// `--isolation-level`: Kafka's isolation.level values.
enum IsolationLevelArgument: String, ExpressibleByArgument, CaseIterable {
    case readUncommitted = "read_uncommitted"
    case readCommitted = "read_committed"

    var level: IsolationLevel { self == .readCommitted ? .readCommitted : .readUncommitted }
}

/// `--offset`: earliest, latest or an absolute offset.
enum StartOffset: ExpressibleByArgument, Equatable {
    case earliest, latest
    case absolute(Int64)

    init?(argument: String) {
        switch argument {
        case "earliest", "beginning": self = .earliest
        case "latest", "end": self = .latest
        default:
            guard let n = Int64(argument), n >= 0 else { return nil }
            self = .absolute(n)
        }
    }

    static var defaultValueDescription: String { "earliest" }
}
