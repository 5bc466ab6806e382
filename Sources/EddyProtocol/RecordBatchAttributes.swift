/// Whether a batch's timestamps were set by the producer or by the broker (attribute bit 3).
public enum TimestampType: Sendable, Equatable {
    case createTime, logAppendTime
}

/// The 16-bit attributes field of RecordBatch v2:
///
///     bit 0-2  compression codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)
///     bit 3    timestamp type (0 CreateTime, 1 LogAppendTime)
///     bit 4    isTransactional
///     bit 5    isControlBatch
///     bit 6    hasDeleteHorizonMs (KIP-534: baseTimestamp holds the tombstone delete horizon)
///     bit 7-15 unused, zero
public struct RecordBatchAttributes: Sendable, Equatable, Hashable {
    public var rawValue: Int16

    public init(rawValue: Int16) { self.rawValue = rawValue }

    public init(compression: CompressionType = .none, timestampType: TimestampType = .createTime,
                isTransactional: Bool = false, isControl: Bool = false, hasDeleteHorizon: Bool = false) {
        var v = Int16(compression.rawValue)
        if timestampType == .logAppendTime { v |= 1 << 3 }
        if isTransactional { v |= 1 << 4 }
        if isControl { v |= 1 << 5 }
        if hasDeleteHorizon { v |= 1 << 6 }
        rawValue = v
    }

    public var compressionCode: UInt8 { UInt8(rawValue & 0x7) }
    public var compression: CompressionType? { CompressionType(rawValue: compressionCode) }

    public var timestampType: TimestampType {
        get { rawValue & (1 << 3) != 0 ? .logAppendTime : .createTime }
        set { if newValue == .logAppendTime { rawValue |= 1 << 3 } else { rawValue &= ~(1 << 3) } }
    }

    public var isTransactional: Bool { rawValue & (1 << 4) != 0 }
    public var isControl: Bool { rawValue & (1 << 5) != 0 }
    public var hasDeleteHorizon: Bool {
        get { rawValue & (1 << 6) != 0 }
        set { if newValue { rawValue |= 1 << 6 } else { rawValue &= ~(1 << 6) } }
    }
}
