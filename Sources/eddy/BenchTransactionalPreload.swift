import EddyClient
import EddyProtocol
import Foundation

/// `bench consume --transaction-records N [--abort-every K]`: the topic written through a
/// transactional producer (untimed) instead of straight to the partition leaders, so that
/// read_committed has markers to step over and, with --abort-every, aborted transactions to drop.
///
/// Record i goes to partition i mod partitions; transactions take `perTransaction` records in
/// turn, and every `abortEvery`-th of them aborts (after its records were acknowledged, so they
/// are in the log, as a transaction that fails late leaves them). A committed record's value
/// starts with `committedMark`, an aborted one's with `abortedMark`: a read_committed consumer
/// that returns one of the latter has failed.
struct TransactionalPreload {
    let records: Int
    let recordSize: Int
    let perTransaction: Int
    let abortEvery: Int?

    static let committedMark = UInt8(ascii: "C")
    static let abortedMark = UInt8(ascii: "A")

    /// What was written: per partition, the records of committed and of aborted transactions.
    struct Layout: Sendable {
        var committed: [Int]
        var aborted: [Int]
        var transactions = 0
        var abortedTransactions = 0

        /// Per partition, what a consumer at `isolation` reads.
        func readable(_ isolation: IsolationLevel) -> [Int] {
            isolation == .readCommitted ? committed : zip(committed, aborted).map { $0 + $1 }
        }
    }

    func write(to target: BenchTarget, partitions: Int32) throws -> Layout {
        var config = ProducerConfig()
        config.clientId = "eddy-bench-preload"
        config.transactionalId = "eddy-bench-preload-\(UInt32.random(in: 0 ... UInt32.max))"
        config.lingerMs = 5
        let producer = try BytesProducer(config: config, transport: target.transport, bootstrapNodes: target.bootstrapNodes,
                                         random: SplitMix64(seed: 2))
        let (topic, records, recordSize, perTransaction, abortEvery) = (target.topic, records, recordSize, perTransaction, abortEvery)
        let layout = try blockingAwait { () async throws -> Layout in
            var layout = Layout(committed: [Int](repeating: 0, count: Int(partitions)), aborted: [Int](repeating: 0, count: Int(partitions)))
            try await producer.initTransactions()
            var written = 0
            while written < records {
                try BenchWorkspace.checkInterrupted()
                layout.transactions += 1
                let aborts = abortEvery.map { layout.transactions % $0 == 0 } ?? false
                var value = [UInt8](repeating: UInt8(ascii: "x"), count: recordSize)
                value[0] = aborts ? Self.abortedMark : Self.committedMark
                try producer.beginTransaction()
                let n = min(perTransaction, records - written)
                for i in written ..< written + n {
                    let p = i % Int(partitions)
                    try await producer.sendAndForget(ProducerRecord(topic: topic, partition: Int32(p), value: value))
                    if aborts { layout.aborted[p] += 1 } else { layout.committed[p] += 1 }
                }
                if aborts {
                    await producer.flush()
                    try await producer.abortTransaction()
                    layout.abortedTransactions += 1
                } else {
                    try await producer.commitTransaction()
                }
                written += n
            }
            return layout
        }
        let errors = producer.metrics.recordErrors
        try blockingAwait { await producer.close() }
        guard errors == 0 else { throw EddyError("\(errors) records of the transactional preload failed") }
        return layout
    }
}
