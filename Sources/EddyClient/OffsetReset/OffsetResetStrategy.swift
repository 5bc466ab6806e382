/// How new offsets are chosen, one per Kafka `--reset-offsets` scenario.
public enum OffsetResetStrategy: Sendable, Equatable {
    /// `--to-earliest`: the log start offset.
    case toEarliest
    /// `--to-latest`: the high watermark.
    case toLatest
    /// `--to-current`: the committed offset unchanged (not clamped, as in Kafka); the high
    /// watermark for partitions without one.
    case toCurrent
    /// `--to-offset N`, clamped to [log start, high watermark].
    case toOffset(Int64)
    /// `--shift-by N`: committed offset + N (N may be negative), clamped. Needs a committed offset.
    case shiftBy(Int64)
    /// `--to-datetime`: the first offset whose timestamp is >= the instant (ms since epoch).
    case toDateTime(timestampMs: Int64)
    /// `--by-duration`: like `toDateTime` at `now - duration`.
    case byDuration(milliseconds: Int64)
    /// `--from-file`: the offsets in the file, clamped. The file, not the scope, picks the
    /// partitions, as in Kafka.
    case fromFile(OffsetResetFile)

    /// `--to-datetime VALUE`; formats are those of `KafkaDateTime`.
    public static func toDateTime(parsing value: String) throws -> OffsetResetStrategy {
        .toDateTime(timestampMs: try KafkaDateTime.parseMillis(value))
    }

    /// `--by-duration VALUE`; grammar is that of `KafkaDuration`.
    public static func byDuration(parsing value: String) throws -> OffsetResetStrategy {
        .byDuration(milliseconds: try KafkaDuration.parseMillis(value))
    }

    /// `--from-file` with the file's contents.
    public static func fromFile(csv: String) throws -> OffsetResetStrategy {
        .fromFile(try OffsetResetFile(csv: csv))
    }
}
