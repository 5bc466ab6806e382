import EddyProtocol

/// A metadata snapshot (KIP-630): the whole metadata image as of a log offset, so that opening
/// replays only the log records after it and the log prefix before it can be deleted.
///
/// File name: `<endOffset, 20 digits>-<epoch, 10 digits>.checkpoint`, in the metadata log's
/// directory (Kafka's snapshot naming). `endOffset` is exclusive: the snapshot covers every
/// log record below it, and replay resumes at `endOffset`. `epoch` is the leader epoch of the
/// last covered record.
///
/// File content: RecordBatch v2 batches laid end to end, each CRC-protected, with offsets
/// counting from 0:
///
///     batch 0        control batch, one record: SnapshotHeader
///     batch 1…n      data batches, each record's value one `MetadataRecord` (key null),
///                    at most `recordsPerBatch` records each: the image's `records()`
///     batch n+1      control batch, one record: SnapshotFooter
///
/// Control records use Kafka's layout: key = version int16 (0) + type int16 (4 header,
/// 5 footer); value = version int16 (0), then for the header lastContainedLogTimestamp int64,
/// then an empty tagged-field section (uvarint 0).
///
/// A snapshot is valid only if every batch parses and passes its CRC, the header comes first
/// and the footer last with nothing after it, and every record decodes. The footer is what
/// tells a complete file from one cut at a batch boundary.
public struct MetadataSnapshot: Sendable, Equatable {
    public static let fileSuffix = ".checkpoint"
    /// A snapshot being written; renamed to its final name once complete and fsynced.
    public static let partialSuffix = ".checkpoint.part"
    /// A snapshot that failed validation on open, set aside for inspection.
    public static let corruptSuffix = ".checkpoint.corrupt"
    static let headerType: Int16 = 4
    static let footerType: Int16 = 5

    public var endOffset: Int64
    public var epoch: Int32
    /// Append time of the last covered record, ms (Kafka's lastContainedLogTimestamp).
    public var lastContainedLogTimestamp: Int64
    public var records: [MetadataRecord]

    public init(endOffset: Int64, epoch: Int32, lastContainedLogTimestamp: Int64, records: [MetadataRecord]) {
        self.endOffset = endOffset
        self.epoch = epoch
        self.lastContainedLogTimestamp = lastContainedLogTimestamp
        self.records = records
    }

    /// `00000000000000000042-0000000000.checkpoint`.
    public static func fileName(endOffset: Int64, epoch: Int32) -> String {
        pad(String(endOffset), 20) + "-" + pad(String(epoch), 10) + fileSuffix
    }

