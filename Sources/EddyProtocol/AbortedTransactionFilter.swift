/// What a read_committed consumer skips in fetched batches (Kafka's `CompletedFetch` with its
/// aborted producer ids): given the Fetch response's aborted transactions, each producer's
/// transactional batches are skipped from its aborted transaction's first offset until that
/// producer's ABORT marker. Control batches (the markers) are never records for the application.
/// Feed it every batch of a partition's fetched records, in order.
public struct AbortedTransactionFilter: Sendable {
    /// The aborted transactions not yet reached, by first offset.
    private var pending: ArraySlice<FetchResponse.AbortedTransaction>
    /// The producers whose transactional batches are being skipped.
    private var aborted = Set<Int64>()

    public init(_ abortedTransactions: [FetchResponse.AbortedTransaction]) {
        pending = abortedTransactions.sorted { $0.firstOffset < $1.firstOffset }[...]
    }

    /// Whether the batch with `header` (its bytes in `batch`) holds no records for a
    /// read_committed application: a control batch, or a batch of an aborted transaction.
    public mutating func skips(_ header: RecordBatchHeader, batch: UnsafeRawBufferPointer) -> Bool {
        guard header.producerId >= 0 else { return header.attributes.isControl }
        while let next = pending.first, next.firstOffset <= header.lastOffset {
            aborted.insert(next.producerId)
            pending = pending.dropFirst()
        }
        if header.attributes.isControl {
            if let marker = try? EndTransactionMarker.parse(RecordBatch(bytes: Array(batch))), !marker.committed {
                aborted.remove(header.producerId)
            }
            return true
        }
        return header.attributes.isTransactional && aborted.contains(header.producerId)
    }
}
