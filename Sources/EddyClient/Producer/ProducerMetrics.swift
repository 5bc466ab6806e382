/// Counters of one producer since it was created (a few of Kafka's producer metrics).
public struct ProducerMetrics: Sendable, Equatable {
    /// Records acknowledged by their leaders (acks=0: answered).
    public var recordsSent = 0
    /// Batches acknowledged, each counted once however many times it was sent.
    public var batchesSent = 0
    /// Bytes of the acknowledged batches (encoded RecordBatch v2 size).
    public var bytesSent = 0
    /// Records that failed.
    public var recordErrors = 0
    /// Batch attempts beyond the first.
    public var retries = 0
    /// Produce requests sent.
    public var requests = 0

    public init() {}
}
