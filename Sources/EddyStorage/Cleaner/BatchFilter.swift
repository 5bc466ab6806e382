import EddyProtocol

/// Decides, batch by batch, what survives compaction and re-encodes the batches that change
/// (Kafka's `LogCleaner` record filter plus `MemoryRecords.filterTo`).
///
/// Record rule. A record is kept when its offset is above the offset map's `latestOffset` (it
/// was not indexed), or when it has a key, no later offset for that key is in the map, and it
/// either has a value or is a tombstone whose batch has no delete horizon yet or one still in
/// the future. Records without a key are dropped (Kafka counts them as invalid).
///
/// Transactions (Kafka's cleaner, KIP-98): everything cleaned lies below the last stable
/// offset, so each transaction there has ended. A transactional batch of an aborted
/// transaction (`AbortedTransactions`) loses all its records; a committed one's records follow
/// the record rule. A transaction marker stays while any data batch of its transaction does: it
/// can go once a round reads none between the producer's previous marker and it (an earlier
/// round removed them all). The first such round gives it a delete horizon (now +
/// delete.retention.ms, as for tombstones, so that a consumer reading through it meanwhile
/// still sees the transaction end); a round at or after the horizon removes it, and its
/// aborted transaction's index entry with it. A marker that is a remembered producer's last
/// record stays whole (its epoch may be the bump that fenced the producer's old instances).
///
/// Batch rule (RecordBatch v2 only):
/// - Control batches other than transaction markers, and compressed batches whose codec
///   library this process cannot load, are copied unchanged, records unseen (see
///   `CleanerStats.batchesCopiedUninspected`).
/// - A compressed batch's records are decompressed and filtered like any other's; when it is
///   re-encoded, its surviving records are compressed again with the same codec (Kafka's
///   `MemoryRecords.filterTo` keeps the original batch's compression type).
/// - A batch that keeps every record and needs no new delete horizon is copied byte for byte.
/// - A batch that loses records, or keeps a tombstone but has no delete horizon yet, is
///   re-encoded: same baseOffset, partitionLeaderEpoch, attributes, lastOffsetDelta (so the
///   batch's last offset, and the producer's last sequence, are unchanged and no offset is
///   ever reused), producerId, producerEpoch and baseSequence; each surviving record keeps its
///   offsetDelta, key, value and headers byte for byte. The header's recordCount becomes the
///   survivors' count, and maxTimestamp their largest timestamp (LogAppendTime batches keep it).
/// - Delete horizon (KIP-534): the first clean that keeps a tombstone sets attribute bit 6 and
///   stores `now + delete.retention.ms` in baseTimestamp. Record timestamps are deltas from
///   baseTimestamp, so every record's timestampDelta is re-based: delta = timestamp − newBase
///   (negative deltas are valid zigzag varlongs). Without a horizon the new base is the first
///   surviving record's timestamp, as Kafka's builder does. A later clean at or after the
///   horizon drops the tombstones.
/// - A batch that loses all its records is removed, unless it holds an active producer's last
///   data offset or ends exactly at the round's upper bound; then only its 61-byte header is
///   kept, with recordCount 0, baseTimestamp -1 and no compression (Kafka's `writeEmptyHeader`).
struct BatchFilter {
    let map: OffsetMap
    let now: Int64
    let deleteRetentionMs: Int64
    let producers: [Int64: ProducerLastRecord]
    /// The round's first uncleanable offset: a batch ending right below it is never removed.
    let upperBoundOffset: Int64
    let aborted: AbortedTransactions

    enum Outcome {
        case keepOriginal
        case replace([UInt8])
        case remove
    }

