import EddyBroker
import EddyClient
import EddyProtocol

/// The `--group` side of `eddy consume`: a `Consumer` that is a member of the group, printing
/// what it polls and committing how far it printed (at-least-once: a record is committed only
/// after it was written out, so a run that dies in between prints it again next time). The
/// commit is the consumer's position in each assigned partition, except where a record it
/// returned was not printed (--max-messages reached, output closed): there it is that record's
/// offset. A run that printed nothing still commits where it stands (e.g. the end, with
/// --offset latest), so the next run continues from there.
///
/// One consumer lives per open session: `commitAndClose` commits, leaves the group and stops
/// it before the session is suspended, and `start` makes a new one once it is resumed.
///
/// Without a group (`assigned`, used over `--bootstrap-server`, where the plain reader cannot
/// read the log itself) the consumer is assigned the partitions, starts where --offset says,
/// and commits nothing.
final class ConsumeGroupReader {
    /// Partitions to read without a group, and where to start.
    struct Assignment {
        var partitions: [Int32]
        var start: StartOffset
    }
    let topic: String
    private let topicBytes: [UInt8]
    let format: RecordFormat
    let config: ConsumerConfig
    /// Records still to print (nil: no limit).
    private(set) var remaining: Int?
    private var consumer: Consumer?
    /// Per partition, the first record returned but not printed: the commit must not pass it.
    private var firstUnprinted: [TopicPartition: Int64] = [:]
    private let assigned: Assignment?

    /// How long one poll waits for records.
    static let pollTimeoutMs: Int64 = 100

    var isDone: Bool { remaining == 0 }

    init(topic: String, config: ConsumerConfig, format: RecordFormat, limit: Int?, assigned: Assignment? = nil) {
        self.topic = topic
        self.assigned = assigned
        topicBytes = Array(topic.utf8)
        self.format = format
        self.config = config
        remaining = limit
    }

    /// Joins the group (on the first poll) through a client of the open session.
    func start(_ session: any ClientSession) throws {
        let consumer = try Consumer(client: session.makeClient(clientId: config.clientId.isEmpty ? "eddy-consume" : config.clientId,
                                                                requestTimeoutMs: config.requestTimeoutMs),
                                    config: config)
        let topic = self.topic
        if let assigned {
            let partitions = assigned.partitions.map { TopicPartition(topic, $0) }
            try blockingAwait { try await consumer.assign(partitions) }
            switch assigned.start {
            case .earliest: try consumer.seekToBeginning(partitions)
            case .latest: try consumer.seekToEnd(partitions)
            case let .absolute(n): for tp in partitions { try consumer.seek(tp, offset: n) }
            }
        } else {
            try blockingAwait { try await consumer.subscribe(topics: [topic]) }
        }
        self.consumer = consumer
    }

    struct Polled {
        var printed: Int
        /// Every assigned partition is read up to its high watermark.
        var atEnd: Bool
    }

    /// Polls once and prints what came, up to the limit.
    func poll(out: Output) throws -> Polled {
        guard let consumer else { preconditionFailure("poll before start") }
        let records = try blockingAwait { try await consumer.poll(timeoutMs: ConsumeGroupReader.pollTimeoutMs) }
        var count = 0
        for r in records {
            if isDone || out.isClosed || firstUnprinted[r.topicPartition] != nil {
                if firstUnprinted[r.topicPartition] == nil { firstUnprinted[r.topicPartition] = r.offset }
                continue
            }
            try r.withRecordView { view in
                try format.render(topic: topicBytes, partition: r.partition, offset: r.offset, timestamp: r.timestamp,
                                  timestampType: r.timestampType, record: view, to: out)
            }
            count += 1
            if let left = remaining { remaining = left - 1 }
        }
        guard count == 0 else { return Polled(printed: count, atEnd: false) }
        let assignment = consumer.assignment()
        let joined = assigned != nil || (consumer.groupMetadata()?.generationId ?? -1) >= 0
        // This process holds the data directory, so this consumer is its group's only member:
        // once synced it owns every partition, and an empty assignment means the SyncGroup
        // answer has not arrived yet (not that there is nothing to read).
        let atEnd = joined && !assignment.isEmpty && assignment.allSatisfy { consumer.currentLag($0) == 0 }
        return Polled(printed: 0, atEnd: atEnd)
    }

    /// Commits how far it printed (the output is flushed first, so a commit never covers
    /// records that did not leave the process), leaves the group and stops the consumer.
    func commitAndClose(out: Output) throws {
        guard let consumer else { return }
        self.consumer = nil
        out.flush()
        let unprinted = firstUnprinted
        firstUnprinted = [:]
        guard assigned == nil else {
            _ = try? blockingAwait { await consumer.close() }
            return
        }
        do {
            try blockingAwait {
                var offsets: [TopicPartition: OffsetAndMetadata] = [:]
                for tp in consumer.assignment() {
                    if let u = unprinted[tp] {
                        offsets[tp] = OffsetAndMetadata(u)
                    } else if let p = try? await consumer.position(tp, timeoutMs: 0) {
                        offsets[tp] = OffsetAndMetadata(p)
                    }
                }
                if !offsets.isEmpty { try await consumer.commitSync(offsets) }
                await consumer.close()
            }
        } catch {
            _ = try? blockingAwait { await consumer.close() }
            throw error
        }
    }
}
