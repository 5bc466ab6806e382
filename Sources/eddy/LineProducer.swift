import EddyClient
import EddyProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns `eddy produce`'s input lines into records and sends them through EddyClient's
/// `Producer`. Lines are collected per read and handed to the producer together (one hop into
/// async code per read, not per line). The producer lives while the session is open:
/// `close()` before the session is suspended, and the next `send` makes a new one.
///
/// With a transactional.id (`eddy produce --transactional-id`), the producer is transactional:
/// records go in transactions of `transactionRecords` records (nil: one for the whole input),
/// each committed once it is full; `close()` commits the last one, or aborts it (Ctrl-C).
final class LineProducer {
    /// Per-record bytes of a batch beyond key, value and headers (varint lengths and deltas at
    /// their largest); with the 61-byte batch header, a record's size alone in a batch.
    static let recordOverhead = 31

    let topic: String
    let partition: Int32?
    /// How a line splits into headers, key and value.
    let format: LineFormat
    let headers: [RecordHeader]
    let config: ProducerConfig
    /// The topic's max.message.bytes: a line whose record would not fit is refused.
    let maxMessageBytes: Int
    let stats = ProduceStats()
    private let headerBytes: Int
    private var producer: BytesProducer?
    private var pending: [ProducerRecord<[UInt8], [UInt8]>] = []
    private var lineNumber = 0
    /// Records per transaction (transactional producer only; nil: all in one).
    let transactionRecords: Int?
    /// Records handed to the open transaction; nil when none is open.
    private var openTransaction: Int?

    init(topic: String, partition: Int32?, format: LineFormat, headers: [RecordHeader], config: ProducerConfig,
         maxMessageBytes: Int, transactionRecords: Int? = nil) {
        self.transactionRecords = transactionRecords
        self.topic = topic
        self.partition = partition
        self.format = format
        self.headers = headers
        self.config = config
        self.maxMessageBytes = maxMessageBytes
        headerBytes = 5 + Self.bytes(of: headers)
    }

    /// What `headers` add to a record at most (varint lengths at their largest).
    static func bytes(of headers: [RecordHeader]) -> Int {
        headers.reduce(0) { $0 + 10 + $1.key.utf8.count + ($1.value?.count ?? 0) }
    }

    /// Queues one line as a record. A line too large for the topic, or one that does not parse
    /// (see `LineFormat`), sends what came before it, waits for it, and fails.
    func add(line: UnsafeRawBufferPointer, session: any ClientSession) throws {
        lineNumber += 1
        let parts: LineFormat.Parts
        do {
            parts = try format.parse(line, number: lineNumber)
        } catch {
            try send(session)
            try flush()
            throw EddyError(error.description)
        }
        let size = RecordBatchHeader.size + LineProducer.recordOverhead + (parts.key?.count ?? 0) + (parts.value?.count ?? 0)
            + headerBytes + Self.bytes(of: parts.headers)
        if size > maxMessageBytes {
            try send(session)
            try flush()
            throw EddyError(kafka: "MESSAGE_TOO_LARGE",
                            "line \(lineNumber) makes a record of about \(size) bytes; topic '\(topic)' allows \(maxMessageBytes) (max.message.bytes)")
        }
        pending.append(ProducerRecord(topic: topic, partition: partition, key: parts.key.map { Array($0) }, value: parts.value.map { Array($0) },
                                      headers: headers + parts.headers))
    }

    /// Hands the queued lines to the producer (making one if the session was suspended).
    /// Throws the first record's failure, if one has been reported.
    func send(_ session: any ClientSession) throws {
        if let e = stats.firstError { throw e }
        guard !pending.isEmpty else { return }
        let producer = try self.producer ?? makeProducer(session)
        let records = pending
        pending.removeAll(keepingCapacity: true)
        let completion = stats.completion
        if config.transactionalId != nil {
            try sendTransactional(records, producer)
        } else {
            try blockingAwait {
                for r in records { try await producer.send(r, completion: completion) }
            }
        }
        if let e = stats.firstError { throw e }
    }

