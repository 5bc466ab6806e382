import EddyProtocol

/// Decodes one partition's `records` from a Fetch response into `ConsumerRecord`s (the
/// decoding half of Kafka's `CompletedFetch`).
///
/// Rules, as Kafka's consumer applies them:
/// - whole batches only: an incomplete batch at the end (a response cut at
///   max.partition.fetch.bytes) is ignored and fetched again from its start next time;
/// - a fetch returns whole batches, so the first may begin before the fetch offset: its records
///   below the fetch offset are skipped;
/// - control batches (transaction markers) carry no records for the application;
/// - with read_committed (`abortedTransactions` given, from the Fetch response), the records of
///   aborted transactions are dropped: from the first offset of each aborted transaction its
///   producer's transactional batches are skipped until that producer's ABORT marker (Kafka's
///   `CompletedFetch` with its aborted producer ids);
/// - a compressed batch's records are decompressed (gzip, snappy in either framing, lz4, zstd,
///   through the system's libraries; see `CompressionCodec`) into a buffer of their own, which
///   that batch's records then point into;
/// - `nextOffset` is the offset after the last complete batch (not after its last record: a
///   compacted batch may end in a gap), so the next fetch does not return the same batch again.
enum FetchDecoder {
    struct Decoded {
        var records: [ConsumerRecord]
        /// Where the next fetch starts once every record is consumed; `fetchOffset` if no
        /// complete batch was found.
        var nextOffset: Int64
    }

    /// - Throws: `.broker(.corruptMessage, ...)` when a batch's CRC does not match (with
    ///   `checkCrcs`), its records are malformed or its compressed data is corrupt;
    ///   `.broker(.unsupportedCompressionType, ...)` when the codec's library is missing (the
    ///   message names the package to install); `.broker(.messageTooLarge, ...)` when a batch
    ///   decompresses to more than `CompressionCodec.defaultMaxDecompressedBytes`.
    static func decode(_ bytes: [UInt8], topic: String, partition: Int32, fetchOffset: Int64,
                       checkCrcs: Bool, abortedTransactions: [FetchResponse.AbortedTransaction]? = nil) throws(ClientError) -> Decoded {
        var records: [ConsumerRecord] = []
        var readCommitted = abortedTransactions.map(AbortedTransactionFilter.init)
        var nextOffset = fetchOffset
        let buffer = ConsumerRecord.Buffer(topic: topic, bytes: bytes)
        /// Appends the records of `section` (at or after the fetch offset), whose bytes are
        /// `storage`'s starting at `base`.
        func append(_ section: UnsafeRawBufferPointer, of header: RecordBatchHeader, storage: ConsumerRecord.Buffer,
                    base: UnsafeRawPointer?) throws {
            let logAppendTime = header.attributes.timestampType == .logAppendTime
            let timestampType: TimestampType = logAppendTime ? .logAppendTime : .createTime
            let epoch: Int32? = header.partitionLeaderEpoch >= 0 ? header.partitionLeaderEpoch : nil
            try RecordBatch.forEachRecord(inSection: section, header: header) { r in
                let offset = header.baseOffset &+ Int64(r.offsetDelta)
                guard offset >= fetchOffset else { return }
                func start(_ p: UnsafeRawBufferPointer?) -> Int32 {
                    guard let base, let address = p?.baseAddress else { return 0 }
                    return Int32(truncatingIfNeeded: address - base)
                }
                records.append(ConsumerRecord(
                    buffer: storage, partition: partition, offset: offset,
                    timestamp: logAppendTime ? header.maxTimestamp : header.baseTimestamp &+ r.timestampDelta,
                    timestampType: timestampType, leaderEpoch: epoch,
                    keyStart: start(r.key), keyLength: r.key.map { Int32($0.count) } ?? -1,
                    valueStart: start(r.value), valueLength: r.value.map { Int32($0.count) } ?? -1,
                    headersStart: start(r.rawHeaders), headersLength: Int32(r.rawHeaders.count), headerCount: r.headerCount))
            }
        }
        let result: Result<Void, ClientError> = bytes.withUnsafeBytes { buf in
            guard let base = buf.baseAddress else { return .success(()) }
            let batches: [MemoryRecords.BatchLocation]
            do { batches = try MemoryRecords.batches(in: buf, allowPartialTail: true) } catch {
                return .failure(corrupt(topic, partition, "\(error)"))
            }
            // Reserve for the records the batches claim (bounded by the bytes: a record takes
            // at least 7).
            records.reserveCapacity(min(batches.reduce(0) { $0 + Int($1.header.recordCount) }, buf.count / 7 + 1))
            for location in batches {
                let header = location.header
                let batch = UnsafeRawBufferPointer(rebasing: buf[location.range])
                if checkCrcs {
                    do { try RecordBatch.validate(batch, header: header, records: false) } catch {
                        return .failure(corrupt(topic, partition, "batch at offset \(header.baseOffset): \(error)"))
                    }
                }
                if readCommitted?.skips(header, batch: batch) == true {
                    nextOffset = max(nextOffset, header.nextOffset)
                    continue
                }
                if !header.attributes.isControl, header.lastOffset >= fetchOffset {
                    do {
                        if header.attributes.compression == CompressionType.none {
                            try append(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.size...]), of: header,
                                       storage: buffer, base: base)
                        } else {
                            let plain = try RecordBatch.decompressedRecords(in: batch, header: header)
                            let storage = ConsumerRecord.Buffer(topic: topic, bytes: plain)
                            try storage.bytes.withUnsafeBytes { section in
                                try append(section, of: header, storage: storage, base: section.baseAddress)
                            }
                        }
                    } catch let RecordBatchError.compression(e) {
                        return .failure(.broker(e.errorCode, message: "batch at offset \(header.baseOffset) of \(topic)-\(partition): \(e)"))
                    } catch {
                        return .failure(corrupt(topic, partition, "batch at offset \(header.baseOffset): \(error)"))
                    }
                }
                nextOffset = max(nextOffset, header.nextOffset)
            }
            return .success(())
        }
        try result.get()
        return Decoded(records: records, nextOffset: nextOffset)
    }

    private static func corrupt(_ topic: String, _ partition: Int32, _ detail: String) -> ClientError {
        .broker(.corruptMessage, message: "Record batch for partition \(topic)-\(partition) is corrupt: \(detail)")
    }
}