    /// - Parameter transactionsRead: the producers whose transactional data batches the round
    ///   has read since their last marker (see the type's transaction rule).
    func filter(_ batch: UnsafeRawBufferPointer, header h: RecordBatchHeader, segmentBaseOffset: Int64, position: Int,
                transactionsRead: inout Set<Int64>, stats: inout CleanerStats) throws -> Outcome {
        func corrupt(_ e: RecordBatchError) -> LogCleanerError {
            .corruptBatch(segmentBaseOffset: segmentBaseOffset, position: position, e)
        }
        do { try RecordBatch.validate(batch, header: h, records: false) } catch { throw corrupt(error) }
        stats.batchesRead += 1
        stats.bytesRead += batch.count

        func copyUninspected() -> Outcome {
            stats.batchesCopiedUninspected += 1
            stats.recordsRead += Int(h.recordCount)
            stats.recordsWritten += Int(h.recordCount)
            stats.batchesWritten += 1
            stats.bytesWritten += batch.count
            return .keepOriginal
        }
        if h.attributes.isControl {
            guard h.attributes.isTransactional, h.producerId >= 0, h.attributes.compression == CompressionType.none,
                  h.recordCount == 1 else { return copyUninspected() }
            let dataRemains = transactionsRead.remove(h.producerId) != nil
            return try filterMarker(batch, header: h, dataRemains: dataRemains, corrupt: corrupt, stats: &stats)
        }
        let abortedData = h.attributes.isTransactional && h.producerId >= 0 && aborted.contains(h)
        if h.attributes.isTransactional, h.producerId >= 0 { transactionsRead.insert(h.producerId) }
        guard h.attributes.compression != CompressionType.none else {
            return try filterRecords(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...]), of: batch, header: h,
                                     abortedData: abortedData, corrupt: corrupt, stats: &stats)
        }
        let plain: [UInt8]
        do {
            plain = try RecordBatch.decompressedRecords(in: batch, header: h)
        } catch let .compression(e) where LogCompactor.isUnavailable(e) {
            // A batch that cannot be decoded here cannot be filtered: it stays as it is.
            return copyUninspected()
        } catch {
            throw corrupt(error)
        }
        return try plain.withUnsafeBytes { section in
            try filterRecords(section, of: batch, header: h, abortedData: abortedData, corrupt: corrupt, stats: &stats)
        }
    }

    /// A transaction marker (see the type's transaction rule): kept while its transaction's
    /// data remains or its delete horizon is ahead; given a horizon the first time it could go;
    /// removed at or after the horizon (unless it ends right below the round's bound).
    private func filterMarker(_ batch: UnsafeRawBufferPointer, header h: RecordBatchHeader, dataRemains: Bool,
                              corrupt: (RecordBatchError) -> LogCleanerError, stats: inout CleanerStats) throws -> Outcome {
        stats.recordsRead += 1
        func keep() -> Outcome {
            stats.recordsWritten += 1
            stats.batchesWritten += 1
            stats.bytesWritten += batch.count
            return .keepOriginal
        }
        if dataRemains || producers[h.producerId]?.endsWithMarker(at: h.baseOffset) == true { return keep() }
        if h.attributes.hasDeleteHorizon {
            guard now >= h.baseTimestamp, h.nextOffset != upperBoundOffset else { return keep() }
            stats.markersRemoved += 1
            stats.batchesRemoved += 1
            return .remove
        }
        let section = UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...])
        var r = ByteReader(section)
        let v: RecordView
        do { v = try RecordView.parse(&r) } catch { throw corrupt(error) }
        let (timestamp, overflow) = h.baseTimestamp.addingReportingOverflow(v.timestampDelta)
        guard !overflow else { throw LogCleanerError.timestampOverflow(batchBaseOffset: h.baseOffset) }
        let bytes = try rebuild(h, records: [(v, 0 ..< r.position, timestamp)], recordBytes: section,
                                deleteHorizon: BatchFilter.saturatingAdd(now, deleteRetentionMs), corrupt: corrupt)
        stats.recordsWritten += 1
        stats.batchesWritten += 1
        stats.bytesWritten += bytes.count
        return .replace(bytes)
    }

    /// Filters the records of `batch` found in `section` (its records, decompressed if it is
    /// compressed): the record and batch rules of the type's documentation.
    private func filterRecords(_ section: UnsafeRawBufferPointer, of batch: UnsafeRawBufferPointer, header h: RecordBatchHeader,
                               abortedData: Bool, corrupt: (RecordBatchError) -> LogCleanerError,
                               stats: inout CleanerStats) throws -> Outcome {
        let horizon: Int64? = h.attributes.hasDeleteHorizon ? h.baseTimestamp : nil
        var retained: [(view: RecordView, range: Range<Int>, timestamp: Int64)] = []
        var containsTombstones = false
        var read = 0
        var previousDelta: Int32 = -1
        var r = ByteReader(section)
        while r.remaining > 0 {
            guard read < Int(h.recordCount) else { throw corrupt(.invalidRecordCount(h.recordCount)) }
            let start = r.position
            let v: RecordView
            do { v = try RecordView.parse(&r) } catch { throw corrupt(error) }
            // Compacted batches have gaps, so deltas need only increase and stay within lastOffsetDelta.
            guard v.offsetDelta > previousDelta, v.offsetDelta <= h.lastOffsetDelta else {
                throw corrupt(.invalidOffsetDelta(expected: previousDelta + 1, found: v.offsetDelta))
            }
            previousDelta = v.offsetDelta
            read += 1
            let (timestamp, overflow) = h.baseTimestamp.addingReportingOverflow(v.timestampDelta)
            guard !overflow else { throw LogCleanerError.timestampOverflow(batchBaseOffset: h.baseOffset) }
            if abortedData {
                stats.abortedRecordsRemoved += 1
            } else if shouldRetain(v, offset: h.baseOffset + Int64(v.offsetDelta), horizon: horizon, stats: &stats) {
                retained.append((v, start ..< r.position, timestamp))
                if v.value == nil { containsTombstones = true }
            }
        }
        guard read == Int(h.recordCount) else { throw corrupt(.invalidRecordCount(h.recordCount)) }
        stats.recordsRead += read

        if retained.isEmpty {
            guard retainEmpty(h) else {
                stats.batchesRemoved += 1
                return .remove
            }
            let bytes = BatchFilter.emptyBatch(like: h)
            stats.emptyBatchesRetained += 1
            stats.batchesWritten += 1
            stats.bytesWritten += bytes.count
            return .replace(bytes)
        }

        let needsHorizon = containsTombstones && horizon == nil
        stats.recordsWritten += retained.count
        stats.batchesWritten += 1
        if retained.count == read, !needsHorizon {
            stats.bytesWritten += batch.count
            return .keepOriginal
        }
        let newHorizon = needsHorizon ? BatchFilter.saturatingAdd(now, deleteRetentionMs) : horizon
        let bytes = try rebuild(h, records: retained, recordBytes: section, deleteHorizon: newHorizon, corrupt: corrupt)
        stats.bytesWritten += bytes.count
        return .replace(bytes)
    }

    private func shouldRetain(_ v: RecordView, offset: Int64, horizon: Int64?, stats: inout CleanerStats) -> Bool {
        if offset > map.latestOffset { return true }
        guard let key = v.key else {
            stats.invalidRecordsRemoved += 1
            return false
        }
        if let latest = map.get(key), latest > offset {
            stats.recordsSuperseded += 1
            return false
        }
        if v.value != nil { return true }
        if let horizon, now >= horizon {
            stats.tombstonesRemoved += 1
            return false
        }
        return true
    }

    private func retainEmpty(_ h: RecordBatchHeader) -> Bool {
        if h.nextOffset == upperBoundOffset { return true }
        // Markers never get here, so only a producer's last data batch qualifies.
        guard h.producerId >= 0, let offset = producers[h.producerId]?.lastDataOffset else { return false }
        return h.lastOffset == offset
    }

    /// Re-encodes the surviving records into a new batch with the original header fields.
    private func rebuild(_ h: RecordBatchHeader, records: [(view: RecordView, range: Range<Int>, timestamp: Int64)],
                         recordBytes: UnsafeRawBufferPointer, deleteHorizon: Int64?,
                         corrupt: (RecordBatchError) -> LogCleanerError) throws -> [UInt8] {
        let newBase = deleteHorizon ?? records[0].timestamp
        var attributes = h.attributes
        attributes.hasDeleteHorizon = deleteHorizon != nil
        let maxTimestamp = h.attributes.timestampType == .logAppendTime
            ? h.maxTimestamp : records.lazy.map(\.timestamp).max()!
        var w = ByteWriter(capacity: RecordBatchHeader.size + recordBytes.count + records.count * 9)
        RecordBatchHeader(baseOffset: h.baseOffset, batchLength: 0, partitionLeaderEpoch: h.partitionLeaderEpoch,
                          crc: 0, attributes: attributes, lastOffsetDelta: h.lastOffsetDelta, baseTimestamp: newBase,
                          maxTimestamp: maxTimestamp, producerId: h.producerId, producerEpoch: h.producerEpoch,
                          baseSequence: h.baseSequence, recordCount: Int32(records.count)).write(to: &w)
        for (v, range, timestamp) in records {
            let (delta, overflow) = timestamp.subtractingReportingOverflow(newBase)
            guard !overflow else { throw LogCleanerError.timestampOverflow(batchBaseOffset: h.baseOffset) }
            if delta == v.timestampDelta {
                w.writeBytes(UnsafeRawBufferPointer(rebasing: recordBytes[range]))
                continue
            }
            let keyLength = v.key.map { Int64($0.count) } ?? -1
            let valueLength = v.value.map { Int64($0.count) } ?? -1
            let bodySize = 1 + Varint.size(delta) + Varint.size(Int64(v.offsetDelta))
                + Varint.size(keyLength) + max(0, Int(keyLength))
                + Varint.size(valueLength) + max(0, Int(valueLength))
                + Varint.size(Int64(v.headerCount)) + v.rawHeaders.count
            w.writeVarint(Int64(bodySize))
            w.writeInt8(v.attributes)
            w.writeVarint(delta)
            w.writeVarint(Int64(v.offsetDelta))
            w.writeVarint(keyLength)
            if let k = v.key { w.writeBytes(k) }
            w.writeVarint(valueLength)
            if let value = v.value { w.writeBytes(value) }
            w.writeVarint(Int64(v.headerCount))
            w.writeBytes(v.rawHeaders)
        }
        if let codec = h.attributes.compression, codec != .none {
            // The surviving records, compressed again as one stream with the batch's codec.
            let compressed: [UInt8]
            do {
                compressed = try w.bytes.withBytes { (all) throws(CompressionError) -> [UInt8] in
                    try CompressionCodec.system(codec).compress(UnsafeRawBufferPointer(rebasing: all[RecordBatchHeader.size...]))
                }
            } catch {
                throw corrupt(.compression(error))
            }
            w.bytes.removeSubrange(RecordBatchHeader.size...)
            w.writeBytes(compressed)
        }
        return BatchFilter.seal(&w)
    }

    /// A header-only batch standing in for `h` (Kafka's `DefaultRecordBatch.writeEmptyHeader`).
    static func emptyBatch(like h: RecordBatchHeader) -> [UInt8] {
        var w = ByteWriter(capacity: RecordBatchHeader.size)
        let attributes = RecordBatchAttributes(compression: .none, timestampType: h.attributes.timestampType,
                                               isTransactional: h.attributes.isTransactional,
                                               isControl: h.attributes.isControl)
        RecordBatchHeader(baseOffset: h.baseOffset, batchLength: 0, partitionLeaderEpoch: h.partitionLeaderEpoch,
                          crc: 0, attributes: attributes, lastOffsetDelta: h.lastOffsetDelta, baseTimestamp: -1,
                          maxTimestamp: h.maxTimestamp, producerId: h.producerId, producerEpoch: h.producerEpoch,
                          baseSequence: h.baseSequence, recordCount: 0).write(to: &w)
        return seal(&w)
    }

    /// Fills in batchLength and the CRC of a batch written into `w`.
    private static func seal(_ w: inout ByteWriter) -> [UInt8] {
        w.setInt32(Int32(w.count - RecordBatchHeader.logOverhead), at: 8)
        let crc = w.bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[RecordBatchHeader.attributesOffset...]))
        }
        w.setBigEndian(crc, at: RecordBatchHeader.crcOffset)
        return w.take()
    }

    static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : s
    }
}
