/// The fixed 61-byte header of a Kafka RecordBatch (magic 2), as stored on disk and sent on
/// the wire. All integers are big-endian.
///
///     offset  size  field
///          0     8  baseOffset            first offset in the batch (assigned by the leader)
///          8     4  batchLength           bytes after this field, i.e. total size - 12
///         12     4  partitionLeaderEpoch  epoch of the leader that appended it (-1 from producers)
///         16     1  magic                 always 2
///         17     4  crc                   CRC-32C of bytes 21..<end (attributes to the end)
///         21     2  attributes            see `RecordBatchAttributes`
///         23     4  lastOffsetDelta       last record's offset - baseOffset
///         27     8  baseTimestamp         timestamp of the first record (or delete horizon)
///         35     8  maxTimestamp          largest record timestamp (or the LogAppendTime)
///         43     8  producerId            -1 when not idempotent
///         51     2  producerEpoch         -1 when not idempotent
///         53     4  baseSequence          -1 when not idempotent
///         57     4  recordCount           number of records that follow
///         61     …  records               `recordCount` records, see `Record`
///
/// Because the CRC starts at `attributes`, a leader may rewrite `baseOffset` and
/// `partitionLeaderEpoch` in place without recomputing it.
public struct RecordBatchHeader: Sendable, Equatable, Hashable {
    public static let size = 61
    /// Bytes before `batchLength` counts: baseOffset + batchLength.
    public static let logOverhead = 12
    public static let magic: Int8 = 2
    public static let crcOffset = 17
    public static let attributesOffset = 21
    public static let partitionLeaderEpochOffset = 12
    public static let maxTimestampOffset = 35

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: RecordBatchAttributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32

    public init(baseOffset: Int64, batchLength: Int32, partitionLeaderEpoch: Int32, magic: Int8 = 2, crc: UInt32,
                attributes: RecordBatchAttributes, lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64,
                producerId: Int64, producerEpoch: Int16, baseSequence: Int32, recordCount: Int32) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// Total bytes of the batch including baseOffset and batchLength.
    @inlinable public var totalSize: Int { RecordBatchHeader.logOverhead + Int(batchLength) }
    /// Wraps instead of trapping: baseOffset and lastOffsetDelta come from untrusted bytes.
    @inlinable public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    @inlinable public var nextOffset: Int64 { lastOffset &+ 1 }
    public var isIdempotent: Bool { producerId >= 0 }
    /// Last sequence number in the batch, wrapping at Int32.max as Kafka does.
    public var lastSequence: Int32 {
        guard baseSequence >= 0 else { return -1 }
        let s = Int64(baseSequence) + Int64(lastOffsetDelta)
        return Int32(s > Int64(Int32.max) ? s - Int64(Int32.max) - 1 : s)
    }

    /// Reads only `baseOffset` and `batchLength` (the 12-byte log overhead) at `offset`.
    /// Returns nil if fewer than 12 bytes remain.
    @inlinable
    public static func peekSize(_ buffer: UnsafeRawBufferPointer, at offset: Int = 0) -> (baseOffset: Int64, batchLength: Int32)? {
        guard offset >= 0, buffer.count - offset >= logOverhead else { return nil }
        let base = Int64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: Int64.self))
        let len = Int32(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self))
        return (base, len)
    }

    /// Parses the 61-byte header at `offset`. Checks only what the header alone can tell:
    /// enough bytes, magic 2, batchLength ≥ 49 (header minus log overhead), recordCount ≥ 0,
    /// lastOffsetDelta ≥ 0. Use `RecordBatch.validate` for the CRC and records.
    @inlinable
    public init(parsing buffer: UnsafeRawBufferPointer, at offset: Int = 0) throws(RecordBatchError) {
        var r = ByteReader(buffer, position: offset)
        baseOffset = try r.readInt64()
        batchLength = try r.readInt32()
        guard batchLength >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else {
            throw .invalidBatchLength(batchLength)
        }
        partitionLeaderEpoch = try r.readInt32()
        magic = try r.readInt8()
        guard magic == RecordBatchHeader.magic else { throw .unsupportedMagic(magic) }
        crc = try r.readUInt32()
        attributes = RecordBatchAttributes(rawValue: try r.readInt16())
        lastOffsetDelta = try r.readInt32()
        baseTimestamp = try r.readInt64()
        maxTimestamp = try r.readInt64()
        producerId = try r.readInt64()
        producerEpoch = try r.readInt16()
        baseSequence = try r.readInt32()
        recordCount = try r.readInt32()
        guard recordCount >= 0 else { throw .invalidRecordCount(recordCount) }
        guard lastOffsetDelta >= 0 else { throw .invalidOffsetDelta(expected: max(recordCount - 1, 0), found: lastOffsetDelta) }
    }

    /// Writes the 61 header bytes into `w` (the caller fixes batchLength and crc afterwards if needed).
    public func write(to w: inout ByteWriter) {
        w.writeInt64(baseOffset)
        w.writeInt32(batchLength)
        w.writeInt32(partitionLeaderEpoch)
        w.writeInt8(magic)
        w.writeUInt32(crc)
        w.writeInt16(attributes.rawValue)
        w.writeInt32(lastOffsetDelta)
        w.writeInt64(baseTimestamp)
        w.writeInt64(maxTimestamp)
        w.writeInt64(producerId)
        w.writeInt16(producerEpoch)
        w.writeInt32(baseSequence)
        w.writeInt32(recordCount)
    }
}
