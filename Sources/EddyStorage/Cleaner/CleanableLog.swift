import EddyProtocol

/// The hooks the background `LogCleaner` needs from a partition log. `PartitionLog` is meant
/// to conform; tests use an in-memory log.
///
/// Locking contract: `cleanerSnapshot`, `cleanerSegments` and `replaceSegments` take the log's
/// lock briefly; everything else the cleaner does (reading inactive segments, writing the
/// replacement) happens without it, so appends are never held up by a cleaning round.
public protocol CleanableLog: AnyObject, Sendable {
    var topicPartition: TopicPartition { get }

    /// The log's config, offsets and segments (the last one active), taken under its lock.
    /// `upperBoundOffset` is the high watermark.
    func cleanerSnapshot() throws -> CleanerLogSnapshot

    /// The segments whose base offset is below `bound` (never the active one), in order, with
    /// readers that work without the log's lock: inactive segments are immutable until
    /// `replaceSegments`, and retention, truncation and deletion pause cleaning first.
    func cleanerSegments(below bound: Int64) throws -> [CleanerSegment]

    /// Producer id → last record of each active producer, so their last batches survive
    /// (empty until producer state exists).
    func activeProducersForCleaning() -> [Int64: ProducerLastRecord]

    /// Every aborted transaction the log's transaction indexes list (all segments, by marker
    /// offset): the cleaner removes their data below the last stable offset.
    func abortedTransactionsForCleaning() -> [AbortedTxnEntry]

    /// Starts an empty replacement segment based at `baseOffset`, in files that recovery
    /// discards if the process dies before the swap (Kafka's `.cleaned` suffix).
    func createCleanedSegment(baseOffset: Int64) throws -> any CleanedSegmentSink

    /// Under the log's lock, replaces the segments based at `oldBaseOffsets` (consecutive,
    /// inactive) with the finished segment, crash-safely (Kafka's `replaceSegments`: fsync the
    /// new files, rename them `.cleaned` → `.swap`, rename the old ones `.deleted`, rename `.swap`
    /// → final names, delete the `.deleted` files; recovery completes a `.swap` it finds).
    /// Must throw, changing nothing, if any old segment is no longer in the log.
    func replaceSegments(_ oldBaseOffsets: [Int64], with cleaned: any CleanedSegmentSink, info: CleanedSegmentInfo) throws

    /// Deletes an unfinished replacement segment (the round failed or was aborted).
    func discardCleanedSegment(_ cleaned: any CleanedSegmentSink)
}

/// A replacement segment being written by the cleaner (one per group of cleaned segments).
/// Used by one thread at a time.
public protocol CleanedSegmentSink: AnyObject {
    /// Appends one finished batch (offsets increasing) and updates the segment's indexes,
    /// as `LogSegment.append` does.
    func append(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws
}
