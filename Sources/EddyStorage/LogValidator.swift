import EddyProtocol

/// The leader's checks of a producer's batches before they are appended (Kafka's
/// `LogValidator` for client appends), and the rewrite of those it must not store as sent.
///
/// Every batch: a whole RecordBatch v2 with a valid CRC, a known codec, at least one record,
/// at most max.message.bytes. Then, by codec:
///
/// - Uncompressed, and stored uncompressed: every record is walked (lengths, `recordCount`
///   records ending at the batch end, offset deltas exactly 0, 1, 2, … with lastOffsetDelta
///   == recordCount − 1). The batch is stored as sent.
/// - Compressed, or to be stored compressed: the records are decompressed (at most
///   `maxDecompressedBytes`, else the batch is refused) and walked the same way; lastOffsetDelta
///   must be recordCount − 1 (Kafka: "Inconsistent batch offset range"). The batch is stored
///   as sent when its codec is the one the topic stores (`LogConfig.storedCompression`: the
///   producer's own under `compression.type=producer`) and its inner offset deltas are 0, 1, 2,
///   …; its maxTimestamp is corrected (and the CRC re-sealed) when it is not its records'
///   largest timestamp, as Kafka does in place. Otherwise the batch is rebuilt with the
///   topic's codec: the same records (keys, values, headers, timestamps) at deltas 0, 1, 2, …,
///   and the same producer id, epoch, base sequence, transactional flag and timestamp type;
///   the rebuilt batch must fit max.message.bytes too. Either way the log assigns the batch
///   `recordCount` offsets, one per inner record.
/// - Compacted topics: no record of a data batch may lack a key (`CompactedTopicValidation`),
///   whatever its codec.
///
/// Errors: `StorageError.invalidRecord` (CORRUPT_MESSAGE; a missing codec library is
/// UNSUPPORTED_COMPRESSION_TYPE and a batch past the decompression limit MESSAGE_TOO_LARGE,
/// see `StorageError.errorCode`), `.recordTooLarge`, `.recordRejected` (INVALID_RECORD).
struct LogValidator {
    let config: LogConfig
    let topicPartition: TopicPartition
    /// The most bytes one batch's records may decompress to.
    var maxDecompressedBytes = CompressionCodec.defaultMaxDecompressedBytes

    struct Validated {
        /// The batches to append: the request's bytes, or a copy with rewritten batches.
        var records: [UInt8]
        var locations: [MemoryRecords.BatchLocation]
    }

    func validate(_ records: [UInt8]) throws -> Validated {
        let locations: [MemoryRecords.BatchLocation]
        do {
            locations = try MemoryRecords.batches(in: records)
        } catch {
            throw StorageError.invalidRecord(error)
        }
        guard !locations.isEmpty else { throw StorageError.invalidRecord(.truncated(needed: RecordBatchHeader.size, available: 0)) }
        var rewritten: [Int: [UInt8]] = [:]
        try records.withUnsafeBytes { b in
            // Structure first (the CRC, and the records of batches stored uncompressed as sent).
            for loc in locations {
                let h = loc.header
                guard let source = h.attributes.compression else {
                    throw StorageError.invalidRecord(.unsupportedCompression(h.attributes.compressionCode))
                }
                let walk = source == .none && config.storedCompression(for: source) == .none
                do throws(RecordBatchError) {
                    try RecordBatch.validate(UnsafeRawBufferPointer(rebasing: b[loc.range]), header: h, records: walk)
                } catch {
                    throw StorageError.invalidRecord(error)
                }
            }
            for loc in locations {
                // Kafka refuses empty batches from clients: they would claim an offset for nothing.
                if loc.header.recordCount == 0 { throw StorageError.invalidRecord(.invalidRecordCount(0)) }
                if loc.header.totalSize > config.maxMessageBytes {
                    throw StorageError.recordTooLarge(size: loc.header.totalSize, max: config.maxMessageBytes)
                }
            }
            for (index, loc) in locations.enumerated() {
                let batch = UnsafeRawBufferPointer(rebasing: b[loc.range])
                let source = loc.header.attributes.compression ?? .none
                let target = config.storedCompression(for: source)
                if source == .none, target == .none {
                    if config.compact {
                        try CompactedTopicValidation.validateKeys(ofBatch: batch, header: loc.header, batchIndex: index,
                                                                  topicPartition: topicPartition, maxDecompressedBytes: maxDecompressedBytes)
                    }
                } else if let bytes = try validateCompressed(batch, header: loc.header, index: index, source: source, target: target) {
                    rewritten[index] = bytes
                }
            }
        }
        guard !rewritten.isEmpty else { return Validated(records: records, locations: locations) }
        var out: [UInt8] = []
        out.reserveCapacity(records.count)
        for (index, loc) in locations.enumerated() {
            if let bytes = rewritten[index] { out += bytes } else { out += records[loc.range] }
        }
        // Every batch was whole before and the rewritten ones are whole too.
        return Validated(records: out, locations: try MemoryRecords.batches(in: out))
    }

