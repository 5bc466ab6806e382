import EddyClient
import Foundation

/// What `eddy produce` stored, for its summary line: the outcome of every record as the
/// producer reports it (from its tasks, hence the lock), plus the producers' batch counts.
final class ProduceStats: @unchecked Sendable {
    private let lock = NSLock()
    private var records = 0
    private var bytes = 0
    private var batches = 0
    /// Per partition: first and last offset acknowledged.
    private var ranges: [Int32: (first: Int64, last: Int64)] = [:]
    /// Partitions some of whose records got no offset back (acks=0).
    private var unknownOffsets: Set<Int32> = []
    private var error: ClientError?
    /// With --transactional-id: transactions committed and aborted, and their records.
    private var committed = (transactions: 0, records: 0)
    private var aborted = (transactions: 0, records: 0)

    /// The completion to give each record.
    var completion: SendCompletion {
        { [self] result in
            lock.withLock {
                switch result {
                case let .success(m):
                    records += 1
                    guard m.offset >= 0 else {
                        unknownOffsets.insert(m.partition)
                        return
                    }
                    let r = ranges[m.partition]
                    ranges[m.partition] = (min(r?.first ?? m.offset, m.offset), max(r?.last ?? m.offset, m.offset))
                case let .failure(e):
                    if error == nil { error = e }
                }
            }
        }
    }

    /// A transaction of `records` records ended.
    func transactionEnded(records: Int, committed didCommit: Bool) {
        lock.withLock {
            if didCommit {
                committed.transactions += 1
                committed.records += records
            } else {
                aborted.transactions += 1
                aborted.records += records
            }
        }
    }

    /// The first record's failure, if any.
    var firstError: ClientError? { lock.withLock { error } }

    var recordCount: Int { lock.withLock { records } }

    /// Adds what a closed producer sent.
    func add(_ metrics: ProducerMetrics) {
        lock.withLock {
            bytes += metrics.bytesSent
            batches += metrics.batchesSent
        }
    }

    /// `produced 3 records (250 bytes in 2 batches) to orders: partition 0 offsets 0..1, partition 2 offsets 5..5`,
    /// and with transactions `; 1 transaction committed (2 records), 1 aborted (1 record)`.
    func summary(topic: String) -> String {
        let plain = plainSummary(topic: topic)
        return lock.withLock {
            guard committed.transactions + aborted.transactions > 0 else { return plain }
            func n(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
            return plain + "; \(n(committed.transactions, "transaction")) committed (\(n(committed.records, "record"))), "
                + (aborted.transactions == 0 ? "0 aborted" : "\(aborted.transactions) aborted (\(n(aborted.records, "record")))")
        }
    }

    private func plainSummary(topic: String) -> String {
        lock.withLock {
            let noun = records == 1 ? "record" : "records"
            guard records > 0 else { return "produced 0 records to \(topic)" }
            let parts = Set(ranges.keys).union(unknownOffsets).sorted().map { p in
                guard let r = ranges[p], !unknownOffsets.contains(p) else { return "partition \(p) offsets unknown (acks=0)" }
                return "partition \(p) offsets \(r.first)..\(r.last)"
            }
            return "produced \(records) \(noun) (\(bytes) bytes in \(batches) \(batches == 1 ? "batch" : "batches")) to \(topic): "
                + parts.joined(separator: ", ")
        }
    }
}
