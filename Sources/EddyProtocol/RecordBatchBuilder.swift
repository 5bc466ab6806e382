/// Encodes records into one RecordBatch v2, the way Kafka's producer does: timestamps and
/// offsets are stored as deltas from the first record, and the CRC is sealed once in `build()`
/// (uncompressed batches) or `seal()` (any codec: the records are compressed as one stream
/// with the codec of `attributes`, after the header, as `CompressionType` describes).
public struct RecordBatchBuilder: Sendable {
    private var writer: ByteWriter
    private var header: RecordBatchHeader
    private var count: Int32 = 0
    private var lastOffsetDelta: Int32 = -1
    private var firstTimestamp: Int64?
    private var maxTimestamp: Int64 = -1

    /// - Parameters:
    ///   - baseOffset: the first offset (0 from a producer; the log assigns the real one).
    ///   - producerId, producerEpoch, baseSequence: -1 unless the producer is idempotent.
    public init(baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1,
                attributes: RecordBatchAttributes = RecordBatchAttributes(),
                producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
                capacity: Int = 1024) {
        writer = ByteWriter(capacity: max(capacity, RecordBatchHeader.size))
        header = RecordBatchHeader(baseOffset: baseOffset, batchLength: 0, partitionLeaderEpoch: partitionLeaderEpoch,
                                   crc: 0, attributes: attributes, lastOffsetDelta: 0, baseTimestamp: 0,
                                   maxTimestamp: 0, producerId: producerId, producerEpoch: producerEpoch,
                                   baseSequence: baseSequence, recordCount: 0)
        header.write(to: &writer)
    }

    public var recordCount: Int { Int(count) }
    public var isEmpty: Bool { count == 0 }
    /// Bytes the batch would take if built now, uncompressed.
    public var estimatedSize: Int { writer.count }
    /// The codec `seal()` compresses with.
    public var compression: CompressionType { header.attributes.compression ?? .none }

    /// Appends a record at the offset after the previous one (baseOffset for the first).
    /// (Disfavored so that `key: nil, value: nil` picks the `[UInt8]?` overload; both encode alike.)
    @_disfavoredOverload
    public mutating func append(timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                                headers: [RecordHeader] = []) {
        append(offsetDelta: lastOffsetDelta + 1, timestamp: timestamp, key: key, value: value, headers: headers)
    }

    /// Appends a record at offset baseOffset + `offsetDelta` (Kafka's `appendWithOffset`), as the
    /// log cleaner does when it rewrites a batch without the records it drops.
    /// Precondition: `offsetDelta` is greater than the previous record's.
    @_disfavoredOverload
    public mutating func append(offsetDelta: Int32, timestamp: Int64, key: UnsafeRawBufferPointer?,
                                value: UnsafeRawBufferPointer?, headers: [RecordHeader] = []) {
        precondition(offsetDelta > lastOffsetDelta, "offset deltas must strictly increase")
        let base = firstTimestamp ?? timestamp
        if firstTimestamp == nil { firstTimestamp = timestamp }
        maxTimestamp = count == 0 ? timestamp : max(maxTimestamp, timestamp)
        // Wrapping, like Kafka's long arithmetic; the reader adds it back the same way.
        let tsDelta = timestamp &- base
        let keyLen = key.map { Int64($0.count) } ?? -1
        let valueLen = value.map { Int64($0.count) } ?? -1
        var headerBytes = 0
        for h in headers {
            let k = h.key.utf8.count
            headerBytes += Varint.size(Int64(k)) + k
            let vl = h.value.map { Int64($0.count) } ?? -1
            headerBytes += Varint.size(vl) + max(0, Int(vl))
        }
        let bodySize = 1 + Varint.size(tsDelta) + Varint.size(Int64(offsetDelta))
            + Varint.size(keyLen) + max(0, Int(keyLen))
            + Varint.size(valueLen) + max(0, Int(valueLen))
            + Varint.size(Int64(headers.count)) + headerBytes
        writer.writeVarint(Int64(bodySize))
        writer.writeInt8(0)
        writer.writeVarint(tsDelta)
        writer.writeVarint(Int64(offsetDelta))
        writer.writeVarint(keyLen)
        if let key { writer.writeBytes(key) }
        writer.writeVarint(valueLen)
        if let value { writer.writeBytes(value) }
        writer.writeVarint(Int64(headers.count))
        for h in headers {
            writer.writeVarint(Int64(h.key.utf8.count))
            writer.writeBytes(h.key.utf8)
            if let v = h.value {
                writer.writeVarint(Int64(v.count))
                writer.writeBytes(v)
            } else {
                writer.writeVarint(-1)
            }
        }
        count += 1
        lastOffsetDelta = offsetDelta
    }