    /// The compressed path: decompress, walk, and decide between in place and a rebuild.
    /// Returns the batch's new bytes, or nil to store it as sent.
    private func validateCompressed(_ batch: UnsafeRawBufferPointer, header h: RecordBatchHeader, index: Int,
                                    source: CompressionType, target: CompressionType) throws -> [UInt8]? {
        guard Int64(h.lastOffsetDelta) + 1 == Int64(h.recordCount) else {
            throw StorageError.invalidRecord(.invalidOffsetDelta(expected: h.recordCount - 1, found: h.lastOffsetDelta))
        }
        let section: [UInt8]
        do {
            section = try RecordBatch.decompressedRecords(in: batch, header: h, maxBytes: maxDecompressedBytes)
        } catch {
            throw StorageError.invalidRecord(error)
        }
        let checkKeys = config.compact && !h.attributes.isControl
        var inPlace = source == target
        var maxTimestamp: Int64 = -1
        var n: Int32 = 0
        try Self.records(section, header: h) { v in
            // Some clients number inner records wrongly; Kafka rewrites such batches rather than refusing them.
            if v.offsetDelta != n { inPlace = false }
            maxTimestamp = max(maxTimestamp, h.baseTimestamp &+ v.timestampDelta)
            if checkKeys {
                try CompactedTopicValidation.validateKey(v, topicPartition: topicPartition, batchIndex: index, recordIndex: Int(n))
            }
            n += 1
        }
        if inPlace {
            guard h.attributes.timestampType == .createTime, h.maxTimestamp != maxTimestamp else { return nil }
            var fixed = try RecordBatch(bytes: Array(batch))
            fixed.setMaxTimestamp(maxTimestamp)
            return fixed.bytes
        }
        var builder = RecordBatchBuilder(
            partitionLeaderEpoch: h.partitionLeaderEpoch,
            attributes: RecordBatchAttributes(compression: target, timestampType: h.attributes.timestampType,
                                              isTransactional: h.attributes.isTransactional),
            producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence,
            capacity: RecordBatchHeader.size + section.count)
        var delta: Int32 = 0
        try Self.records(section, header: h) { v in
            builder.append(v, offsetDelta: delta, timestamp: h.baseTimestamp &+ v.timestampDelta)
            delta += 1
        }
        let rebuilt: RecordBatch
        do {
            rebuilt = try builder.seal(level: config.compressionLevel(for: target))
        } catch {
            throw StorageError.invalidRecord(.compression(error))
        }
        guard rebuilt.bytes.count <= config.maxMessageBytes else {
            throw StorageError.recordTooLarge(size: rebuilt.bytes.count, max: config.maxMessageBytes)
        }
        return rebuilt.bytes
    }

    /// Walks the records of a decompressed section, turning format errors into `invalidRecord`.
    private static func records(_ section: [UInt8], header: RecordBatchHeader, _ body: (RecordView) throws -> Void) throws {
        do {
            try section.withUnsafeBytes { try RecordBatch.forEachRecord(inSection: $0, header: header, body) }
        } catch let e as RecordBatchError {
            throw StorageError.invalidRecord(e)
        }
    }
}