    /// Sends `records` in transactions of `transactionRecords`, committing each that fills up.
    /// A failure aborts the open transaction before it is thrown.
    private func sendTransactional(_ records: [ProducerRecord<[UInt8], [UInt8]>], _ producer: BytesProducer) throws {
        let completion = stats.completion
        var rest = records[...]
        while !rest.isEmpty {
            let open = openTransaction ?? 0
            let room = transactionRecords.map { $0 - open } ?? rest.count
            let chunk = rest.prefix(room)
            rest = rest.dropFirst(chunk.count)
            do {
                if openTransaction == nil {
                    try producer.beginTransaction()
                    openTransaction = 0
                }
                try blockingAwait {
                    for r in chunk { try await producer.send(r, completion: completion) }
                }
                openTransaction = open + chunk.count
                if let n = transactionRecords, open + chunk.count >= n { try endTransaction(commit: true) }
            } catch {
                try? endTransaction(commit: false)
                throw error
            }
        }
    }

    /// Commits (or aborts) the open transaction, if any.
    func endTransaction(commit: Bool) throws {
        guard let producer, let count = openTransaction else { return }
        openTransaction = nil
        do {
            try blockingAwait {
                if commit {
                    // A commit whose answer did not come may have committed: ask again, as Kafka's
                    // producer allows, rather than abort it.
                    var attempts = 0
                    while true {
                        do {
                            try await producer.commitTransaction()
                            return
                        } catch {
                            attempts += 1
                            guard producer.isCommitUnanswered, attempts < 3 else { throw error }
                        }
                    }
                } else {
                    try await producer.abortTransaction()
                }
            }
            stats.transactionEnded(records: count, committed: commit)
        } catch {
            if commit, !producer.isCommitUnanswered {
                // A record failed: the transaction can only be aborted.
                try? blockingAwait { try await producer.abortTransaction() }
                stats.transactionEnded(records: count, committed: false)
            }
            throw error
        }
    }

    /// Waits until every record handed over so far has been acknowledged or has failed.
    func flush() throws {
        if let producer { try blockingAwait { await producer.flush() } }
        if let e = stats.firstError { throw e }
    }

    /// Sends what is queued, waits for it, ends the open transaction (committed, or aborted with
    /// `abort`), and stops the producer.
    func close(abort: Bool = false) throws {
        guard let producer else { return }
        if abort { pending.removeAll() }
        var failure: (any Error)?
        do { try endTransaction(commit: !abort) } catch { failure = error }
        self.producer = nil
        try blockingAwait {
            await producer.close()
            producer.client.close()
        }
        stats.add(producer.metrics)
        if let failure { throw failure }
        if let e = stats.firstError { throw e }
    }

    private func makeProducer(_ session: any ClientSession) throws -> BytesProducer {
        let client = session.makeClient(clientId: config.clientId, requestTimeoutMs: config.requestTimeoutMs)
        let p = try BytesProducer(config: config, client: client)
        if config.transactionalId != nil {
            do { try blockingAwait { try await p.initTransactions() } } catch {
                try? blockingAwait { await p.close() }
                client.close()
                throw error
            }
        }
        producer = p
        return p
    }

    /// Position of the first occurrence of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, let base = haystack.baseAddress else { return nil }
        return needle.withUnsafeBytes { n -> Int? in
            let first = Int32(n[0])
            var from = 0
            let lastStart = haystack.count - n.count
            while from <= lastStart {
                guard let hit = memchr(base + from, first, lastStart - from + 1) else { return nil }
                let at = UnsafeRawPointer(hit) - base
                if memcmp(base + at, n.baseAddress!, n.count) == 0 { return at }
                from = at + 1
            }
            return nil
        }
    }
}