    /// Appends a record of another batch at `offsetDelta` with `timestamp`, copying its key,
    /// value and encoded headers (and attributes byte) as they are: how a broker re-encodes the
    /// records of a batch it validates or compacts.
    public mutating func append(_ record: RecordView, offsetDelta: Int32, timestamp: Int64) {
        precondition(offsetDelta > lastOffsetDelta, "offset deltas must strictly increase")
        let base = firstTimestamp ?? timestamp
        if firstTimestamp == nil { firstTimestamp = timestamp }
        maxTimestamp = count == 0 ? timestamp : max(maxTimestamp, timestamp)
        let tsDelta = timestamp &- base
        let keyLen = record.key.map { Int64($0.count) } ?? -1
        let valueLen = record.value.map { Int64($0.count) } ?? -1
        let bodySize = 1 + Varint.size(tsDelta) + Varint.size(Int64(offsetDelta))
            + Varint.size(keyLen) + max(0, Int(keyLen))
            + Varint.size(valueLen) + max(0, Int(valueLen))
            + Varint.size(Int64(record.headerCount)) + record.rawHeaders.count
        writer.writeVarint(Int64(bodySize))
        writer.writeInt8(record.attributes)
        writer.writeVarint(tsDelta)
        writer.writeVarint(Int64(offsetDelta))
        writer.writeVarint(keyLen)
        if let key = record.key { writer.writeBytes(key) }
        writer.writeVarint(valueLen)
        if let value = record.value { writer.writeBytes(value) }
        writer.writeVarint(Int64(record.headerCount))
        writer.writeBytes(record.rawHeaders)
        count += 1
        lastOffsetDelta = offsetDelta
    }

    public mutating func append(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        append(offsetDelta: lastOffsetDelta + 1, timestamp: timestamp, key: key, value: value, headers: headers)
    }

    public mutating func append(offsetDelta: Int32, timestamp: Int64, key: [UInt8]?, value: [UInt8]?,
                                headers: [RecordHeader] = []) {
        func withOptional<R>(_ a: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
            guard let a else { return body(nil) }
            return a.withUnsafeBytes { body($0) }
        }
        withOptional(key) { k in
            withOptional(value) { v in
                append(offsetDelta: offsetDelta, timestamp: timestamp, key: k, value: v, headers: headers)
            }
        }
    }

    /// Seals an uncompressed batch: fills counts, timestamps, length and CRC. Building an empty
    /// batch is allowed (a producer never writes one, but the log cleaner keeps empty batches).
    /// Precondition: the attributes name no codec (use `seal()` for compressed batches).
    ///
    /// - Parameter lastOffsetDelta: overrides the last record's offset delta, for a rewritten
    ///   batch that must keep its original offset range; at least the last record's delta.
    public func build(lastOffsetDelta: Int32? = nil) -> RecordBatch {
        precondition(compression == .none, "build() writes uncompressed batches; seal() compresses")
        return assemble(lastOffsetDelta: lastOffsetDelta, records: nil)
    }

    /// Seals the batch with the codec its attributes name (see `build` for the rest): the
    /// records are compressed as one stream, with the system library of the codec, at `level`
    /// (KIP-390's compression.<codec>.level; nil: the codec's default).
    public func seal(lastOffsetDelta: Int32? = nil, level: Int? = nil) throws(CompressionError) -> RecordBatch {
        guard compression != .none else { return build(lastOffsetDelta: lastOffsetDelta) }
        let compressed = try writer.bytes.withBytes { (all) throws(CompressionError) -> [UInt8] in
            try CompressionCodec.system(compression).compress(UnsafeRawBufferPointer(rebasing: all[RecordBatchHeader.size...]), level: level)
        }
        return assemble(lastOffsetDelta: lastOffsetDelta, records: compressed)
    }

    /// Seals the batch uncompressed whatever codec its attributes name (their codec bits are
    /// cleared): the fallback of a producer whose codec failed.
    public func buildUncompressed(lastOffsetDelta: Int32? = nil) -> RecordBatch {
        assemble(lastOffsetDelta: lastOffsetDelta, records: nil)
    }

    /// The sealed batch, with `records` (already compressed) in place of the written records;
    /// uncompressed (codec bits cleared) when `records` is nil.
    private func assemble(lastOffsetDelta: Int32?, records: [UInt8]?) -> RecordBatch {
        precondition(lastOffsetDelta.map { $0 >= max(self.lastOffsetDelta, 0) } ?? true,
                     "lastOffsetDelta must cover every record")
        var w = writer
        if let records {
            w = ByteWriter(capacity: RecordBatchHeader.size + records.count)
            w.writeBytes(writer.bytes[0 ..< RecordBatchHeader.size])
            w.writeBytes(records)
        }
        var h = header
        if records == nil { h.attributes = RecordBatchAttributes(rawValue: h.attributes.rawValue & ~0x7) }
        h.recordCount = count
        h.lastOffsetDelta = lastOffsetDelta ?? max(self.lastOffsetDelta, 0)
        h.baseTimestamp = firstTimestamp ?? -1
        h.maxTimestamp = count == 0 ? -1 : maxTimestamp
        h.batchLength = Int32(w.count - RecordBatchHeader.logOverhead)
        var tmp = ByteWriter(capacity: RecordBatchHeader.size)
        h.write(to: &tmp)
        let headBytes = tmp.take()
        var bytes = w.take()
        bytes.replaceSubrange(0 ..< RecordBatchHeader.size, with: headBytes)
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.attributesOffset...])) }
        bytes.withUnsafeMutableBytes { $0.storeBytes(of: crc.bigEndian, toByteOffset: RecordBatchHeader.crcOffset, as: UInt32.self) }
        // The bytes were produced by this builder, so they always parse.
        return try! RecordBatch(bytes: bytes)
    }
}
