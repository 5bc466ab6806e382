import EddyProtocol
import Foundation

/// The log's side of compaction (see `CleanableLog`), and the marker that tells recovery
/// whether offsets may have gaps.
extension PartitionLog: CleanableLog {
    /// Name of the marker file in the partition directory. Its presence means the log may hold
    /// offset gaps (compaction removed whole batches); its absence means every batch starts
    /// where the previous ended, which recovery then enforces. It is created, durably, before
    /// the first cleaned segment is swapped in, and never removed while the log exists.
    public static let offsetGapsMarker = "offset-gaps.marker"

    var offsetGapsMarkerPath: String { directory + "/" + PartitionLog.offsetGapsMarker }

    /// Whether recovery must accept gaps between batches (see `offsetGapsMarker`).
    var mayHaveOffsetGaps: Bool { FileSystem.exists(offsetGapsMarkerPath) }

    /// Creates the marker durably (idempotent).
    func markOffsetGaps() throws {
        guard !mayHaveOffsetGaps else { return }
        try FileSystem.writeAtomically(offsetGapsMarkerPath, [])
    }

    public func cleanerSnapshot() throws -> CleanerLogSnapshot {
        try reading {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            return CleanerLogSnapshot(
                topicPartition: topicPartition, config: _config, logStartOffset: _logStartOffset,
                logEndOffset: activeSegment.nextOffset, upperBoundOffset: readPublished(\.lastStableOffset),
                segments: segmentList.map {
                    .init(baseOffset: $0.baseOffset, sizeInBytes: $0.size, largestTimestamp: $0.maxTimestamp,
                          firstBatchTimestamp: $0.firstBatchTimestamp)
                })
        }
    }

    public func cleanerSegments(below bound: Int64) throws -> [CleanerSegment] {
        try reading {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            return segmentList.dropLast().filter { $0.baseOffset < bound }.map { seg in
                // Each read opens the file afresh by path rather than sharing the segment's
                // descriptor, which could be closed (and its number reused) by a concurrent deletion.
                let path = seg.path("log")
                return CleanerSegment(baseOffset: seg.baseOffset, sizeInBytes: Int(seg.size), largestTimestamp: seg.maxTimestamp,
                                      offsetIndexSizeInBytes: seg.offsetIndex.count * OffsetIndexEntry.size,
                                      timeIndexSizeInBytes: seg.timeIndex.count * TimeIndexEntry.size) { position, maxBytes in
                    let f = try File(path: path, create: false, readOnly: true)
                    defer { f.close() }
                    return try f.read(at: Int64(position), count: maxBytes)
                }
            }
        }
    }

    /// Each remembered producer's last batch (see `activeProducersLocked`); the cleaner keeps it.
    public func activeProducersForCleaning() -> [Int64: ProducerLastRecord] { reading { activeProducersLocked() } }

    public func abortedTransactionsForCleaning() -> [AbortedTxnEntry] {
        reading { segmentList.flatMap(\.txnIndex.entries) }
    }

    public func createCleanedSegment(baseOffset: Int64) throws -> any CleanedSegmentSink {
        let config = self.config
        let seg = try LogSegment(directory: directory, baseOffset: baseOffset, config: config, nowMs: clock.nowMs(),
                                 fileSuffix: PartitionLog.cleanedSuffix)
        try seg.log.truncate(to: 0)
        return CleanedSegmentWriter(segment: seg)
    }

    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"

    public func replaceSegments(_ oldBaseOffsets: [Int64], with cleaned: any CleanedSegmentSink, info: CleanedSegmentInfo) throws {
        guard let writer = cleaned as? CleanedSegmentWriter else {
            throw StorageError.corruptFile(path: directory, reason: "replacement segment was not created by this log")
        }
        let new = writer.segment
        // The aborted transactions listed by the segments it replaces stay listed while their
        // ABORT markers do (the cleaner removes a marker only once its transaction's data is gone).
        let aborted = reading { segmentList.filter { oldBaseOffsets.contains($0.baseOffset) }.flatMap(\.txnIndex.entries) }
            .filter { writer.markerOffsets.contains($0.lastOffset) }
        for e in aborted.sorted(by: { $0.lastOffset < $1.lastOffset }) where e.lastOffset < new.nextOffset { try new.txnIndex.append(e) }
        // Make the replacement durable before anything points at it.
        new.onBecomeInactive()
        try new.persistIndexes()
        try new.syncLog()
        try markOffsetGaps()
        try locked {
            guard !closed else { throw StorageError.logClosed(topicPartition) }
            guard let first = segmentList.firstIndex(where: { $0.baseOffset == oldBaseOffsets.first }),
                  first + oldBaseOffsets.count < segmentList.count,
                  segmentList[first ..< first + oldBaseOffsets.count].map(\.baseOffset) == oldBaseOffsets,
                  new.baseOffset == oldBaseOffsets.first
            else {
                throw StorageError.corruptFile(path: directory, reason: "segments \(oldBaseOffsets) to replace are no longer in the log")
            }
            // Kafka's swap protocol; `removeLeftovers` completes it after a crash at any step.
            new.close()
            try new.renameFiles(to: PartitionLog.swapSuffix)
            try FileSystem.syncDirectory(directory)
            let old = Array(segmentList[first ..< first + oldBaseOffsets.count])
            for seg in old { try seg.renameForDeletion() }
            try new.renameFiles(from: PartitionLog.swapSuffix, to: "")
            try FileSystem.syncDirectory(directory)
            let live = try LogSegment(directory: directory, baseOffset: new.baseOffset, config: _config, nowMs: clock.nowMs())
            if try !live.loadTrusted(config: _config) {
                _ = try live.recover(contiguous: false)
                // Recovery empties the transaction index: list the aborts it holds again.
                for e in aborted.sorted(by: { $0.lastOffset < $1.lastOffset }) where e.lastOffset < live.nextOffset {
                    try live.txnIndex.append(e)
                }
                try live.txnIndex.sync()
            }
            segmentList.replaceSubrange(first ..< first + oldBaseOffsets.count, with: [live])
            for seg in old { try seg.removeDeletedFiles() }
        }
    }

    public func discardCleanedSegment(_ cleaned: any CleanedSegmentSink) {
        guard let writer = cleaned as? CleanedSegmentWriter else { return }
        writer.segment.close()
        for kind in LogSegment.fileKinds { try? FileSystem.remove(writer.segment.path(kind)) }
    }
}

/// A replacement segment being written by the cleaner, in `.cleaned` files.
final class CleanedSegmentWriter: CleanedSegmentSink, @unchecked Sendable {
    let segment: LogSegment
    /// Offsets of the control batches (transaction markers) written, whose aborted
    /// transactions' index entries carry over.
    private(set) var markerOffsets: Set<Int64> = []

    init(segment: LogSegment) { self.segment = segment }

    func append(_ batch: UnsafeRawBufferPointer, header: RecordBatchHeader) throws {
        try segment.append(parts: [batch], batches: [(header, batch.count)])
        if header.attributes.isControl { markerOffsets.insert(header.baseOffset) }
    }
}
