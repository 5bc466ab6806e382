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

/// `eddy produce`: one record per line of standard input.
struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Append one record per line of standard input to a topic.",
        discussion: """
            Each line (up to, not including, '\\n'; a '\\r' before it is kept) is one record's value. \
            With --key-separator, the bytes before the first separator are the key and the rest the \
            value; a line without the separator gets a null key. Records go to --partition if given, \
            else keyed records to murmur2(key) % partitions (as Kafka's Java client does) and keyless \
            ones to a sticky partition that changes after each full batch. Records are appended in \
            batches of up to --batch-size bytes per partition and sent to each partition's leader \
            with --acks: all (the default) waits until every in-sync replica has the batch, and \
            fails with NOT_ENOUGH_REPLICAS when the ISR is smaller than the topic's \
            min.insync.replicas. At the end a one-line summary goes to stderr. While standard input has nothing to read, the data directory is released (see \
            eddy(1), LOCKING). Ctrl-C ends the input: complete lines already read are appended.
            """)

    @OptionGroup var common: DataDirectoryOptions

    @Option(help: ArgumentHelp("The topic (it must exist).", valueName: "name"))
    var topic: String

    @Option(help: ArgumentHelp("Split each line at the first SEP into key and value.", valueName: "sep"))
    var keySeparator: String?

    @Option(help: ArgumentHelp("Append every record to this partition.", valueName: "n"))
    var partition: Int32?

    @Option(name: .customLong("header"), help: ArgumentHelp("A header added to every record (repeatable).", valueName: "key=value"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Largest batch in bytes (Kafka's batch.size); capped at the topic's max.message.bytes.", valueName: "bytes"))
    var batchSize: Int = Partitioner.defaultBatchSize

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "all (or -1): every in-sync replica has the batch; 1: the leader has it; 0: no acknowledgement. Kafka's acks.",
        valueName: "all|1|0"))
    var acks: Acks = .all

    @Option(help: ArgumentHelp("How long the leader may wait for acks=all (Kafka's request.timeout.ms).", valueName: "ms"))
    var timeoutMs: Int32 = 30_000

    /// How long input may stay silent before the data directory is released.
    static let lingerMilliseconds: Int32 = 50

    func validate() throws {
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard timeoutMs >= 0 else { throw ValidationError("--timeout-ms must not be negative") }
        _ = try KeyValueArguments.parse(headers, flag: "--header")
    }

    func run() throws {
        let recordHeaders = try KeyValueArguments.parse(headers, flag: "--header")
            .map { RecordHeader(key: $0.key, value: Array($0.value.utf8)) }
        guard let session = try Session.open(common, create: false) else {
            throw EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION", "Topic '\(topic)' does not exist.")
        }
        var reader = LineReader(fd: 0)
        defer { reader.deallocate() }
        var accumulator: ProduceAccumulator
        do {
            let description = try session.cluster.describeTopic(topic)
            if let partition, partition < 0 || Int(partition) >= description.partitionCount {
                throw EddyError(kafka: "UNKNOWN_TOPIC_OR_PARTITION",
                                "Partition \(partition) of topic '\(topic)' does not exist (the topic has \(description.partitionCount) partitions).")
            }
            let maxMessageBytes = (try? LogConfig(overrides: description.configs))?.maxMessageBytes ?? LogConfig().maxMessageBytes
            accumulator = ProduceAccumulator(
                topic: topic, partitionCount: description.partitionCount, explicitPartition: partition,
                keySeparator: keySeparator.map { Array($0.utf8) }, headers: recordHeaders,
                batchBytes: min(batchSize, maxMessageBytes), maxMessageBytes: maxMessageBytes)
        } catch {
            try? session.close()
            throw error
        }
        do {
            try pump(&reader, &accumulator, session)
            try accumulator.flush { try send($0, $1, session) }
            try session.close()
        } catch {
            // Keep what was appended: close cleanly, then report. The error is the one line a
            // failed command prints, unless some records made it (then the summary says which).
            if session.isOpen { try? session.close() }
            if accumulator.stats.records > 0 { printNotice("eddy: " + accumulator.summary) }
            throw error
        }
        printNotice("eddy: " + accumulator.summary)
    }

    /// Sends one batch to the partition's leader; returns the base offset it got (-1 if unknown).
    private func send(_ tp: TopicPartition, _ batch: [UInt8], _ session: Session) throws -> Int64 {
        try session.cluster.produce(tp, records: batch, acks: acks.value, timeoutMs: timeoutMs).baseOffset
    }

    /// Reads and appends until end of input or Ctrl-C, releasing the data directory while idle.
    private func pump(_ reader: inout LineReader, _ acc: inout ProduceAccumulator, _ session: Session) throws {
        while !Signals.interrupted {
            if session.isOpen, !reader.isReadable(timeoutMs: 0) {
                try acc.flush { try send($0, $1, session) }
                if !reader.isReadable(timeoutMs: Produce.lingerMilliseconds) { try session.suspend() }
            }
            let result = try reader.fill()
            if result == .interrupted { continue }
            if !session.isOpen {
                guard try session.resume() else { return }
            }
            let now = SystemClock().nowMs()
            try reader.drainLines { line in
                try acc.add(line: line, timestamp: now) { try send($0, $1, session) }
            }
            if result == .endOfInput { return }
        }
    }
}

/// `--acks`: how many replicas must have a batch before the produce succeeds (Kafka's acks).
enum Acks: ExpressibleByArgument, Equatable {
    /// -1: every member of the ISR, and at least min.insync.replicas of them.
    case all
    /// 1: the leader.
    case leader
    /// 0: nobody; the producer does not wait.
    case none

    init?(argument: String) {
        switch argument {
        case "all", "-1": self = .all
        case "1": self = .leader
        case "0": self = .none
        default: return nil
        }
    }

    /// The value of ProduceRequest.acks.
    var value: Int16 {
        switch self {
        case .all: -1
        case .leader: 1
        case .none: 0
        }
    }

    static var defaultValueDescription: String { "all" }
    static var allValueStrings: [String] { ["all", "1", "0"] }
}
