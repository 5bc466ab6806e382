/// Which records a Fetch or ListOffsets may see (Kafka's `IsolationLevel`, an int8 on the wire).
/// `readUncommitted` sees everything below the high watermark; `readCommitted` only what is
/// below the last stable offset (LSO), so no open or aborted transaction's records.
public enum IsolationLevel: Int8, Sendable, CaseIterable {
    case readUncommitted = 0
    case readCommitted = 1
}
