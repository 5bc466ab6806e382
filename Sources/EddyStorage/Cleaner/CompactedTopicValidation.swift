import EddyProtocol

/// Append-time rule for compacted topics (Kafka's `LogValidator.validateKey`): compaction keeps
/// the latest record per key, so a record without a key has no place in a compacted log and
/// the whole produce request is rejected with INVALID_RECORD. Every record counts, in
/// uncompressed and compressed batches alike (a compressed batch's records are decompressed
/// to be checked). `PartitionLog.append` applies it through `LogValidator`.
public enum CompactedTopicValidation {
    /// Checks every record of every batch in `records` (one or more whole batches) for a key.
    /// Control batches are not checked (their records always carry a key).
    ///
    /// - Throws: `StorageError.recordRejected` for a record without a key;
    ///   `StorageError.invalidRecord` for bytes that are not valid batches, including a
    ///   compressed batch that does not decompress (`.compression`: a missing codec library,
    ///   corrupt data, or more than `maxDecompressedBytes` of records).
    public static func validateKeys(_ records: UnsafeRawBufferPointer, topicPartition: TopicPartition,
                                    maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes) throws(StorageError) {
        let locations: [MemoryRecords.BatchLocation]
        do { locations = try MemoryRecords.batches(in: records) } catch { throw .invalidRecord(error) }
        for (index, loc) in locations.enumerated() {
            try validateKeys(ofBatch: UnsafeRawBufferPointer(rebasing: records[loc.range]), header: loc.header, batchIndex: index,
                             topicPartition: topicPartition, maxDecompressedBytes: maxDecompressedBytes)
        }
    }

    public static func validateKeys(_ records: [UInt8], topicPartition: TopicPartition,
                                    maxDecompressedBytes: Int = CompressionCodec.defaultMaxDecompressedBytes) throws(StorageError) {
        try records.withBytes { (buf) throws(StorageError) in
            try validateKeys(buf, topicPartition: topicPartition, maxDecompressedBytes: maxDecompressedBytes)
        }
    }

    /// Checks the records of the one batch at the start of `batch` (see `validateKeys`).
    static func validateKeys(ofBatch batch: UnsafeRawBufferPointer, header: RecordBatchHeader, batchIndex: Int,
                             topicPartition: TopicPartition, maxDecompressedBytes: Int) throws(StorageError) {
        guard !header.attributes.isControl else { return }
        do {
            try RecordBatch.withRecords(in: batch, header: header, maxDecompressedBytes: maxDecompressedBytes) { section in
                var r = ByteReader(section)
                var n = 0
                while r.remaining > 0 {
                    try validateKey(try RecordView.parse(&r), topicPartition: topicPartition, batchIndex: batchIndex, recordIndex: n)
                    n += 1
                }
            }
        } catch let e as StorageError {
            throw e
        } catch let e as RecordBatchError {
            throw .invalidRecord(e)
        } catch {
            throw .recordRejected("\(error)")
        }
    }

    /// The rule itself, for one record of a data batch.
    static func validateKey(_ record: RecordView, topicPartition: TopicPartition, batchIndex: Int,
                            recordIndex: Int) throws(StorageError) {
        guard record.key != nil else {
            throw .recordRejected("Compacted topic cannot accept message without key in topic partition "
                + "\(topicPartition) (batch \(batchIndex), record \(recordIndex)).")
        }
    }
}
