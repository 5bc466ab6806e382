import EddyClient
import EddyProtocol

/// Reads a page of records for the Messages view with a consumer outside any group (assign,
/// seek, poll), registered in a private registry so it never shows as a live consumer.
///
/// The page starts at the query's offset clamped to [log start, high watermark]; `latest`
/// starts `limit` records below the high watermark, a time at the first record at or after it
/// (the high watermark when none is). It holds at most `limit` records and stops at the high
/// watermark, or when nothing more arrives within `pollBudgetMs`.
///
/// The consumer drops transaction markers; the page gets them from the log itself
/// (`Admin.transactionLayout`, one more Fetch for a page without transactions): each COMMIT or
/// ABORT marker in the page's range becomes a row, and each transactional record carries its
/// transaction's fate (aborted ones are dimmed). When that read fails the records are shown
/// without it.
struct MessagesReader {
    let admin: Admin
    var pollBudgetMs: Int64 = 2_000

    func read(_ query: MessagesQuery, now: Int64 = ClientTime.wallClockMs()) async throws -> MessagesPage {
        let tp = query.topicPartition
        let logStart = try await admin.listOffsets([tp], .earliest)[tp] ?? 0
        let hw = try await admin.listOffsets([tp], .latest)[tp] ?? logStart
        let limit = Int64(query.limit)
        var start: Int64
        switch query.start {
        case .earliest: start = logStart
        case .latest: start = max(logStart, hw - limit)
        case let .offset(o): start = o
        case let .timestamp(ts): start = try await offset(for: ts, tp: tp) ?? hw
        case let .ago(ms): start = try await offset(for: now - ms, tp: tp) ?? hw
        }
        start = min(max(start, logStart), hw)
        var records: [MessageRecord] = []
        if start < hw {
            let until = min(hw, start + limit)
            let reached: Int64
            (records, reached) = try await fetch(tp, from: start, until: until, limit: query.limit)
            // The page ends where reading stopped (after its last record when full): markers
            // past it belong to the next page, which starts after the page's last row.
            let end = records.count >= query.limit ? (records.last?.offset ?? start) + 1 : min(until, reached)
            if let layout = try? await admin.transactionLayout(of: tp, from: start, until: end) {
                records = Self.annotate(records, with: layout)
            }
        }
        return MessagesPage(query: query, records: records, logStartOffset: logStart, highWatermark: hw)
    }

    /// The records with their transactions, and the markers as rows, in offset order.
    static func annotate(_ records: [MessageRecord], with layout: PartitionTransactionLayout) -> [MessageRecord] {
        var out = records.map { r -> MessageRecord in
            var r = r
            r.transaction = layout.transaction(at: r.offset).map { MessageTransaction(producerId: $0.producerId, fate: $0.fate) }
            return r
        }
        out += layout.markers.map(MessageRecord.init(marker:))
        return out.sorted { $0.offset < $1.offset }
    }

    private func offset(for timestamp: Int64, tp: TopicPartition) async throws(ClientError) -> Int64? {
        let found = try await admin.listOffsets([tp], .forTimestamp(timestamp))[tp]
        return found.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// The records in [start, end), at most `limit`, and the offset reading reached (the
    /// consumer's position when it stopped).
    private func fetch(_ tp: TopicPartition, from start: Int64, until end: Int64,
                       limit: Int) async throws(ClientError) -> ([MessageRecord], Int64) {
        var config = ConsumerConfig(groupId: nil)
        config.clientId = "eddy-console-messages"
        config.registry = LiveConsumers()
        config.maxPollRecords = limit
        config.fetchMaxWaitMs = 100
        let consumer = try Consumer(client: admin.client, config: config)
        var records: [MessageRecord] = []
        var next = start
        do throws(ClientError) {
            try await consumer.assign([tp])
            try consumer.seek(tp, offset: start)
            let deadline = ClientTime.monotonicMs() + pollBudgetMs
            next = start
            // A compacted log has gaps: stop at the end of the range, not after `limit` offsets.
            while records.count < limit, next < end, ClientTime.monotonicMs() < deadline {
                for r in try await consumer.poll(timeoutMs: 200) where r.topicPartition == tp && r.offset >= next && r.offset < end && records.count < limit {
                    records.append(MessageRecord(offset: r.offset, timestamp: r.timestamp, isLogAppendTime: r.timestampType == .logAppendTime,
                                                 key: r.key, value: r.value, headers: r.headers))
                    next = r.offset + 1
                }
                if let position = try? await consumer.position(tp, timeoutMs: 100) { next = max(next, position) }
            }
        } catch {
            await consumer.close(timeoutMs: 0)
            throw error
        }
        await consumer.close(timeoutMs: 0)
        return (records, next)
    }
}
