import EddyProtocol

/// What the cleaner needs to know about one log to decide whether and how far to clean it,
/// taken under the log's lock and then used without it.
public struct CleanerLogSnapshot: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var baseOffset: Int64
        public var sizeInBytes: Int64
        /// Largest record timestamp in the segment (min.compaction.lag.ms).
        public var largestTimestamp: Int64
        /// maxTimestamp of the segment's first batch, nil if unknown or empty (max.compaction.lag.ms).
        public var firstBatchTimestamp: Int64?

        public init(baseOffset: Int64, sizeInBytes: Int64, largestTimestamp: Int64, firstBatchTimestamp: Int64? = nil) {
            self.baseOffset = baseOffset
            self.sizeInBytes = sizeInBytes
            self.largestTimestamp = largestTimestamp
            self.firstBatchTimestamp = firstBatchTimestamp
        }
    }

    public var topicPartition: TopicPartition
    public var config: LogConfig
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    /// Cleaning never reaches this offset: the last stable offset (the high watermark, held
    /// back by the oldest open transaction), as Kafka's cleaner bounds it, so every transaction
    /// below it has ended.
    public var upperBoundOffset: Int64
    /// Every segment in offset order; the last one is the active segment.
    public var segments: [Segment]

    public init(topicPartition: TopicPartition, config: LogConfig, logStartOffset: Int64, logEndOffset: Int64,
                upperBoundOffset: Int64, segments: [Segment]) {
        self.topicPartition = topicPartition
        self.config = config
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
        self.upperBoundOffset = upperBoundOffset
        self.segments = segments
    }

    var activeSegment: Segment? { segments.last }

    /// Kafka's `logSegments(from, to)`: the segments that may hold offsets in [from, to),
    /// starting with the one whose base offset is the greatest at or below `from`.
    func segments(from: Int64, to: Int64) -> ArraySlice<Segment> {
        guard from < to else { return [] }
        let end = segments.firstIndex { $0.baseOffset >= to } ?? segments.count
        let floor = segments.lastIndex { $0.baseOffset <= from } ?? 0
        return floor < end ? segments[floor ..< end] : []
    }

    /// Kafka's `nonActiveLogSegmentsFrom(from)`.
    func nonActiveSegments(from: Int64) -> ArraySlice<Segment> {
        guard let active = activeSegment, from <= active.baseOffset else { return [] }
        return segments(from: from, to: active.baseOffset)
    }

    /// Kafka's `OffsetsToClean`.
    public struct OffsetsToClean: Sendable, Equatable {
        /// Inclusive start of the dirty section.
        public var firstDirtyOffset: Int64
        /// Exclusive end of what may be cleaned (not yet rounded down to a segment boundary).
        public var firstUncleanableDirtyOffset: Int64
        /// The stored checkpoint was invalid and must be rewritten as `firstDirtyOffset`.
        public var forceUpdateCheckpoint: Bool
    }

    /// The dirty range to clean given the stored checkpoint (Kafka's `cleanableOffsets`).
    ///
    /// The dirty section starts at the checkpoint, or at the log start offset when there is
    /// none, or when it lies below the log start (DeleteRecords, retention) or above the log
    /// end (a truncated tail). It ends at the first of: the active segment's base offset, the
    /// upper bound (high watermark), and the base offset of the first dirty inactive segment
    /// holding a record newer than now − min.compaction.lag.ms.
    public func cleanableOffsets(checkpoint: Int64?, now: Int64) -> OffsetsToClean {
        let stored = checkpoint ?? logStartOffset
        let (firstDirty, force) = stored < logStartOffset || stored > logEndOffset
            ? (logStartOffset, true) : (stored, false)
        var bound = min(upperBoundOffset, activeSegment?.baseOffset ?? logStartOffset)
        let lag = max(config.minCompactionLagMs, 0)
        if lag > 0 {
            let horizon = BatchFilter.saturatingAdd(now, -lag)
            if let young = nonActiveSegments(from: firstDirty).first(where: { $0.largestTimestamp > horizon }) {
                bound = min(bound, young.baseOffset)
            }
        }
        return OffsetsToClean(firstDirtyOffset: firstDirty, firstUncleanableDirtyOffset: max(firstDirty, bound),
                              forceUpdateCheckpoint: force)
    }

    /// Rounds the uncleanable offset down to a segment boundary and sums the dirty bytes
    /// before it (Kafka's `calculateCleanableBytes`).
    public func cleanableBytes(firstDirtyOffset: Int64, uncleanableOffset: Int64) -> (firstUncleanableOffset: Int64, bytes: Int64) {
        let firstUncleanable = nonActiveSegments(from: uncleanableOffset).first?.baseOffset
            ?? activeSegment?.baseOffset ?? logStartOffset
        let bytes = segments(from: min(firstDirtyOffset, firstUncleanable), to: firstUncleanable).reduce(0) { $0 + $1.sizeInBytes }
        return (firstUncleanable, bytes)
    }

    /// How long past max.compaction.lag.ms the oldest dirty record is, 0 if it is not yet due
    /// (Kafka's `maxCompactionDelay`). Segments whose first batch timestamp is unknown or not
    /// positive are ignored.
    public func maxCompactionDelay(firstDirtyOffset: Int64, now: Int64) -> Int64 {
        let earliest = nonActiveSegments(from: firstDirtyOffset).compactMap(\.firstBatchTimestamp).filter { $0 > 0 }.min()
        guard let earliest else { return 0 }
        let cleanUntil = BatchFilter.saturatingAdd(now, -max(config.maxCompactionLagMs, 0))
        return earliest < cleanUntil ? cleanUntil - earliest : 0
    }
}

/// A log chosen for cleaning and the range to clean (Kafka's `LogToClean`).
public struct LogToClean: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var firstDirtyOffset: Int64
    /// Base offset of the first segment not to clean: pass the segments below it to the compactor.
    public var firstUncleanableOffset: Int64
    /// Bytes of the segments below the first dirty offset.
    public var cleanBytes: Int64
    /// Bytes of the segments from the first dirty offset up to the first uncleanable offset.
    public var cleanableBytes: Int64
    /// max.compaction.lag.ms has passed for some dirty record.
    public var needCompactionNow: Bool

    public var totalBytes: Int64 { cleanBytes + cleanableBytes }
    /// The dirty ratio compared with min.cleanable.dirty.ratio.
    public var cleanableRatio: Double { totalBytes == 0 ? 0 : Double(cleanableBytes) / Double(totalBytes) }

    public init(_ log: CleanerLogSnapshot, firstDirtyOffset: Int64, uncleanableOffset: Int64, needCompactionNow: Bool) {
        topicPartition = log.topicPartition
        self.firstDirtyOffset = firstDirtyOffset
        self.needCompactionNow = needCompactionNow
        cleanBytes = log.segments(from: -1, to: firstDirtyOffset).reduce(0) { $0 + $1.sizeInBytes }
        (firstUncleanableOffset, cleanableBytes) = log.cleanableBytes(firstDirtyOffset: firstDirtyOffset,
                                                                     uncleanableOffset: uncleanableOffset)
    }
}
