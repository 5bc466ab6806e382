import EddyProtocol

/// A consumer Fetch waiting until `minBytes` are readable below the high watermark (Kafka's
/// `DelayedFetch` in the fetch purgatory, fetch.min.bytes / fetch.max.wait.ms). Immutable; the
/// purgatory holding it is guarded by its broker's `purgatoryLock`.
///
/// It is taken out and read again (the whole request, as Kafka does on completion) whenever the
/// high watermark of one of its partitions advances on its broker, or that partition's replica
/// changes role or is removed; it is answered as soon as the read has `minBytes` or any partition has an error or
/// a diverging epoch, and at the latest at `deadlineMs` with whatever is readable then. The
/// re-reads happen outside that lock (`Broker.serveFetch`).
final class DelayedFetch: Sendable {
    let request: FetchRequest
    let deadlineMs: Int64
    let partitions: Set<TopicPartition>
    let respond: @Sendable (KafkaResponse) -> Void
    /// Whether the answer may carry `FileRecords` (see `RequestContext.acceptsFileRecords`).
    let fileRecords: Bool

    init(request: FetchRequest, deadlineMs: Int64, fileRecords: Bool, respond: @escaping @Sendable (KafkaResponse) -> Void) {
        self.request = request
        self.fileRecords = fileRecords
        self.deadlineMs = deadlineMs
        self.partitions = Set(request.topicPartitions)
        self.respond = respond
    }

    /// Kafka's completion rule: enough bytes, or something the consumer must hear about now,
    /// or more data below the high watermark (the last stable offset for read_committed) than
    /// one read returns (a read stops at a segment end or at the size limits; waiting would not
    /// make it return more, Kafka's case F).
    static func isSatisfied(_ response: FetchResponse, by request: FetchRequest) -> Bool {
        var bytes = 0
        for topic in response.responses {
            for p in topic.partitions {
                if p.errorCode != .none || p.divergingEpoch != nil { return true }
                bytes += p.recordsByteCount
            }
        }
        if request.topics.isEmpty || bytes >= Int(request.minBytes) { return true }
        let committed = request.isolationLevel == .readCommitted
        for topic in response.responses {
            for p in topic.partitions {
                let end = committed ? p.lastStableOffset : p.highWatermark
                if let file = p.recordsFile, file.nextOffset < end { return true }
                if !p.records.isEmpty, let last = try? MemoryRecords.batches(in: p.records).last,
                   last.header.nextOffset < end { return true }
            }
        }
        return false
    }

    func queue(_ response: FetchResponse, into deferred: inout [@Sendable () -> Void]) {
        let respond = respond
        deferred.append { respond(.fetch(response)) }
    }
}
