import EddyProtocol

/// One inactive segment handed to the compactor: its place in the log and a way to read its
/// `.log` bytes (concatenated RecordBatch v2 batches).
///
/// Contract for `read`: returns up to `maxBytes` bytes of the segment's log file starting at
/// byte `position` (fewer only at the end of the file). It is called without the log's lock,
/// which is safe because an inactive segment is immutable until `replaceSegments` swaps it out,
/// and retention, truncation and deletion pause cleaning before they touch it.
public struct CleanerSegment: Sendable {
    public var baseOffset: Int64
    /// Bytes in the segment's `.log` file.
    public var sizeInBytes: Int
    /// Largest record timestamp in the segment (used for min.compaction.lag.ms).
    public var largestTimestamp: Int64
    /// Sizes of the segment's `.index` and `.timeindex` files, so a group of segments cleaned
    /// into one also fits segment.index.bytes.
    public var offsetIndexSizeInBytes: Int
    public var timeIndexSizeInBytes: Int
    public var read: @Sendable (_ position: Int, _ maxBytes: Int) throws -> [UInt8]

    public init(baseOffset: Int64, sizeInBytes: Int, largestTimestamp: Int64,
                offsetIndexSizeInBytes: Int = 0, timeIndexSizeInBytes: Int = 0,
                read: @escaping @Sendable (_ position: Int, _ maxBytes: Int) throws -> [UInt8]) {
        self.baseOffset = baseOffset
        self.sizeInBytes = sizeInBytes
        self.largestTimestamp = largestTimestamp
        self.offsetIndexSizeInBytes = offsetIndexSizeInBytes
        self.timeIndexSizeInBytes = timeIndexSizeInBytes
        self.read = read
    }

    /// A segment held in memory (tests, tools, small logs).
    public init(baseOffset: Int64, bytes: [UInt8], largestTimestamp: Int64,
                offsetIndexSizeInBytes: Int = 0, timeIndexSizeInBytes: Int = 0) {
        self.init(baseOffset: baseOffset, sizeInBytes: bytes.count, largestTimestamp: largestTimestamp,
                  offsetIndexSizeInBytes: offsetIndexSizeInBytes, timeIndexSizeInBytes: timeIndexSizeInBytes) { pos, max in
            guard pos >= 0, pos < bytes.count, max > 0 else { return [] }
            return Array(bytes[pos ..< pos + min(max, bytes.count - pos)])
        }
    }
}

/// What a group of segments was cleaned into: one replacement segment whose base offset is the
/// first input segment's base offset.
public struct CleanedSegmentInfo: Sendable, Equatable {
    public var baseOffset: Int64
    /// Base offsets of the input segments this one replaces, in order.
    public var replacedBaseOffsets: [Int64]
    public var sizeInBytes: Int
    /// Batches written.
    public var batchCount: Int
    /// Largest maxTimestamp of the written batches, -1 when none (a new time index is built from them).
    public var largestTimestamp: Int64
    /// Offset after the last written batch (its lastOffset + 1), nil when nothing was written.
    /// Because batches keep their lastOffsetDelta, this only differs from the next segment's
    /// base offset when whole batches at the end were removed.
    public var nextOffset: Int64?
}

/// A cleaned segment held in memory (from `LogCompactor.clean`).
public struct CleanedSegment: Sendable, Equatable {
    public var info: CleanedSegmentInfo
    public var bytes: [UInt8]
    public var baseOffset: Int64 { info.baseOffset }
}

/// The last record an active producer wrote, from producer state (Kafka's `LastRecord`). The
/// batch holding it is kept, even when compaction removes all of its records, so that the
/// producer's last sequence number and epoch survive (idempotence and fencing).
public struct ProducerLastRecord: Sendable, Equatable {
    /// Offset of the producer's last data record; nil when it has none retained.
    public var lastDataOffset: Int64?
    public var producerEpoch: Int16
    /// Offset of the producer's last transaction marker; nil before any.
    public var lastMarkerOffset: Int64?

    public init(lastDataOffset: Int64?, producerEpoch: Int16, lastMarkerOffset: Int64? = nil) {
        self.lastDataOffset = lastDataOffset
        self.producerEpoch = producerEpoch
        self.lastMarkerOffset = lastMarkerOffset
    }

    /// Whether the producer's last record is the marker at `offset`: the log must keep it, as
    /// Kafka's cleaner does, so that the epoch it carries (a fencing bump) survives a rebuild
    /// of the producer state from the log.
    public func endsWithMarker(at offset: Int64) -> Bool {
        lastMarkerOffset == offset && (lastDataOffset ?? -1) < offset
    }
}

/// Counters for one cleaning round (Kafka's `CleanerStats`).
public struct CleanerStats: Sendable, Equatable {
    /// Building the offset map.
    public var mapBytesRead = 0
    public var mapRecordsRead = 0
    /// Rewriting segments.
    public var bytesRead = 0
    public var recordsRead = 0
    public var batchesRead = 0
    public var bytesWritten = 0
    public var recordsWritten = 0
    public var batchesWritten = 0
    /// Records dropped because a later record has the same key.
    public var recordsSuperseded = 0
    /// Tombstones dropped because their batch's delete horizon had passed.
    public var tombstonesRemoved = 0
    /// Records without a key (Kafka counts them as invalid and drops them).
    public var invalidRecordsRemoved = 0
    /// Batches whose records were all dropped and that were removed entirely.
    public var batchesRemoved = 0
    /// Batches kept as a bare header with no records (producer state or the round's last offset).
    public var emptyBatchesRetained = 0
    /// Records of aborted transactions removed.
    public var abortedRecordsRemoved = 0
    /// Transaction markers removed (their transaction's data gone, their delete horizon past).
    public var markersRemoved = 0
    /// Batches kept byte for byte without looking at their records: control batches
    /// (transaction markers), or compressed with a codec whose library this process cannot load.
    public var batchesCopiedUninspected = 0
    /// Fraction of the offset map's memory in use at the end of indexing.
    public var mapUtilization = 0.0

    public init() {}

    public var recordsRemoved: Int { recordsRead - recordsWritten }
}
