import EddyProtocol

/// Rebuilding producer state from the log, for recovery without a usable snapshot and for the
/// tail after one (Kafka's `loadProducersFromRecords`, REPLICATION origin): batches are applied
/// in log order without validation, since the log is the truth.
extension ProducerState {
    /// Applies one batch header read from the log; non-idempotent and control batches are ignored.
    public mutating func replay(_ header: RecordBatchHeader) {
        guard let batch = ProducerBatch(header) else { return }
        update(with: batch)
    }

    /// `snapshot` (empty by default) with `headers` replayed in order. Pass only the headers of
    /// batches at or after the snapshot's offset.
    public static func rebuild<S: Sequence>(from headers: S, startingFrom snapshot: ProducerState = ProducerState()) -> ProducerState
    where S.Element == RecordBatchHeader {
        var state = snapshot
        for h in headers { state.replay(h) }
        return state
    }
}
