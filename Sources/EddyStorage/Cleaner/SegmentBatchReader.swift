import EddyProtocol

/// Walks the batches of one inactive segment in bounded memory: it reads `ioBufferSize` bytes
/// at a time and hands out each complete batch; a batch larger than the buffer is read on its
/// own, but never past the segment's size, so a corrupt length cannot cause a huge allocation.
///
/// It checks what the compactor relies on: every batch header parses, batches are in
/// increasing offset order at or above the segment's base offset, and none reaches `endOffset`
/// (the next segment's base offset). CRCs and records are checked by the caller.
struct SegmentBatchReader {
    let segment: CleanerSegment
    /// Exclusive upper bound for the segment's offsets.
    let endOffset: Int64
    let ioBufferSize: Int

    /// Calls `body` with each batch's bytes (valid only during the call), header and position.
    /// `body` returns false to stop early.
    func forEachBatch(checkAborted: () throws -> Void,
                      _ body: (UnsafeRawBufferPointer, RecordBatchHeader, Int) throws -> Bool) throws {
        let size = segment.sizeInBytes
        var position = 0
        var nextExpected = segment.baseOffset
        var stop = false
        while position < size, !stop {
            try checkAborted()
            let chunk = try segment.read(position, min(max(ioBufferSize, RecordBatchHeader.size), size - position))
            guard !chunk.isEmpty else {
                throw LogCleanerError.segmentTruncated(segmentBaseOffset: segment.baseOffset, position: position, sizeInBytes: size)
            }
            var consumed = 0
            try chunk.withUnsafeBytes { buf in
                while !stop, let (_, len) = RecordBatchHeader.peekSize(buf, at: consumed) {
                    let total = try batchSize(len, position: position + consumed)
                    guard total <= buf.count - consumed else { break }
                    let batch = UnsafeRawBufferPointer(rebasing: buf[consumed ..< consumed + total])
                    let h = try header(batch, position: position + consumed, nextExpected: nextExpected)
                    nextExpected = h.nextOffset
                    stop = try !body(batch, h, position + consumed)
                    consumed += total
                }
            }
            if consumed == 0 {
                // The next batch does not fit in the buffer: read exactly that batch.
                let len: Int32? = chunk.withUnsafeBytes { RecordBatchHeader.peekSize($0)?.batchLength }
                guard let len else {
                    throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position,
                                                       .truncated(needed: RecordBatchHeader.logOverhead, available: chunk.count))
                }
                let total = try batchSize(len, position: position)
                guard total <= size - position else {
                    throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position,
                                                       .truncated(needed: total, available: size - position))
                }
                let whole = try segment.read(position, total)
                guard whole.count == total else {
                    throw LogCleanerError.segmentTruncated(segmentBaseOffset: segment.baseOffset,
                                                           position: position + whole.count, sizeInBytes: size)
                }
                try whole.withUnsafeBytes { buf in
                    let h = try header(buf, position: position, nextExpected: nextExpected)
                    nextExpected = h.nextOffset
                    stop = try !body(buf, h, position)
                }
                consumed = total
            }
            position += consumed
        }
    }

    private func batchSize(_ len: Int32, position: Int) throws -> Int {
        guard len >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else {
            throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position, .invalidBatchLength(len))
        }
        return RecordBatchHeader.logOverhead + Int(len)
    }

    private func header(_ batch: UnsafeRawBufferPointer, position: Int, nextExpected: Int64) throws -> RecordBatchHeader {
        let h: RecordBatchHeader
        do {
            h = try RecordBatchHeader(parsing: batch)
        } catch {
            throw LogCleanerError.corruptBatch(segmentBaseOffset: segment.baseOffset, position: position, error)
        }
        // lastOffset is computed with overflow checking so a hostile baseOffset cannot trap.
        let (last, overflow) = h.baseOffset.addingReportingOverflow(Int64(h.lastOffsetDelta))
        guard h.baseOffset >= nextExpected, !overflow, last < endOffset else {
            throw LogCleanerError.offsetsOutOfOrder(segmentBaseOffset: segment.baseOffset, position: position, baseOffset: h.baseOffset)
        }
        return h
    }
}
