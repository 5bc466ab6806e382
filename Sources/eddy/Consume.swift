import ArgumentParser
import EddyBroker
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
            """)

    @OptionGroup var common: DataDirectoryOptions

    @Option(help: ArgumentHelp("The topic.", valueName: "name"))
    var topic: String

    @Option(help: ArgumentHelp("Only this partition (default: all).", valueName: "n"))
    var partition: Int32?

    @Option(help: ArgumentHelp("Where to start: earliest, latest, or an absolute offset.",
                               valueName: "earliest|latest|n"))
    var offset: StartOffset = .earliest

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

    func validate() throws {
        if let maxMessages, maxMessages < 0 { throw ValidationError("--max-messages must not be negative") }
        if let partition, partition < 0 { throw ValidationError("--partition must not be negative") }
        if let format {
            do { _ = try RecordFormat(parsing: format) } catch let e as RecordFormat.ParseError {
                throw ValidationError(e.description)
            }
        }
    }

    func run() throws {
        let recordFormat = try format.map { try RecordFormat(parsing: $0) } ?? .default
        guard let session = try Session.open(common, create: false) else {
            throw EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION", "Topic '\(topic)' does not exist.")
        }
        var reader: ConsumeReader
        do {
            reader = try ConsumeReader(cluster: session.cluster, topic: topic, partition: partition, start: offset,
                                       format: recordFormat, limit: maxMessages)
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
