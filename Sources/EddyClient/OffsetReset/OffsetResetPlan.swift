import EddyProtocol

/// The offsets one partition needs for planning, supplied by the caller (from ListOffsets and
/// OffsetFetch). Invariant expected: logStartOffset <= highWatermark.
public struct OffsetResetPartitionFacts: Sendable, Equatable {
    public var logStartOffset: Int64
    /// The upper clamp and the reference for lag.
    public var highWatermark: Int64
    /// The group's committed offset, nil when it has none for this partition.
    public var committedOffset: Int64?

    public init(logStartOffset: Int64, highWatermark: Int64, committedOffset: Int64? = nil) {
        self.logStartOffset = logStartOffset
        self.highWatermark = highWatermark
        self.committedOffset = committedOffset
    }
}

/// Something the planner changed or assumed; descriptions use Kafka's wording.
public enum OffsetResetWarning: Sendable, Equatable, CustomStringConvertible {
    case clampedToLatest(TopicPartition, requested: Int64, latest: Int64)
    case clampedToEarliest(TopicPartition, requested: Int64, earliest: Int64)
    /// No record at or after the timestamp: the high watermark is used.
    case noOffsetForTimestamp(TopicPartition)

    public var description: String {
        switch self {
        case let .clampedToLatest(tp, requested, latest):
            "New offset (\(requested)) is higher than latest offset for topic partition \(tp). Value will be set to \(latest)"
        case let .clampedToEarliest(tp, requested, earliest):
            "New offset (\(requested)) is lower than earliest offset for topic partition \(tp). Value will be set to \(earliest)"
        case let .noOffsetForTimestamp(tp):
            "Partition \(tp.partition) from topic \(tp.topic) is empty. Falling back to latest known offset."
        }
    }
}

/// A previewed reset: what would be committed, before anything executes.
public struct OffsetResetPlan: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var topicPartition: TopicPartition
        /// The committed offset before the reset, nil if none.
        public var oldOffset: Int64?
        /// The offset to commit, after clamping.
        public var newOffset: Int64
        /// What the strategy asked for, before clamping.
        public var requestedOffset: Int64
        public var logStartOffset: Int64
        public var highWatermark: Int64

        /// High watermark minus the old committed offset; nil without one.
        public var oldLag: Int64? { oldOffset.map { OffsetResetPlan.lag(highWatermark, $0) } }
        /// High watermark minus the new offset.
        public var newLag: Int64 { OffsetResetPlan.lag(highWatermark, newOffset) }
        public var wasClamped: Bool { requestedOffset != newOffset }

        public init(topicPartition: TopicPartition, oldOffset: Int64?, newOffset: Int64,
                    requestedOffset: Int64, logStartOffset: Int64, highWatermark: Int64) {
            self.topicPartition = topicPartition
            self.oldOffset = oldOffset
            self.newOffset = newOffset
            self.requestedOffset = requestedOffset
            self.logStartOffset = logStartOffset
            self.highWatermark = highWatermark
        }
    }

    public var group: String
    /// Sorted by topic, then partition.
    public var entries: [Entry]
    /// In entry order.
    public var warnings: [OffsetResetWarning]

    public init(group: String, entries: [Entry], warnings: [OffsetResetWarning]) {
        self.group = group
        self.entries = entries
        self.warnings = warnings
    }

    /// The offsets to commit on `--execute`.
    public var newOffsets: [TopicPartition: Int64] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.topicPartition, $0.newOffset) })
    }

    static func lag(_ hw: Int64, _ offset: Int64) -> Int64 {
        let (v, overflow) = hw.subtractingReportingOverflow(offset)
        return overflow ? (offset > hw ? .min : .max) : v
    }
}