    /// The (endOffset, epoch) a snapshot file name encodes, or nil if `name` is not one.
    public static func parseFileName(_ name: String) -> (endOffset: Int64, epoch: Int32)? {
        guard name.hasSuffix(fileSuffix) else { return nil }
        let stem = name.dropLast(fileSuffix.count)
        let parts = stem.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 20, parts[1].count == 10,
              parts[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              let offset = Int64(parts[0]), let epoch = Int32(parts[1]) else { return nil }
        return (offset, epoch)
    }

    /// The image as of `endOffset`, as a snapshot.
    public init(image: MetadataImage, endOffset: Int64, epoch: Int32, lastContainedLogTimestamp: Int64) {
        self.init(endOffset: endOffset, epoch: epoch, lastContainedLogTimestamp: lastContainedLogTimestamp,
                  records: image.records())
    }

    /// Replays the records into an empty image whose `offset` is `endOffset - 1`.
    public func image() throws(BrokerError) -> MetadataImage {
        var image = MetadataImage()
        for r in records { try image.apply(r) }
        image.offset = endOffset - 1
        return image
    }

    /// The file content (see the type's documentation).
    public func encoded(recordsPerBatch: Int = 1000, timestamp: Int64? = nil) -> [UInt8] {
        let ts = timestamp ?? lastContainedLogTimestamp
        var out: [UInt8] = []
        var nextOffset: Int64 = 0

        func control(_ type: Int16, _ value: [UInt8]) {
            var key = ByteWriter(capacity: 4)
            key.writeInt16(0)
            key.writeInt16(type)
            var b = RecordBatchBuilder(baseOffset: nextOffset, partitionLeaderEpoch: epoch,
                                       attributes: RecordBatchAttributes(isControl: true))
            b.append(timestamp: ts, key: key.bytes, value: value)
            out += b.build().bytes
            nextOffset += 1
        }

        var header = ByteWriter(capacity: 16)
        header.writeInt16(0)
        header.writeInt64(lastContainedLogTimestamp)
        header.writeUnsignedVarint(0)
        control(MetadataSnapshot.headerType, header.bytes)

        var i = 0
        while i < records.count {
            let chunk = records[i ..< min(records.count, i + max(1, recordsPerBatch))]
            var b = RecordBatchBuilder(baseOffset: nextOffset, partitionLeaderEpoch: epoch, capacity: 64 * chunk.count + 128)
            for r in chunk { b.append(timestamp: ts, key: nil, value: r.encoded()) }
            out += b.build().bytes
            nextOffset += Int64(chunk.count)
            i += chunk.count
        }

        var footer = ByteWriter(capacity: 4)
        footer.writeInt16(0)
        footer.writeUnsignedVarint(0)
        control(MetadataSnapshot.footerType, footer.bytes)
        return out
    }

    /// Parses and validates a snapshot file's content.
    /// - Throws: `.corruptMetadata` describing the first problem found.
    public init(decoding bytes: [UInt8], endOffset: Int64, epoch: Int32) throws(BrokerError) {
        func corrupt(_ why: String) -> BrokerError { .corruptMetadata("snapshot \(MetadataSnapshot.fileName(endOffset: endOffset, epoch: epoch)): \(why)") }
        let locations: [MemoryRecords.BatchLocation]
        do { locations = try MemoryRecords.batches(in: bytes, allowPartialTail: false) } catch { throw corrupt("\(error)") }
        guard locations.count >= 2 else { throw corrupt("\(locations.count) batches; a snapshot has at least a header and a footer") }
        var timestamp: Int64 = -1
        var records: [MetadataRecord] = []
        var expectedOffset: Int64 = 0
        for (index, location) in locations.enumerated() {
            let batch: RecordBatch
            do {
                batch = try RecordBatch(bytes: Array(bytes[location.range]))
                try batch.validate()
            } catch { throw corrupt("batch \(index): \(error)") }
            guard batch.header.baseOffset == expectedOffset else {
                throw corrupt("batch \(index) starts at offset \(batch.header.baseOffset), expected \(expectedOffset)")
            }
            expectedOffset = batch.header.nextOffset
            let decoded: [Record]
            do { decoded = try batch.records() } catch { throw corrupt("batch \(index): \(error)") }
            let isFirst = index == 0, isLast = index == locations.count - 1
            if isFirst || isLast {
                let want = isFirst ? MetadataSnapshot.headerType : MetadataSnapshot.footerType
                guard batch.header.attributes.isControl, decoded.count == 1 else {
                    throw corrupt("batch \(index) is not the snapshot \(isFirst ? "header" : "footer") control batch")
                }
                let value = try MetadataSnapshot.controlValue(decoded[0], type: want, corrupt)
                if isFirst {
                    timestamp = try MetadataSnapshot.controlFields(value, "header", corrupt) { (r) throws(ProtocolError) in try r.wireInt64() }
                } else {
                    try MetadataSnapshot.controlFields(value, "footer", corrupt) { _ throws(ProtocolError) in }
                }
                continue
            }
            guard !batch.header.attributes.isControl else { throw corrupt("unexpected control batch \(index)") }
            for record in decoded {
                guard record.key == nil, let value = record.value else {
                    throw corrupt("record at offset \(record.offset) has a key or a null value")
                }
                do { records.append(try MetadataRecord(decoding: value)) } catch { throw corrupt("record at offset \(record.offset): \(error)") }
            }
        }
        self.init(endOffset: endOffset, epoch: epoch, lastContainedLogTimestamp: timestamp, records: records)
    }

    /// The value of a control record of `type` with version 0, after its version field.
    private static func controlValue(_ record: Record, type: Int16, _ corrupt: (String) -> BrokerError) throws(BrokerError) -> [UInt8] {
        guard let key = record.key, key.count == 4, let value = record.value, value.count >= 2 else {
            throw corrupt("malformed control record")
        }
        let keyVersion = Int16(bitPattern: UInt16(key[0]) << 8 | UInt16(key[1]))
        let keyType = Int16(bitPattern: UInt16(key[2]) << 8 | UInt16(key[3]))
        let valueVersion = Int16(bitPattern: UInt16(value[0]) << 8 | UInt16(value[1]))
        guard keyVersion == 0, keyType == type else { throw corrupt("control record type \(keyType) version \(keyVersion), expected type \(type)") }
        guard valueVersion == 0 else { throw corrupt("unsupported control record version \(valueVersion)") }
        return Array(value[2...])
    }

    /// A control value's fields, read by `body`, then its tagged fields (skipped, in strictly
    /// ascending order) and nothing after them.
    private static func controlFields<T>(_ value: [UInt8], _ what: String, _ corrupt: (String) -> BrokerError,
                                         _ body: (inout ByteReader) throws(ProtocolError) -> T) throws(BrokerError) -> T {
        do {
            return try value.withBytes { (b) throws(ProtocolError) -> T in
                var r = ByteReader(b)
                let fields = try body(&r)
                try r.wireTaggedFields(strictlyAscending: true) { (_, _) throws(ProtocolError) in false }
                guard r.remaining == 0 else { throw .trailingBytes(r.remaining) }
                return fields
            }
        } catch {
            throw corrupt("invalid \(what): \(error)")
        }
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
