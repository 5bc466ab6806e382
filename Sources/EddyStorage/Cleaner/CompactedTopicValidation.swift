import EddyProtocol

/// Append-time rule for compacted topics (Kafka's `LogValidator.validateKey`): compaction keeps
/// the latest record per key, so a record without a key has no place in a compacted log and
/// the whole produce request is rejected with INVALID_RECORD.
public enum CompactedTopicValidation {
    /// Checks every record of every batch in `records` (one or more whole batches) for a key.
    /// Control batches are not checked (their records always carry a key).
    ///
    /// - Throws: `StorageError.recordRejected` for a record without a key, and also for a batch
    ///   compressed with a codec eddy cannot decode, whose keys therefore cannot be checked;
    ///   `StorageError.invalidRecord` for bytes that are not valid batches.
    public static func validateKeys(_ records: UnsafeRawBufferPointer, topicPartition: TopicPartition) throws(StorageError) {
        let locations: [MemoryRecords.BatchLocation]
        do { locations = try MemoryRecords.batches(in: records) } catch { throw .invalidRecord(error) }
        for (index, loc) in locations.enumerated() where !loc.header.attributes.isControl {
            guard loc.header.attributes.compression == CompressionType.none else {
                throw .recordRejected("Compacted topic \(topicPartition) cannot check keys of a batch compressed with codec "
                    + "\(loc.header.attributes.compressionCode); eddy does not decompress on the broker yet")
            }
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: records[loc.position + RecordBatchHeader.size ..< loc.range.upperBound]))
            var n = 0
            while r.remaining > 0 {
                let v: RecordView
                do { v = try RecordView.parse(&r) } catch { throw .invalidRecord(error) }
                guard v.key != nil else {
                    throw .recordRejected("Compacted topic cannot accept message without key in topic partition "
                        + "\(topicPartition) (batch \(index), record \(n)).")
                }
                n += 1
            }
        }
    }

    public static func validateKeys(_ records: [UInt8], topicPartition: TopicPartition) throws(StorageError) {
        try records.withBytes { (buf) throws(StorageError) in try validateKeys(buf, topicPartition: topicPartition) }
    }
}
