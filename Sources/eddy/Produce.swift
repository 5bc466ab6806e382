import ArgumentParser
import EddyBroker
import EddyClient
import EddyProtocol
import EddyStorage

/// `eddy produce`: one record per line of standard input, sent through EddyClient's producer.
struct Produce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one record per line of standard input to a topic.",
        discussion: """
            Each line (up to, not including, '\\n'; a '\\r' before it is kept) is one record's value. \
            With --key-separator, the bytes before the first separator are the key and the rest the \
            value; a line without the separator gets a null key. Records go through eddy's producer \
            client, as with kafka-console-producer: to --partition if given, else keyed records to \
            murmur2(key) % partitions and keyless ones to a sticky partition that changes after each \
            full batch; batches of up to --batch-size bytes per partition go to each leader once full \
            or after --linger-ms, with --acks: all (the default) waits until every in-sync replica \
            has the batch, and fails with NOT_ENOUGH_REPLICAS when the ISR is smaller than the \
            topic's min.insync.replicas. Retriable errors are retried (retries=3, as \
            kafka-console-producer); the producer is idempotent unless --acks is not all or \
            --no-idempotence is given. Any producer setting can be given with --producer-property; \
            the flags above win over it. At the end a one-line summary goes to stderr. While \
            standard input has nothing to read, what was read is sent and the data directory is \
            released (see eddy(1), LOCKING). Ctrl-C ends the input: complete lines already read are sent.

            With --transactional-id the producer is transactional (Kafka's transactional.id): the \
            records go in transactions of --transaction-records lines each (default: one \
            transaction for the whole input), each committed when full and the last at the end of \
            input; read_committed consumers see a transaction's records only once it commits. \
            Ctrl-C aborts the open transaction (those committed before stay). A transactional \
            producer keeps the data directory while input is idle, and a transaction left open \
            longer than transaction.timeout.ms (60 s) is aborted by the coordinator.

            kafka-console-producer's --property settings of its line reader are taken instead of \
            --key-separator: parse.key and key.separator (default a tab), parse.headers, \
            headers.delimiter (a tab), headers.separator (','), headers.key.separator (':'), \
            null.marker and ignore.error, for lines 'h1:v1,h2:v2<TAB>key<TAB>value'. As with Kafka, \
            a line without a separator it needs ends the command (exit 1, the lines before it \
            sent) unless ignore.error=true.
            """)

    @OptionGroup var common: ConnectionOptions

    @Option(help: ArgumentHelp("The topic (it must exist).", valueName: "name"))
    var topic: String

    @Option(help: ArgumentHelp("Split each line at the first SEP into key and value.", valueName: "sep"))
    var keySeparator: String?

    @Option(name: .customLong("property"),
            help: ArgumentHelp("A property of Kafka's line reader instead of --key-separator: parse.key=true, key.separator=:, parse.headers=true, ... (repeatable; see the discussion above).",
                               valueName: "key=value"))
    var readerProperties: [String] = []

    @Option(help: ArgumentHelp("Send every record to this partition.", valueName: "n"))
    var partition: Int32?

    @Option(name: .customLong("header"), help: ArgumentHelp("A header added to every record (repeatable).", valueName: "key=value"))
    var headers: [String] = []

    @Option(help: ArgumentHelp("Largest batch in bytes (batch.size, default 16384); capped at the topic's max.message.bytes.",
                               valueName: "bytes"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("How long a batch that is not full waits for more records (linger.ms, default 5).", valueName: "ms"))
    var lingerMs: Int64?

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "all (or -1): every in-sync replica has the batch; 1: the leader has it; 0: no acknowledgement. Kafka's acks (default all).",
        valueName: "all|1|0"))
    var acks: Acks?

    @Option(help: ArgumentHelp("How long to wait for each response, and the leader for acks=all (request.timeout.ms, default 30000).",
                               valueName: "ms"))
    var timeoutMs: Int32?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Number batches so retries neither duplicate nor reorder records (enable.idempotence; on by default unless --acks is not all)."))
    var idempotence: Bool?

    @Option(help: ArgumentHelp("Compress each batch with this codec (compression.type, default none).",
                               valueName: "none|gzip|snappy|lz4|zstd"))
    var compressionType: String?

    @Option(help: ArgumentHelp("Send the records in transactions with this transactional.id.", valueName: "id"))
    var transactionalId: String?

    @Option(help: ArgumentHelp("Commit a transaction every N records (with --transactional-id; default: one transaction).",
                               valueName: "n"))
    var transactionRecords: Int?

    @Option(name: .customLong("producer-property"),
            help: ArgumentHelp("A producer setting by its Kafka name (repeatable), e.g. retries=5.", valueName: "key=value"))
    var producerProperties: [String] = []

    /// How long input may stay silent before the data directory is released.
    static let lingerMilliseconds: Int32 = 50

    /// --key-separator's split, or Kafka's line reader with --property.
    func lineFormat() throws -> LineFormat {
        guard !readerProperties.isEmpty else { return .keySeparated(by: keySeparator.map { Array($0.utf8) }) }
        do {
            return try LineFormat(kafkaProperties: try KeyValueArguments.dictionary(readerProperties, flag: "--property"))
        } catch let e as ToolPropertyError {
            throw ValidationError(e.description)
        }
    }

    func validate() throws {
        if let keySeparator, keySeparator.isEmpty { throw ValidationError("--key-separator must not be empty") }
        if keySeparator != nil, !readerProperties.isEmpty {
            throw ValidationError("--property cannot be used with --key-separator: use --property parse.key=true --property key.separator=SEP")
        }
        _ = try lineFormat()
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
        if let lingerMs, lingerMs < 0 { throw ValidationError("--linger-ms must not be negative") }
        if let timeoutMs, timeoutMs < 0 { throw ValidationError("--timeout-ms must not be negative") }
        if let transactionalId, transactionalId.isEmpty { throw ValidationError("--transactional-id must not be empty") }
        if let transactionRecords {
            guard transactionalId != nil else { throw ValidationError("--transaction-records needs --transactional-id") }
            guard transactionRecords > 0 else { throw ValidationError("--transaction-records must be positive") }
        }
        _ = try KeyValueArguments.parse(headers, flag: "--header")
        do {
            _ = try producerConfig(maxMessageBytes: nil)
        } catch let e as ClientError {
            throw ValidationError(e.description)
        }
    }

    /// The producer's settings: kafka-console-producer's defaults (client.id console-producer,
    /// retries 3), then --producer-property, then the flags given.
    func producerConfig(maxMessageBytes: Int?) throws -> ProducerConfig {
        var c = ProducerConfig()
        c.clientId = "console-producer"
        c.retries = 3
        for (key, value) in try KeyValueArguments.parse(producerProperties, flag: "--producer-property") {
            try c.set(key, value)
        }
        if let acks { c.acks = acks.producerAcks }
        if let batchSize { c.batchSize = batchSize }
        if let lingerMs { c.lingerMs = lingerMs }
        if let timeoutMs { c.requestTimeoutMs = Int64(timeoutMs) }
        if let idempotence { c.enableIdempotence = idempotence }
        if let compressionType { try c.set("compression.type", compressionType) }
        if let transactionalId { c.transactionalId = transactionalId }
        if let maxMessageBytes { c.batchSize = min(c.batchSize, maxMessageBytes) }
        try c.validate()
        return c
    }

    func run() throws {
        let recordHeaders = try KeyValueArguments.parse(headers, flag: "--header")
            .map { RecordHeader(key: $0.key, value: Array($0.value.utf8)) }
        let session: any ClientSession
        if let servers = try common.remote() {
            session = try RemoteSession.connect(servers, clientId: "eddy-produce")
        } else {
            guard let local = try Session.open(common.dataDirectory, create: false) else { throw EddyError.unknownTopic(topic) }
            session = local
        }
        var reader = LineReader(fd: 0)
        defer { reader.deallocate() }
        let lines: LineProducer
        do {
            let maxMessageBytes = try (session as? Session).map { try checkTopic($0.cluster) }
                ?? checkTopic(remote: session as! RemoteSession)
            lines = LineProducer(topic: topic, partition: partition, format: try lineFormat(),
                                 headers: recordHeaders, config: try producerConfig(maxMessageBytes: maxMessageBytes),
                                 maxMessageBytes: maxMessageBytes, transactionRecords: transactionRecords)
        } catch {
            try? session.close()
            throw error
        }
        do {
            try pump(&reader, lines, session)
            // Ctrl-C aborts an open transaction.
            try lines.close(abort: Signals.interrupted)
            try session.close()
        } catch {
            // Keep what was sent: stop the producer and close cleanly, then report. The error is
            // the one line a failed command prints, unless some records made it (then the
            // summary says which).
            try? lines.close(abort: true)
            if session.isOpen { try? session.close() }
            if lines.stats.recordCount > 0 { printNotice("eddy: " + lines.stats.summary(topic: topic)) }
            throw error
        }
        printNotice("eddy: " + lines.stats.summary(topic: topic))
    }

    /// The topic exists, --partition is one of its partitions, and the records have somewhere
    /// to go (a record for a partition without a leader would wait delivery.timeout.ms and
    /// fail). Returns the topic's max.message.bytes.
    private func checkTopic(_ cluster: Cluster) throws -> Int {
        let description = try cluster.describeTopic(topic)
        if let partition {
            if partition < 0 || Int(partition) >= description.partitionCount {
                throw EddyError.unknownPartition(partition, of: topic, partitionCount: description.partitionCount)
            }
            _ = try cluster.leader(of: TopicPartition(topic, partition))
        } else if !description.partitions.contains(where: { $0.leader >= 0 }) {
            _ = try cluster.leader(of: TopicPartition(topic, 0))
        }
        return (try? LogConfig(overrides: description.configs))?.maxMessageBytes ?? LogConfig().maxMessageBytes
    }

    /// `checkTopic` against a running server, through the admin client.
    private func checkTopic(remote: RemoteSession) throws -> Int {
        let topic = topic, partition = partition
        let (description, configs) = try remote.withAdmin { admin in
            let description = try await admin.describeTopic(topic)
            let configs = try await admin.describeTopicConfigs(topic)
            return (description, configs)
        }
        if let partition, partition < 0 || Int(partition) >= description.partitions.count {
            throw EddyError.unknownPartition(partition, of: topic, partitionCount: description.partitions.count)
        }
        let leaders = description.partitions.filter { partition == nil || $0.partition == partition }.compactMap(\.leader)
        if leaders.isEmpty {
            throw EddyError("LEADER_NOT_AVAILABLE: \(topic)\(partition.map { "-\($0)" } ?? "") has no leader; records would wait for one")
        }
        return configs.first { $0.name == "max.message.bytes" }.flatMap { $0.value.flatMap { Int($0) } } ?? LogConfig().maxMessageBytes
    }

    /// Reads and sends until end of input or Ctrl-C; while input is idle, waits for what was
    /// sent, and (for a data directory) stops the producer and releases the directory.
    private func pump(_ reader: inout LineReader, _ lines: LineProducer, _ session: any ClientSession) throws {
        while !Signals.interrupted {
            if session.isOpen, !reader.isReadable(timeoutMs: 0) {
                try lines.flush()
                // A transaction stays open across idle input, and so does its producer.
                if session.releasesWhenIdle, lines.config.transactionalId == nil, !reader.isReadable(timeoutMs: Produce.lingerMilliseconds) {
                    try lines.close()
                    try session.suspend()
                }
            }
            let result = try reader.fill()
            if result == .interrupted { continue }
            if !session.isOpen {
                guard try session.resume() else { return }
            }
            try reader.drainLines { line in try lines.add(line: line, session: session) }
            try lines.send(session)
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

    var producerAcks: ProducerAcks {
        switch self {
        case .all: .all
        case .leader: .leader
        case .none: .none
        }
    }

    static var defaultValueDescription: String { "all" }
    static var allValueStrings: [String] { ["all", "1", "0"] }
}
